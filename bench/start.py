"""Start bench: seconds from starting `streamlit run app.py` to the end of the first Overview
script run of a signed-in session (a browser tab opened as soon as the server answers), and to
the server's first answer on its health check; and the server process's CPU seconds (user +
system) until that Overview ended, which the other processes on a shared machine barely change:
on an idle machine the wall time is about that CPU time plus what the server waits for. With
--before REF the same is measured, turn about in the same run, for the code at a git commit
(exported to a temporary folder, with its own copy of the store): the baseline. With --peer,
Streamlit alone starting an app of the same shape with nothing of the app's (bench/peer/
bare_app.py): the floor. Writes its section of docs/performance.md.

    python -m bench.start --db /tmp/happy-bench/a100000.db --runs 5 --before 068513c \
        --router-runs 30 --record
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, write_section  # noqa: E402
from bench.tab import connect, page_run  # noqa: E402


def _tokens(tree: Path, db_url: str) -> str:
    """A session token of the admin of the store, made by the code in `tree` (its schema)."""
    code = (
        "import sys; from bench.signin import admin_tokens; print(admin_tokens(sys.argv[1], 1)[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, db_url], cwd=tree, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


async def _first_overview(port: int, cookie: str) -> tuple[bool, str]:
    """Open the Overview once, like a signed-in tab; whether it showed the Overview."""
    async with await connect(port, cookie) as ws:
        run = await page_run(ws, "period=2025", timeout=120)
    if run.exceptions:
        return False, run.exceptions[0]
    return run.shown, f"script_finished={run.finished}"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(
    tree: Path, db_url: str, cookie: str, port: int, python: str = sys.executable
) -> dict:
    """Start the server in `tree` with the interpreter `python`, open the Overview as soon as it
    answers, stop the server."""
    # A server writes its compiled files at its first start and reads them at every later one.
    # PYTHONDONTWRITEBYTECODE set to anything, "0" too, stops that: every start compiled the
    # app's modules again (the trees exported for --before had no compiled files at all).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["HAPPY_DB_URL"] = db_url
    command = [python, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true"]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.02)
        healthy = time.perf_counter() - started
        healthy_cpu = _cpu_seconds(proc.pid)
        shown, how = asyncio.run(_first_overview(port, cookie))
        finished = time.perf_counter() - started
        cpu = _cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {
        "healthy_s": healthy,
        "healthy_cpu_s": healthy_cpu,
        "overview_s": finished,
        "cpu_s": cpu,
        "shown": shown,
        "how": how,
    }


def _python(python: str) -> str:
    """An interpreter the servers ran with and how many distributions it has installed (the
    number of packages Streamlit's start scans for component manifests)."""
    code = (
        "import importlib.metadata as m, sys; print(sys.version.split()[0], sys.prefix,"
        " len({d.metadata['Name'] for d in m.distributions()}))"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    version, prefix, count = done.stdout.split()
    return f"Python {version} at {prefix} with {count} installed distributions"


def export(ref: str, folder: Path) -> Path:
    """The project's files at a git commit, in a folder of their own."""
    tree = folder / ref
    tree.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def trees_with_stores(
    db: str, refs: list[str], prefix: str
) -> tuple[dict[str, Path], dict[Path, str], Path]:
    """This tree and the code at each git commit (`export`ed), each with its own copy of the
    SQLite store at `db` (each code migrates its copy to its own schema): the trees by label,
    each tree's store URL, and the temporary folder holding the copies (the caller removes it)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    trees = {"this tree": ROOT} | {f"before ({ref})": export(ref, folder) for ref in refs}
    urls = {}
    for n, tree in enumerate(trees.values()):
        store = folder / f"{n}.db"
        shutil.copyfile(db, store)
        urls[tree] = f"sqlite:///{store}"
    return trees, urls, folder


def main(argv: list[str] | None = None) -> int:
    """Measure and record the first Overview after a start."""
    parser = argparse.ArgumentParser(prog="python -m bench.start")
    parser.add_argument("--db", required=True, help="a SQLite demo store (a file path)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--before", action="append", default=[], help="git commit to compare with (repeatable)"
    )
    parser.add_argument("--port", type=int, default=8631)
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also start bench/peer/bare_app.py, a Streamlit app of the same shape with nothing"
        " of the app's (no store, no reader): Streamlit's own floor on this machine, same run",
    )
    parser.add_argument(
        "--router-runs", type=int, default=0, help="also the router's CPU per warm run (N runs)"
    )
    parser.add_argument(
        "--python",
        action="append",
        help="an interpreter to run the servers with (repeatable; default: this one), e.g. a"
        " virtual environment made by README's app command: only the app's requirements, as on"
        " a server — Streamlit's start reads every installed distribution's metadata",
    )
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args(argv)
    pythons = args.python or [sys.executable]
    trees, urls, folder = trees_with_stores(args.db, args.before, "happy-start-")
    if args.peer:  # one more tree, with no store and nobody signed in
        from bench.peer import peer_tree

        peer = trees["Streamlit alone (bench/peer)"] = peer_tree(folder, "bare_app.py")
        urls[peer] = ""
    setups = {}
    for code, tree in trees.items():
        url = urls[tree]
        cookie = _tokens(tree, url) if url else ""
        for n, python in enumerate(pythons, 1):
            label = code if len(pythons) == 1 else f"{code}, interpreter {n}"
            setups[label] = (tree, url, cookie, python)
            one_start(tree, url, cookie, args.port, python)  # compiled files, store migrated
    runs: dict[str, list[dict]] = {label: [] for label in setups}
    load = os.getloadavg()[0]
    for i in range(args.runs):
        for label, (tree, url, cookie, python) in setups.items():
            result = one_start(tree, url, cookie, args.port, python)
            print(label, i, result, flush=True)
            runs[label].append(result)
    load = (load + os.getloadavg()[0]) / 2
    rows = []
    for label, results in runs.items():
        ok = all(r["shown"] for r in results)
        healthy = statistics.median(r["healthy_s"] for r in results)
        healthy_cpu = statistics.median(r["healthy_cpu_s"] for r in results)
        overview = statistics.median(r["overview_s"] for r in results)
        worst = max(r["overview_s"] for r in results)
        cpu = statistics.median(r["cpu_s"] for r in results)
        rows.append(
            f"| {label} | {healthy:.2f} | {healthy_cpu:.2f} | {overview:.2f} | {worst:.2f} |"
            f" {cpu:.2f} | {'yes' if ok else 'NO'} |"
        )
    router = []
    if args.router_runs:
        from bench.router_cpu import measure

        got: dict[str, list[dict]] = {label: [] for label in setups}
        for _ in range(3):
            for label, (tree, url, _cookie, _python_path) in setups.items():
                got[label].append(measure(tree, url, args.router_runs))
        router = [
            "",
            "The router's CPU per warm run (bench/router_cpu.py: a signed-in Overview run through"
            " AppTest, the script thread's CPU minus the page's; median of"
            f" {args.router_runs} runs, 3 rounds turn about):",
            "",
            "| code | whole run (ms) | the page (ms) | the router (ms) |",
            "|---|---|---|---|",
            *(
                f"| {label} | {statistics.median(r['run_ms'] for r in rs):.1f} |"
                f" {statistics.median(r['page_ms'] for r in rs):.1f} |"
                f" {statistics.median(r['router_ms'] for r in rs):.1f} |"
                for label, rs in got.items()
            ),
        ]
    body = "\n".join(
        [
            f"`python -m bench.start --db … --runs {args.runs}"
            + "".join(f" --before {ref}" for ref in args.before)
            + (" --peer" if args.peer else "")
            + "".join(f" --python {python}" for python in args.python or ())
            + "`"
            + f" on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {machine_summary()},"
            f" load average ≈ {load:.1f} while measured (shared machine); "
            + "; ".join(
                (f"interpreter {n}: " if len(pythons) > 1 else "") + _python(python)
                for n, python in enumerate(pythons, 1)
            )
            + "."
            f" Median of {args.runs}"
            " starts each, turn about; the process start is the clock's zero; the store's"
            " compiled files and migration done by an unmeasured first start.",
            "",
            "| code | server answers (s) | server CPU until it answers (s) | first Overview"
            " finished (s) | slowest (s) | server CPU until then (s) | showed the Overview |",
            "|---|---|---|---|---|---|---|",
            *rows,
            *router,
        ]
    )
    print(body)
    if args.record:
        write_section("start", "First Overview after a start (bench/start.py)", body)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
