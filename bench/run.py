"""Benchmark: every page's script run (AppTest) cold and warm, and the raw-table baseline, on
demo stores of several sizes, on SQLite and PostgreSQL. Results go to bench/results.json;
`python -m bench.report` writes them into docs/performance.md.

    python -m bench.run --sizes 100000 1000000 5000000 --backends sqlite pg --dir /tmp/happy-bench
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
PAGES = ["overview", "organization", "governance", "service", "neighborliness", "safety"]
PERIOD = "2025"


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": os.getloadavg()[0],
    }


def build(url: str, n: int) -> float:
    """Make sure the store holds the demo with n activities; return seconds spent."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "seed_data", "--db", url, "--activities", str(n), "--replace"],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


def time_pages(url: str, region: str | None, warm_runs: int = 3, cold_runs: int = 3) -> dict:
    """Cold (cached readers cleared) and warm script-run seconds of every page, through AppTest:
    the median of a few runs each, since the machine is shared."""
    from bench.signin import signed_in_app
    from data_access import cached

    os.environ["HAPPY_DB_URL"] = url
    out = {}
    for page in PAGES:
        at = signed_in_app(url)
        at.query_params["period"] = PERIOD
        if region:
            at.query_params["region"] = region
        at.run()
        at.switch_page(f"app_pages/{page}.py")
        cold = []
        for _ in range(cold_runs):
            cached.clear_readers()
            started = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - started)
            assert not at.exception, at.exception
        warm = []
        for _ in range(warm_runs):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        out[page] = {
            "cold": round(statistics.median(cold), 3),
            "cold_max": round(max(cold), 3),
            "warm": round(statistics.median(warm), 3),
        }
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()  # the engine too: the next store gets its own
    return out


def time_data(url: str) -> dict:
    """Seconds for the overview's numbers from the rollups (data functions, no Streamlit) and
    from the raw activities table (the baseline); and whether both give the same index."""
    from bench.baseline import raw_overview
    from data_access.areas import get_child_indexes
    from data_access.db import read_session
    from data_access.periods import parse_period
    from data_access.regions import get_city
    from data_access.scoring import get_index, get_index_trend
    from data_access.store import open_store

    engine = open_store(url)
    period = parse_period(PERIOD)
    with read_session(engine) as session:
        city = get_city(session)
        started = time.perf_counter()
        ours = {
            "now": get_index(session, city, city, period),
            "previous": get_index(session, city, city, period.previous()),
            "year": get_index(session, city, city, period.year_ago()),
            "trend": get_index_trend(session, city, city, period.months()),
            "children": get_child_indexes(session, city, city, period),
        }
        rollup_s = time.perf_counter() - started
        started = time.perf_counter()
        raw = raw_overview(session, city, period)
        raw_s = time.perf_counter() - started
    engine.dispose()
    same = abs(ours["now"].composite - raw["now"].composite) < 1e-6 and all(
        abs(c.index.composite - raw["children"][c.region.code].composite) < 1e-6
        for c in ours["children"]
    )
    return {"rollups_s": round(rollup_s, 3), "raw_s": round(raw_s, 3), "same_result": same}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and record the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"])
    parser.add_argument("--dir", default="/tmp/happy-bench")
    parser.add_argument("--region", default=None, help="also time pages at this region code")
    parser.add_argument("--results", default=str(RESULTS), help="JSON file to add the runs to")
    args = parser.parse_args(argv)
    results_file = Path(args.results)
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    results = json.loads(results_file.read_text()) if results_file.exists() else {"runs": []}
    pg = None
    try:
        for backend in args.backends:
            for n in args.sizes:
                if backend == "sqlite":
                    url = f"sqlite:///{args.dir}/a{n}.db"
                else:
                    if pg is None:
                        sys.path.insert(0, str(ROOT))
                        from tests.pgserver import PostgresServer

                        pg = PostgresServer().start()
                    url = pg.create_database(f"bench_{n}")
                print(f"{backend} {n:,}: building", flush=True)
                build_s = build(url, n)
                print(f"{backend} {n:,}: timing", flush=True)
                run = {
                    "backend": backend,
                    "activities": n,
                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "machine": machine(),
                    "build_s": round(build_s, 1),
                    "pages_city": time_pages(url, None),
                    "data": time_data(url),
                }
                if args.region:
                    run["pages_region"] = {"region": args.region, **time_pages(url, args.region)}
                print(json.dumps(run, ensure_ascii=False), flush=True)
                results["runs"].append(run)
                results_file.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    finally:
        if pg is not None:
            pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
