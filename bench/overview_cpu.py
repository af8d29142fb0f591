"""CPU of one warm Overview run: the script thread's CPU time (`time.thread_time`) of the router
and the Overview page, run through AppTest in one process after a first run has filled the
cached readers, with the elements the run sent and the profile's top entries (cProfile,
cumulative and self). With --before REF the same is measured, turn about in the same run, for the
code at a git commit (exported with `git archive`): the baseline. Writes its section of
docs/performance.md.

    python -m bench.overview_cpu --db sqlite:////tmp/h-cpu/a200k.db --before main --rounds 3

Each measurement runs in a child process started in the tree it measures (its own imports and
caches), so the two codes never share a process; the child prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(args: argparse.Namespace) -> None:
    """In the measured tree: run the Overview once (cold), then `runs` times warm, timing the
    script thread; then `profiled` more warm runs under cProfile."""
    import cProfile
    import io
    import pstats

    # This bench's own helper (beside this file, sys.path[0] until the next line), whatever the
    # measured tree holds.
    from apptest import share_compiled_scripts

    tree = Path(args.tree).resolve()
    sys.path[0] = str(tree)  # the measured tree's modules, not bench/'s neighbours
    os.environ["HAPPY_DB_URL"] = args.db
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    from bench.signin import admin_tokens  # the tree's own (its schema)
    from data_access.auth import hash_token

    clock: list[tuple[float, float, int]] = []  # per run: thread CPU s, wall s, deltas sent
    profiler: list[cProfile.Profile] = []
    deltas = [0]
    run_script = script_runner.ScriptRunner._run_script
    enqueue = script_runner.ScriptRunner._enqueue_forward_msg

    def counted(self, msg):
        if msg.WhichOneof("type") == "delta":
            deltas[0] += 1
        return enqueue(self, msg)

    def timed(self, rerun_data):
        deltas[0] = 0
        prof = profiler[0] if profiler else None
        cpu, wall = time.thread_time(), time.perf_counter()
        if prof:
            prof.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            if prof:
                prof.disable()
            clock.append((time.thread_time() - cpu, time.perf_counter() - wall, deltas[0]))

    script_runner.ScriptRunner._run_script = timed
    share_compiled_scripts()  # a server compiles each script once
    script_runner.ScriptRunner._enqueue_forward_msg = counted

    at = AppTest.from_file(str(tree / "app.py"), default_timeout=600)
    at.session_state["_auth_session"] = hash_token(admin_tokens(args.db, 1)[0])
    at.query_params["period"] = args.period
    if args.region:
        at.query_params["region"] = args.region
    at.run()  # the router, then the Overview: cold readers, first chart specs
    at.run()
    assert not at.exception, at.exception
    clock.clear()
    for _ in range(args.runs):
        at.run()
    warm = list(clock)
    assert not at.exception, at.exception
    out = {
        "cpu_ms": round(1000 * statistics.median(c for c, _, _ in warm), 1),
        "cpu_ms_min": round(1000 * min(c for c, _, _ in warm), 1),
        "wall_ms": round(1000 * statistics.median(w for _, w, _ in warm), 1),
        "deltas": warm[-1][2],
    }
    if args.profiled:
        # Timed by the thread's CPU clock: a wall clock would count the waits for the GIL
        # (released around every system call) as the cost of the call that waited.
        profiler.append(cProfile.Profile(time.thread_time))
        for _ in range(args.profiled):
            at.run()
        for key, sort in (("top_cumulative", "cumulative"), ("top_self", "tottime")):
            text = io.StringIO()
            stats = pstats.Stats(profiler[0], stream=text)
            stats.sort_stats(sort).print_stats(args.top)
            out[key] = _entries(text.getvalue(), args.profiled)
    print(json.dumps(out, ensure_ascii=False), flush=True)


def _entries(printed: str, runs: int) -> list[str]:
    """pstats' table as short lines: ms per run (self, cumulative) and the function."""
    lines = []
    started = False
    for line in printed.splitlines():
        if line.strip().startswith("ncalls"):
            started = True
            continue
        parts = line.split(None, 5)
        if not started or len(parts) < 6:
            continue
        tottime, cumtime, where = float(parts[1]), float(parts[3]), parts[5]
        where = where.replace(str(ROOT) + "/", "").replace(sys.prefix, "…")
        where = where.split("site-packages/")[-1]
        calls = parts[0].split("/")[0]
        lines.append(
            f"{1000 * tottime / runs:7.2f} {1000 * cumtime / runs:7.2f} "
            f"{int(calls) // runs:>5} {where}"
        )
    return lines


def measure(tree: Path, args: argparse.Namespace, profiled: int) -> dict:
    """One child process measuring `tree`."""
    command = [sys.executable, str(ROOT / "bench" / "overview_cpu.py"), "--child",
               "--tree", str(tree), "--db", args.db, "--period", args.period,
               "--runs", str(args.runs), "--profiled", str(profiled),
               "--top", str(args.top)]  # fmt: skip
    if args.region:
        command += ["--region", args.region]
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def render(args: argparse.Namespace, started: str, load: tuple[str, str], rows: dict) -> str:
    """The docs/performance.md section."""
    from bench.perfdoc import machine_summary

    where = f"region {args.region}" if args.region else "the city (admin's view)"
    lines = [
        f"`python -m bench.overview_cpu --db {args.db}"
        + (f" --region {args.region}" if args.region else "")
        + (f" --before {args.before}" if args.before else "")
        + f" --rounds {args.rounds} --runs {args.runs}` — {started}, {machine_summary()}; "
        f"`uptime` before: {load[0]}; after: {load[1]}.",
        "",
        f"The Overview of {where}, period {args.period}, run through AppTest (the router and the "
        "page, signed in as the admin) after one run filled the cached readers; *CPU* is the "
        "script thread's `time.thread_time()` over one whole run (median of "
        f"{args.runs} warm runs in each of {args.rounds} rounds, turn about); *elements* are the "
        "delta messages the run sent. The server's own work beside the script (serialising and "
        "sending the messages) is not in it: bench/load.py's *app CPU per run* counts it.",
        "",
        "| code | warm run CPU, median of rounds (ms) | each round (ms) | wall (ms) | elements |",
        "|---|---|---|---|---|",
    ]
    for name, got in rows.items():
        cpus = [r["cpu_ms"] for r in got]
        lines.append(
            f"| {name} | {statistics.median(cpus):.1f} | {', '.join(f'{c:.1f}' for c in cpus)} "
            f"| {statistics.median(r['wall_ms'] for r in got):.1f} | {got[-1]['deltas']} |"
        )
    for name, got in rows.items():
        top = next((r for r in got if "top_cumulative" in r), None)
        if not top:
            continue
        lines += [
            "",
            f"Profile of {name} (cProfile over {args.profiled} warm runs, ms per run: self, "
            "cumulative, calls per run, function; profiling itself makes each run slower):",
            "",
            "```",
            "by cumulative time:",
            *top["top_cumulative"],
            "",
            "by self time:",
            *top["top_self"],
            "```",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print, and record unless told not to."""
    parser = argparse.ArgumentParser(prog="python -m bench.overview_cpu")
    parser.add_argument("--db", required=True)
    parser.add_argument("--region", default=None, help="region code (default: the city)")
    parser.add_argument("--period", default="2025")
    parser.add_argument("--runs", type=int, default=20, help="warm runs timed in each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profiled", type=int, default=10, help="warm runs under cProfile")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--before", default=None, help="git commit to compare with")
    parser.add_argument("--section", default="overview-cpu")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return 0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = _uptime()
    with tempfile.TemporaryDirectory() as folder:
        trees = {}
        if args.before:
            from bench.start import export

            trees[f"before ({args.before})"] = export(args.before, Path(folder))
        trees["after (this checkout)"] = ROOT
        rows: dict[str, list[dict]] = {name: [] for name in trees}
        for n in range(args.rounds):
            for name, tree in trees.items():
                # The last round is profiled (after the timed runs, in the same process).
                got = measure(tree, args, args.profiled if n == args.rounds - 1 else 0)
                rows[name].append(got)
                print(name, {k: v for k, v in got.items() if not k.startswith("top")}, flush=True)
    load_after = _uptime()
    text = render(args, started, (load_before, load_after), rows)
    print(text)
    if not args.no_record:
        sys.path.insert(0, str(ROOT))
        from bench.perfdoc import write_section

        write_section(args.section, "A warm Overview run's CPU (issue 15 part 3)", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
