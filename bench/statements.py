"""The SQL of one cold Overview, statement by statement (issue 15 part 1): every SELECT the
cached readers send during a cold script run (city, period 2025, the admin), each replayed on the
store's sqlite3 connection (the app's pragmas; best of N), with its rows and its plan; the sum
is the SQL floor of a cold Overview with the store's schema, without SQLAlchemy.

    python -m bench.statements --db sqlite:////tmp/x/a5000000.db [--repeat 5] [--plans]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from sqlalchemy import event


def cold_overview_statements(url: str) -> list[tuple[str, object]]:
    """The SELECTs (with their parameters) of one cold Overview run, in order."""
    from bench.run import PERIOD
    from bench.signin import signed_in_app
    from data_access import cached

    os.environ["HAPPY_DB_URL"] = url
    at = signed_in_app(url)
    at.query_params["period"] = PERIOD
    at.run()
    at.switch_page("app_pages/overview.py")
    at.run()
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    engine = cached.get_engine(url)
    cached.clear_readers()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        at.run()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert not at.exception, at.exception
    return seen


def replay(url: str, statements, repeat: int, plans: bool) -> list[dict]:
    """Each statement's best time over `repeat` runs on the store's own sqlite3 connection (the
    app's pragmas: its page cache), without SQLAlchemy."""
    from data_access.db import make_engine

    engine = make_engine(url)
    conn = engine.raw_connection().driver_connection
    out = []
    for statement, parameters in statements:
        best, rows = float("inf"), 0
        for _ in range(repeat):
            began = time.perf_counter()
            rows = len(conn.execute(statement, parameters).fetchall())
            best = min(best, time.perf_counter() - began)
        entry = {"ms": best * 1000, "rows": rows, "sql": " ".join(statement.split())}
        if plans:
            entry["plan"] = [
                r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ]
        out.append(entry)
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    """Print each statement of a cold Overview with its time, rows and (optionally) plan."""
    parser = argparse.ArgumentParser(prog="python -m bench.statements")
    parser.add_argument("--db", required=True, help="sqlite:///path of a store")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plans", action="store_true")
    args = parser.parse_args(argv)
    statements = cold_overview_statements(args.db)
    results = replay(args.db, statements, args.repeat, args.plans)
    for r in sorted(results, key=lambda r: -r["ms"]):
        print(f"{r['ms']:7.2f} ms {r['rows']:6d} rows  {r['sql'][:220]}")
        for line in r.get("plan", []):
            print(f"{'':24}{line}")
    total = sum(r["ms"] for r in results)
    print(f"{len(results)} statements, {total:.1f} ms of SQL (best of {args.repeat} each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
