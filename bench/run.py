"""Benchmark: every page's script run (AppTest) cold and warm, and the raw-table baseline, on
demo stores of several sizes, on SQLite and PostgreSQL. Results go to bench/results.json;
`python -m bench.report` writes them into docs/performance.md.

    python -m bench.run --sizes 100000 1000000 5000000 --backends sqlite pg --dir /tmp/happy-bench

Also (issue 15): the time the Overview's cached readers take in a cold run, the strongest single
raw SQL aggregation and DuckDB's best single aggregation over the same activities exported to
Parquet (if duckdb is installed: an optional bench-only dependency), all in the same run; with
--without-reports the same pages on a copy of the SQLite store without its monthly reports.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
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


def make_url_path(url: str) -> str:
    """The file of a SQLite URL."""
    return url.removeprefix("sqlite:///")


def build(url: str, n: int) -> float:
    """Make sure the store holds the demo with n activities; return seconds spent."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "seed_data", "--db", url, "--activities", str(n), "--replace"],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - started


@contextmanager
def reader_clock(spent: list[float], cpu: list[float] | None = None):
    """Add the seconds spent inside the cached readers (cached.py) while the block runs to
    `spent`, one entry per reader call from outside the readers (a reader that reads through
    another, e.g. the index through the indicator values, is counted once); their CPU seconds
    (the script thread's: what a busy machine's other work does not add) to `cpu`."""
    cpu = [] if cpu is None else cpu
    from data_access import cached

    # A reader is a function in front of Streamlit's cache (with .cached) since the memo; a
    # CachedFunc itself before it (main's code, which this bench also measures).
    names = [getattr(fn, "__name__", None) or fn._info.func.__name__ for fn in cached.READERS]
    originals = {name: getattr(cached, name) for name in names}
    depth = [0]

    def clocked(fn):
        def call(*args, **kwargs):
            began, began_cpu = time.perf_counter(), time.thread_time()
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent.append(time.perf_counter() - began)
                    cpu.append(time.thread_time() - began_cpu)

        call.clear = fn.clear
        return call

    for name, fn in originals.items():
        setattr(cached, name, clocked(fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(cached, name, fn)


def time_pages(
    url: str, region: str | None, warm_runs: int = 3, cold_runs: int = 3, pages=PAGES
) -> dict:
    """Cold (cached readers cleared) and warm script-run seconds of every page, through AppTest:
    the median of a few runs each, since the machine is shared; for the Overview also the
    seconds spent in its cached readers in the cold runs ("readers_cold")."""
    from bench.signin import signed_in_app
    from data_access import cached

    os.environ["HAPPY_DB_URL"] = url
    out = {}
    for page in pages:
        at = signed_in_app(url)
        at.query_params["period"] = PERIOD
        if region:
            at.query_params["region"] = region
        at.run()
        at.switch_page(f"app_pages/{page}.py")
        cold, readers, readers_cpu = [], [], []
        for _ in range(cold_runs):
            cached.clear_readers()
            spent: list[float] = []
            cpu: list[float] = []
            with reader_clock(spent, cpu):
                started = time.perf_counter()
                at.run()
                cold.append(time.perf_counter() - started)
            readers.append(sum(spent))
            readers_cpu.append(sum(cpu))
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
            "readers_cold": round(statistics.median(readers), 4),
            "readers_cold_min": round(min(readers), 4),
            "readers_cold_cpu": round(statistics.median(readers_cpu), 4),
        }
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()  # the engine too: the next store gets its own
    return out


def time_data(url: str, naive: bool = True) -> dict:
    """Seconds for the overview's numbers from the rollups (data functions, no Streamlit) and
    from the raw activities table (the baseline, unless `naive` is False: minutes at 5
    million); and whether both give the same index."""
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
        if not naive:
            engine.dispose()
            return {"rollups_s": round(rollup_s, 3)}
        started = time.perf_counter()
        raw = raw_overview(session, city, period)
        raw_s = time.perf_counter() - started
    engine.dispose()
    same = abs(ours["now"].composite - raw["now"].composite) < 1e-6 and all(
        abs(c.index.composite - raw["children"][c.region.code].composite) < 1e-6
        for c in ours["children"]
    )
    return {"rollups_s": round(rollup_s, 3), "raw_s": round(raw_s, 3), "same_result": same}


_MEASURES = ("participants", "beneficiaries", "hours", "sessions", "cases_received",
             "cases_resolved", "cases_satisfied")  # fmt: skip
_SUMS_SQL = ", ".join(f"sum({m})" for m in _MEASURES)
# The strongest single raw query we could write for the Overview's main numbers: the period's
# totals per district and activity type, by the date index, in one pass (the naive baseline
# above derives the month from each date, so it cannot use an index, and runs a dozen queries).
STRONG_RAW = (
    f"SELECT district_id, type_key, count(*), {_SUMS_SQL} FROM activities "
    "WHERE occurred_on BETWEEN :start AND :end AND deleted_at IS NULL "
    "GROUP BY district_id, type_key"
)
DUCKDB_QUERIES = {
    "per district and type, the period": (
        f"SELECT district_id, type_key, count(*), {_SUMS_SQL} FROM acts "
        "WHERE occurred_on BETWEEN DATE '{start}' AND DATE '{end}' GROUP BY ALL"
    ),
    "per type, the period (city)": (
        f"SELECT type_key, count(*), {_SUMS_SQL} FROM acts "
        "WHERE occurred_on BETWEEN DATE '{start}' AND DATE '{end}' GROUP BY ALL"
    ),
    "per month and type, the period (trend)": (
        f"SELECT date_trunc('month', occurred_on), type_key, count(*), {_SUMS_SQL} FROM acts "
        "WHERE occurred_on BETWEEN DATE '{start}' AND DATE '{end}' GROUP BY ALL"
    ),
}


def _period_dates() -> tuple[str, str]:
    """The first and last day of PERIOD (ISO dates)."""
    import calendar

    from data_access.periods import parse_period

    period = parse_period(PERIOD)
    (y0, m0), (y1, m1) = divmod(period.start, 100), divmod(period.end, 100)
    return f"{y0}-{m0:02d}-01", f"{y1}-{m1:02d}-{calendar.monthrange(y1, m1)[1]:02d}"


def time_strong_raw(url: str, runs: int = 3) -> float:
    """Median seconds of STRONG_RAW on the store (a fresh connection each time)."""
    from sqlalchemy import text

    from data_access.db import make_engine

    start, end = _period_dates()
    engine = make_engine(url)
    times = []
    for _ in range(runs):
        with engine.connect() as conn:
            began = time.perf_counter()
            conn.execute(text(STRONG_RAW), {"start": start, "end": end}).all()
            times.append(time.perf_counter() - began)
    engine.dispose()
    return statistics.median(times)


def export_parquet(url: str, path: Path) -> int:
    """The store's live activities (the columns the aggregations read) as a Parquet file."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from data_access.db import make_engine

    columns = ["district_id", "street_id", "community_id", "type_key", "occurred_on", *_MEASURES]
    query = f"SELECT {', '.join(columns)} FROM activities WHERE deleted_at IS NULL"
    # Declared, not inferred from the first chunk: a measure that chunk never records would be
    # typed null and the next chunk's numbers could not be cast to it.
    schema = pa.schema(
        [(c, pa.int64()) for c in columns[:3]]
        + [("type_key", pa.string()), ("occurred_on", pa.date32())]
        + [(m, pa.float64()) for m in _MEASURES]
    )
    engine = make_engine(url)
    writer, rows = None, 0
    with engine.connect() as conn:
        for frame in pd.read_sql_query(query, conn.connection.driver_connection, chunksize=500_000):
            frame["occurred_on"] = pd.to_datetime(frame["occurred_on"]).dt.date
            for m in _MEASURES:
                frame[m] = frame[m].astype("float64")
            table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, schema)
            writer.write_table(table)
            rows += len(frame)
    if writer is not None:
        writer.close()
    engine.dispose()
    return rows


def time_duckdb(parquet: Path, runs: int = 5) -> dict | None:
    """Median seconds of each DuckDB aggregation over the Parquet file (a warm DuckDB: the file
    is read once before timing), and the best of them; None if duckdb is not installed."""
    try:
        import duckdb
    except ImportError:
        return None
    start, end = _period_dates()
    con = duckdb.connect()
    con.execute(f"CREATE VIEW acts AS SELECT * FROM read_parquet('{parquet}')")
    out = {}
    for name, query in DUCKDB_QUERIES.items():
        sql = query.format(start=start, end=end)
        con.execute(sql).fetchall()
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            con.execute(sql).fetchall()
            times.append(time.perf_counter() - began)
        out[name] = round(statistics.median(times), 4)
    con.close()
    best = min(out, key=out.get)
    return {"version": duckdb.__version__, "queries": out, "best": best, "best_s": out[best]}


def without_reports(url: str, folder: str) -> str:
    """A copy of a SQLite store without its monthly reports and standing figures."""
    from sqlalchemy.engine import make_url

    source = make_url(url).database
    target = Path(folder) / (Path(source).stem + "-noreports.db")
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    with dst:
        for table in ("monthly_report_values", "monthly_reports", "reported_values", "area_stocks"):
            dst.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    dst.close()
    return f"sqlite:///{target}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and record the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "pg"])
    parser.add_argument("--dir", default="/tmp/happy-bench")
    parser.add_argument("--region", default=None, help="also time pages at this region code")
    parser.add_argument("--results", default=str(RESULTS), help="JSON file to add the runs to")
    parser.add_argument("--no-build", action="store_true", help="use the stores as they are")
    parser.add_argument(
        "--without-reports",
        action="store_true",
        help="also time the pages on a copy of the SQLite store without its monthly reports",
    )
    parser.add_argument(
        "--pages", nargs="+", default=PAGES, choices=PAGES, help="time only these pages"
    )
    parser.add_argument("--cold-runs", type=int, default=3, help="cold runs per page (median)")
    parser.add_argument(
        "--no-naive", action="store_true", help="skip the naive raw baseline (minutes at 5 million)"
    )
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
                build_s = 0.0 if args.no_build else build(url, n)
                parquet = Path(args.dir) / f"{backend}-{n}.parquet"
                if not parquet.exists():
                    print(f"{backend} {n:,}: exporting the activities to Parquet", flush=True)
                    export_parquet(url, parquet)
                print(f"{backend} {n:,}: timing", flush=True)
                run = {
                    "backend": backend,
                    "activities": n,
                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "machine": machine(),
                    "build_s": round(build_s, 1),
                    "pages_city": time_pages(url, None, 3, args.cold_runs, args.pages),
                    "data": time_data(url, naive=not args.no_naive),
                }
                run["data"]["strong_raw_s"] = round(time_strong_raw(url), 4)
                run["duckdb"] = time_duckdb(parquet)
                if args.without_reports and backend == "sqlite":
                    bare = without_reports(url, args.dir)
                    run["pages_city_without_reports"] = time_pages(
                        bare, None, 3, args.cold_runs, args.pages
                    )
                    Path(make_url_path(bare)).unlink(missing_ok=True)
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
