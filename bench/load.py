"""Load test: N concurrent signed-in websocket sessions, each rerunning the Overview R times,
against one `streamlit run` process with Streamlit's defaults (the baseline), one with this
project's settings, and several replicas behind nginx (the deployment DESIGN.md describes), in
one run. Each configuration runs twice: every session rerunning back to back, and paced like a
person reading the page between clicks. With --peer, Streamlit alone drawing the Overview's
recorded elements (bench/peer/shape_app.py) runs turn about with the app: the floor. Writes its
section of docs/performance.md.

    python -m bench.load --db sqlite:////tmp/happy-bench/a5000000.db --replicas 2
    python -m bench.load --db postgresql+psycopg://…/happy --configs replicas --replicas 1 \
        --section load-pg-1 --saves 200     # the capacity runs of docs/operations.md

The servers and nginx are started by the launcher (deploy/, `python -m deploy`), so what is
measured is the documented deployment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer import peer_tree  # noqa: E402
from bench.peer.record import recorded_shape  # noqa: E402
from bench.perfdoc import machine_summary, write_section  # noqa: E402
from bench.signin import admin_tokens  # noqa: E402
from bench.tab import FINISHED_WELL, connect, page_run  # noqa: E402
from deploy import Fleet  # noqa: E402


async def one_session(
    port: int, runs: int, query: str, cookie: str, out: list, errors: list, think: float = 0
) -> None:
    """Connect like a signed-in browser tab, open the Overview and rerun it until it has run
    `runs` times; time each run. Paced (think > 0), people also arrive at different moments:
    each session opens within the first `think` seconds."""
    if think:
        await asyncio.sleep(think * random.random())
    async with await connect(port, cookie) as ws:
        for i in range(runs):
            if think and i:
                # A person reads the page before the next click: 0.5–1.5 × the think time.
                await asyncio.sleep(think * (0.5 + random.random()))
            started = time.perf_counter()
            run = await page_run(ws, query)
            errors.extend(run.exceptions)
            if run.finished not in FINISHED_WELL:
                errors.append(f"script_finished={run.finished}")
            if not run.shown:
                errors.append("the run did not show the Overview")
            out.append((time.perf_counter() - started, run.size, i == 0))


async def load(port: int, cookies: list[str], runs: int, query: str, think: float = 0) -> dict:
    """Run one session per cookie concurrently; summarise latencies and sizes."""
    out: list = []
    errors: list = []
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_session(port, runs, query, c, out, errors, think=think) for c in cookies),
        return_exceptions=True,
    )
    errors.extend(repr(r) for r in results if isinstance(r, Exception))
    wall = time.perf_counter() - started
    reruns = sorted(t for t, _, first in out if not first)
    opens = sorted(t for t, _, first in out if first)

    def pct(values: list[float], p: float) -> float | None:
        if not values:
            return None
        return round(values[min(len(values) - 1, int(p * len(values)))], 3)

    return {
        "think_s": think,
        "sessions": len(cookies),
        "runs_each": runs,
        "runs_done": len(out),
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50_s": pct(reruns, 0.50),
        "p95_s": pct(reruns, 0.95),
        "max_s": pct(reruns, 1.0),
        "open_p50_s": pct(opens, 0.50),
        "open_p95_s": pct(opens, 0.95),
        "all_p95_s": pct(sorted(reruns + opens), 0.95),
        "wall_s": round(wall, 2),
        "bytes_per_run_max": max((size for _, size, _ in out), default=None),
    }


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def deploy(db: str, port: int, replicas: int, settings: str, folder: Path,
           nginx: bool | None = None, root: Path = ROOT) -> Fleet:  # fmt: skip
    """The deployment under test, started by the launcher (`python -m deploy`, deploy/): one
    server on `port`, or `replicas` servers behind nginx listening on `port` (nginx=True: nginx
    in front of a single server too). settings="default" runs Streamlit's defaults for what
    .streamlit/config.toml tunes (postScriptGC on, the source file watcher on); "gc" the
    project's settings but with postScriptGC on. `root`: the checkout the servers run."""
    args = []
    if settings in ("default", "gc"):
        args += ["--runner.postScriptGC", "true"]
    if settings == "default":
        args += ["--server.fileWatcherType", "auto"]
    nginx = replicas > 1 if nginx is None else nginx
    return Fleet(db, replicas, port, folder, nginx=nginx, server_args=args, root=root).start()


class StoreCPU:
    """CPU time used by a PostgreSQL server on this machine (the postmaster and its backends,
    ended ones included), for the CPU per page run that the store itself spends; None for
    another store or one on another machine."""

    def __init__(self, db: str) -> None:
        self.pid = None
        if db.startswith("postgresql"):
            self.pid = _postmaster(db)

    def seconds(self) -> float | None:
        if self.pid is None:
            return None
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            own = int(fields[11]) + int(fields[12])
            ended = int(fields[13]) + int(fields[14]) if pid == self.pid else 0
            total += (own + ended) / tick
        return total


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postmaster(db: str) -> int | None:
    """The pid of the PostgreSQL server of `db` if it runs on this machine."""
    from sqlalchemy import text

    from data_access.store import open_store

    engine = open_store(db)
    try:
        with engine.connect() as conn:
            folder = conn.execute(text("SHOW data_directory")).scalar()
        return int(Path(folder, "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, Exception):
        return None
    finally:
        engine.dispose()


CONFIGS = {
    "baseline": ("Streamlit defaults (postScriptGC on, file watcher on), 1 process", 1, "default"),
    "gc": ("config.toml but postScriptGC on, 1 process", 1, "gc"),
    "tuned": ("config.toml (postScriptGC off, no file watcher), 1 process", 1, "project"),
    "replicas": ("config.toml, {n} process(es) behind nginx", None, "project"),
}


def measure(args: argparse.Namespace, trees: dict[str, Path] | None = None) -> list[dict]:
    """Every configuration, back to back and paced; one summary each, with the CPU time the
    app servers (and a local PostgreSQL) spent per page run. `trees`: the checkouts to run
    (by name, in turn; default this one)."""
    cookies = admin_tokens(args.db, args.sessions + 1)
    store_cpu = StoreCPU(args.db)
    rows = []
    trees = trees or {"": ROOT}
    rounds = range(getattr(args, "rounds", 1))  # turn about: each tree in each round
    runs = [
        (name, code, root) for name in args.configs for _ in rounds for code, root in trees.items()
    ]
    for name, code, root in runs:
        label, replicas, settings = CONFIGS[name]
        replicas = replicas or args.replicas
        label = f"{code}: {label}" if code else label
        with tempfile.TemporaryDirectory() as folder:
            fleet = deploy(
                args.db,
                args.port,
                replicas,
                settings,
                Path(folder),
                nginx=name == "replicas",
                root=root,
            )
            try:
                # One session on every server first: the engine and the cached readers are
                # warm, as on a live server.
                for port in fleet.ports:
                    asyncio.run(load(port, cookies[-1:], 1, args.query))
                for think in (0.0, args.think):
                    load_before = os.getloadavg()[0]
                    cpu, db_cpu = fleet.cpu_seconds(), store_cpu.seconds()
                    client_cpu = time.process_time()
                    connect = fleet.port if fleet.nginx else fleet.ports[0]
                    summary = asyncio.run(load(connect, cookies[:-1], args.runs, args.query, think))
                    client_cpu = time.process_time() - client_cpu
                    runs = max(1, summary["runs_done"])
                    db_after = store_cpu.seconds()
                    rows.append(
                        {
                            "config": name,
                            "label": label.format(n=replicas),
                            "uptime": _uptime(),
                            "replicas": replicas,
                            "load_before": load_before,
                            "server_rss_mb": fleet.rss_mb(),
                            "cpu_ms_per_run": round(1000 * (fleet.cpu_seconds() - cpu) / runs),
                            # The sessions' own side (this process: websockets, protobuf), on
                            # the same cores as the servers.
                            "client_cpu_ms_per_run": round(1000 * client_cpu / runs, 1),
                            "db_cpu_ms_per_run": None
                            if db_cpu is None
                            else round(1000 * (db_after - db_cpu) / runs, 1),
                            **summary,
                        }
                    )
                    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            finally:
                fleet.stop()
    return rows


def measure_saves(db: str, saves: int) -> dict:
    """CPU per save on the Record form's write path (run_write(add_activity): validation,
    duplicate check, insert, rollups, audit, commit), in this process as in a server, one at a
    time; and what the store's own server spent on them (PostgreSQL on this machine)."""
    from bench.activity_inserts import community_ids, sample_activity
    from data_access.activities import add_activity
    from data_access.db import run_write
    from data_access.store import open_store

    communities = community_ids(db)
    engine = open_store(db)
    store_cpu = StoreCPU(db)
    rng = random.Random(17)
    marker = f"load-save {time.time():.0f}"
    try:
        run_write(
            engine, add_activity, sample_activity(rng, communities, marker), os.urandom(8).hex()
        )
        cpu, db_cpu, began = time.process_time(), store_cpu.seconds(), time.perf_counter()
        for i in range(saves):
            data = sample_activity(rng, communities, f"{marker} {i}")
            result = run_write(engine, add_activity, data, os.urandom(8).hex())
            assert result.status == "saved", result
        wall = time.perf_counter() - began
        app = time.process_time() - cpu
        db_after = store_cpu.seconds()
    finally:
        engine.dispose()
    return {
        "saves": saves,
        "app_cpu_ms_per_save": round(1000 * app / saves, 1),
        "db_cpu_ms_per_save": None
        if db_cpu is None
        else round(1000 * (db_after - db_cpu) / saves, 1),
        "wall_ms_per_save": round(1000 * wall / saves, 1),
    }


def _options(args: argparse.Namespace) -> str:
    """The options beyond the defaults that shaped a run, as typed."""
    given = [f"--configs {' '.join(args.configs)}"] if args.configs != list(CONFIGS) else []
    for name in ("before", "rounds", "section", "sessions", "runs"):
        value = getattr(args, name, None)
        if value is not None and value != {"rounds": 1, "sessions": 50, "runs": 5}.get(name):
            given.append(f"--{name} {value}")
    if getattr(args, "peer", False):
        given.append("--peer")
    return "".join(f" {g}" for g in given)


def render(
    rows: list[dict], args: argparse.Namespace, started: str, saves: dict | None = None
) -> str:
    """The docs/performance.md section for this run."""
    lines = [
        f"`python -m bench.load --db {args.db} --replicas {args.replicas}{_options(args)}` — "
        f"{started}, "
        f"{machine_summary()}. {args.sessions} signed-in websocket sessions (an admin: the city "
        f"view, `?{args.query}`), each running the Overview {args.runs} times: first all back to "
        f"back, then paced (each session opens within the first {args.think:g} s and pauses "
        f"0.5–1.5 × {args.think:g} s between reruns, a person reading the page). Latency: from "
        "the request to the script's end, as the browser sees it; *rerun* = the 2nd to last run "
        "of a session, "
        "*page open* = its first run (a new session: the server sets it up first).",
        "",
        "| configuration | reruns | runs | errors | rerun p50 (s) | rerun p95 (s) | rerun max (s) "
        "| page open p50 / p95 (s) | all runs p95 (s) | wall (s) | bytes per run (max) "
        "| server RSS (MB) | app CPU per run (ms) | sessions' CPU per run (ms) "
        "| store CPU per run (ms) | load avg before |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pace = "back to back" if not r["think_s"] else f"paced {r['think_s']:g} s"
        lines.append(
            f"| {r['label']} | {pace} | {r['runs_done']} | {r['errors']} | {r['p50_s']} "
            f"| {r['p95_s']} | {r['max_s']} | {r['open_p50_s']} / {r['open_p95_s']} "
            f"| {r['all_p95_s']} | {r['wall_s']} | {r['bytes_per_run_max']:,} "
            f"| {r['server_rss_mb']} | {r['cpu_ms_per_run']} | {r['client_cpu_ms_per_run']} "
            f"| {r['db_cpu_ms_per_run'] if r['db_cpu_ms_per_run'] is not None else '–'} "
            f"| {r['load_before']:.1f} |"
        )
    if saves:
        store = saves["db_cpu_ms_per_save"]
        lines += [
            "",
            f"Saves ({saves['saves']} one after another, `run_write(add_activity)` as the Record "
            f"form does, in the benchmark's process): {saves['app_cpu_ms_per_save']} ms of app "
            f"CPU and {store if store is not None else '–'} ms of store CPU per save, "
            f"{saves['wall_ms_per_save']} ms each.",
        ]
    lines += ["", "Machine load (`uptime`) as each measurement ended:"]
    lines += [
        f"- {r['label']}, {r['think_s'] and 'paced' or 'back to back'}: {r['uptime']}" for r in rows
    ]
    samples = sorted({s for r in rows for s in r["error_samples"]})
    if samples:
        lines += ["", "Errors seen: " + "; ".join(f"`{s}`" for s in samples)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load test; record the results in docs/performance.md unless told not to."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="period=2025")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between reruns")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--saves", type=int, default=0, help="also measure CPU per save")
    parser.add_argument("--no-record", action="store_true", help="do not write the results")
    parser.add_argument(
        "--before", help="git commit to run too, turn about with this checkout (the baseline)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="with --before or --peer: rounds of each"
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run bench/peer/shape_app.py: Streamlit alone drawing the Overview's recorded"
        " elements (no store, no reader), turn about: the floor a page of this shape costs",
    )
    parser.add_argument(
        "--section", help="docs/performance.md section (default: load, load-postgresql on PG)"
    )
    args = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory() as folder:
        trees = None
        if args.before:
            from bench.start import export

            trees = {f"before ({args.before})": export(args.before, Path(folder))}
            trees["after (this checkout)"] = ROOT
        if args.peer:
            trees = (trees or {"this checkout": ROOT}) | {
                "Streamlit alone, the Overview's elements (bench/peer)": peer_tree(
                    Path(folder), "shape_app.py", recorded_shape(args.db, args.query)
                )
            }
        rows = measure(args, trees)
    saves = measure_saves(args.db, args.saves) if args.saves else None
    if saves:
        print(json.dumps(saves), flush=True)
    if not args.no_record:
        postgres = args.db.startswith("postgresql")
        key = args.section or (
            "load-peer" if args.peer else "load-postgresql" if postgres else "load"
        )
        title = f"Load: {args.sessions} sessions rerunning the Overview" + (
            " (PostgreSQL)" if postgres else ""
        )
        if args.before:
            title += f", before ({args.before}) and after, turn about"
        if args.peer:
            title += ", beside Streamlit alone drawing the same elements"
        write_section(key, title, render(rows, args, started, saves))
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
