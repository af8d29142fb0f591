"""The router's CPU per warm run: the script thread's CPU time (`time.thread_time`) of a whole
Overview run through AppTest (signed in as the admin, after a first run filled the cached
readers) minus that of the page itself (`StreamlitPage.run`), so what app.py does around the page:
page config, language switch, store check, sign-in check, menu. Each tree is measured in a child
process started in it (its own imports and caches); with --before REF the code at a git commit
is measured turn about, in the same run. bench/start.py records it with the first Overview.

    python -m bench.router_cpu --db sqlite:////tmp/happy-bench/a100000.db --before 068513c
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


def _child(tree: Path, db: str, runs: int, profiled: int) -> None:
    import cProfile
    import io
    import pstats

    # This bench's own helper (beside this file, sys.path[0] until the next line), whatever the
    # measured tree holds.
    from apptest import share_compiled_scripts

    sys.path[0] = str(tree)  # the measured tree's modules
    os.environ["HAPPY_DB_URL"] = db
    from streamlit.navigation.page import StreamlitPage
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    from bench.signin import admin_tokens  # the tree's own (its schema)
    from data_access.auth import hash_token

    page_cpu = [0.0]
    runs_cpu: list[tuple[float, float]] = []  # (whole run, page) thread CPU seconds
    profiler: list[cProfile.Profile] = []
    run_script = script_runner.ScriptRunner._run_script
    run_page = StreamlitPage.run

    def timed(self, rerun_data):
        page_cpu[0] = 0.0
        prof = profiler[0] if profiler else None
        cpu = time.thread_time()
        if prof:
            prof.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            if prof:
                prof.disable()
            runs_cpu.append((time.thread_time() - cpu, page_cpu[0]))

    def page(self):
        prof = profiler[0] if profiler else None
        if prof:
            prof.disable()  # the router's profile only
        cpu = time.thread_time()
        try:
            return run_page(self)
        finally:
            page_cpu[0] += time.thread_time() - cpu
            if prof:
                prof.enable()

    script_runner.ScriptRunner._run_script = timed
    StreamlitPage.run = page
    share_compiled_scripts()  # a server compiles each script once
    at = AppTest.from_file(str(tree / "app.py"), default_timeout=600)
    at.session_state["_auth_session"] = hash_token(admin_tokens(db, 1)[0])
    at.query_params["period"] = "2025"
    at.run()
    at.run()
    assert not at.exception, at.exception
    runs_cpu.clear()
    for _ in range(runs):
        at.run()
    assert not at.exception, at.exception
    out = {
        "run_ms": 1000 * statistics.median(r for r, _ in runs_cpu),
        "page_ms": 1000 * statistics.median(p for _, p in runs_cpu),
        "router_ms": 1000 * statistics.median(r - p for r, p in runs_cpu),
    }
    if profiled:
        profiler.append(cProfile.Profile(time.thread_time))
        for _ in range(profiled):
            at.run()
        text = io.StringIO()
        pstats.Stats(profiler[0], stream=text).sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue()
    print(json.dumps(out), flush=True)


def measure(tree: Path, db: str, runs: int = 30, profiled: int = 0) -> dict:
    """One child process measuring the router of the code in `tree`."""
    command = [sys.executable, str(ROOT / "bench" / "router_cpu.py"), "--child", str(tree),
               "--db", db, "--runs", str(runs), "--profiled", str(profiled)]  # fmt: skip
    done = subprocess.run(command, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Measure the router's CPU per warm run, turn about with --before."""
    parser = argparse.ArgumentParser(prog="python -m bench.router_cpu")
    parser.add_argument("--db", required=True, help="a store URL (SQLite)")
    parser.add_argument("--before", default=None, help="git commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profiled", type=int, default=0)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(Path(args.child), args.db, args.runs, args.profiled)
        return 0
    from bench.start import export

    trees = {"this branch": ROOT}
    if args.before:
        trees[f"before ({args.before})"] = export(args.before, Path(tempfile.mkdtemp()))
    got: dict[str, list[dict]] = {label: [] for label in trees}
    for i in range(args.rounds):
        for label, tree in trees.items():
            last = i == args.rounds - 1
            got[label].append(measure(tree, args.db, args.runs, args.profiled if last else 0))
    for label, results in got.items():
        median = {k: statistics.median(r[k] for r in results) for k in results[0] if "ms" in k}
        print(label, {k: round(v, 1) for k, v in median.items()}, time.strftime("%H:%M"))
        if "profile" in results[-1]:
            print(results[-1]["profile"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
