"""Benchmark: the monthly report (月报) in bulk, on SQLite and PostgreSQL.

    python -m bench.report_import --db URL [--month 2026-01] [--record]

On the demo store: build the city's template (1,158 communities × every community-level
indicator), import it as submitted reports for a month no one has reported yet (the page's and
`report import`'s path: read in the bounded child, check every row, save_report per row), then
approve the largest street's reports at once (at most 20) and then every other submitted report
(publishing the values and updating area_stocks). Everything runs in one transaction that is
rolled back, so the store is left as it was (commit time is not counted). --record appends the
result to docs/performance.md (section "Monthly reports").

    python -m bench.report_import --db URL --beside 20 [--month 2026-01]

With --beside N (issue 15): N writer processes save activities 1-5 s apart (bench.activity_inserts)
while the sheet is imported and then every submitted report approved, each through `run_write`
as the pages do, committed (use a throw-away copy of the store); prints the import's and the
approval's times and the writers' p50/p95/p99 over the saves that overlapped them and over the
whole run, errors, lost saves and `python -m data_access check`."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access import db
from data_access.db import read_session, redact, run_write
from data_access.models import Region
from data_access.regions import get_city
from data_access.report_sheets import import_report_sheet, template_xlsx
from data_access.reports import approve_reports, parse_month, reportable_indicators
from data_access.rollups import compare_area_stocks
from data_access.store import open_store

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
SECTION = "## Monthly reports (issue 13)"


def run(url: str, month: int) -> dict:
    """Time each step; return the measurements."""
    engine = open_store(url)
    out: dict = {"store": engine.dialect.name, "load_start": os.getloadavg()[0]}
    with Session(engine) as session:
        city = get_city(session)
        began = time.perf_counter()
        data = template_xlsx(session, city, month)
        out["template_s"] = time.perf_counter() - began
        began = time.perf_counter()
        result = import_report_sheet(session, None, "city.xlsx", data, month, submit=True)
        session.flush()
        out["import_s"] = time.perf_counter() - began
        assert result.ok, result.errors[:3]
        out["reports"] = result.saved
        out["values"] = result.saved * len(reportable_indicators("community"))
        per_street = func.count(Region.id)
        street_id, _n = session.execute(
            select(Region.parent_id, per_street)
            .where(Region.level == "community")
            .group_by(Region.parent_id)
            .order_by(per_street.desc())
            .limit(1)
        ).one()
        ids = list(
            session.scalars(
                select(Region.id).where(Region.parent_id == street_id).order_by(Region.code)
            )
        )[:20]
        began = time.perf_counter()
        approve_reports(session, None, month, ids)
        session.flush()
        out["approve_street_s"] = time.perf_counter() - began
        out["street_reports"] = len(ids)
        began = time.perf_counter()
        rest = approve_reports(session, None, month, None)
        session.flush()
        out["approve_rest_s"] = time.perf_counter() - began
        out["rest_reports"] = len(rest)
        assert compare_area_stocks(session) == []
        session.rollback()
    engine.dispose()
    out["load_end"] = os.getloadavg()[0]
    out["url"] = redact(url)
    return out


@contextmanager
def _timed_write_sessions(held: list[float]) -> Iterator[None]:
    """Time every write transaction run_write opens in this process (the write lock's hold on
    SQLite: from the turn in the writers' queue to the commit)."""
    original = db.write_session

    @contextmanager
    def timed(*args, **kwargs):
        with original(*args, **kwargs) as session:
            began = time.perf_counter()
            try:
                yield session
                session.flush()
            finally:
                held.append(time.perf_counter() - began)

    db.write_session = timed
    try:
        yield
    finally:
        db.write_session = original


def beside(url: str, month: int, writers: int, per_writer: int = 25) -> dict:
    """The import and approve-all, committed through run_write, beside paced writers."""
    from bench import activity_inserts as ai

    ai.PAUSE = (1.0, 5.0)
    communities = ai.community_ids(url)
    engine = open_store(url)
    with read_session(engine) as session:
        data = template_xlsx(session, get_city(session), month)
    marker = f"beside-{uuid4().hex[:8]}"
    stamps: list[tuple[float, float]] = []
    done: dict = {}

    def write_on() -> None:
        done["lat"], done["errors"] = ai.run_writers(
            url, writers, per_writer, marker, communities, stamps
        )

    thread = threading.Thread(target=write_on)
    thread.start()
    time.sleep(12)  # the writers at their pace first
    out: dict = {"store": engine.dialect.name, "load_start": os.getloadavg()[0]}
    held: list[float] = []  # how long each write transaction of this process lasted
    t0 = time.time()
    with _timed_write_sessions(held):
        result = run_write(engine, import_report_sheet, None, "city.xlsx", data, month, submit=True)
        t1 = time.time()
        out["import_held_s"] = sum(held)
        approved = run_write(engine, approve_reports, None, month, None)
        t2 = time.time()
        out["approve_held_s"] = sum(held) - out["import_held_s"]
    out["load_end"] = os.getloadavg()[0]
    thread.join()
    engine.dispose()
    assert result.ok, result.errors[:3]
    during = [lat for began, lat in stamps if began <= t2 and began + lat >= t0]
    out |= {
        "reports": result.saved,
        "approved": len(approved),
        "import_s": t1 - t0,
        "approve_s": t2 - t1,
        "during": len(during),
        "saves": len(done["lat"]),
        "errors": len(done["errors"]),
        # A writer process stops at its first failure, whose latency is not counted.
        "lost": len(done["lat"]) - ai.saved_count(url, marker),
        "check": ai.check_passes(url),
    }
    for name, lat in (("during", during), ("all", done["lat"])):
        for p in (0.5, 0.95, 0.99):
            out[f"{name}_p{round(p * 100)}"] = ai.percentile(lat, p) if lat else float("nan")
    out["max_during"] = max(during, default=0) * 1000
    return out


def _row(r: dict) -> str:
    store = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(r["store"], r["store"])
    return (
        f"| {store} | {r['reports']:,} ({r['values']:,} values) | {r['template_s']:.1f} | "
        f"{r['import_s']:.1f} | {r['street_reports']} | {r['approve_street_s']:.2f} | "
        f"{r['rest_reports']:,} | {r['approve_rest_s']:.1f} | "
        f"{r['load_start']:.1f} → {r['load_end']:.1f} |"
    )


HEADER = (
    "| store | imported reports | template s | import s | street reports | approve s "
    "| other reports | approve s | load |\n|---|---|---|---|---|---|---|---|---|"
)


def record(row: str) -> None:
    """Append a result row to the section of docs/performance.md (made when missing)."""
    text = PERFORMANCE_MD.read_text(encoding="utf-8")
    if SECTION not in text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{HEADER}\n"
    head, _, tail = text.partition(SECTION)
    body, sep, rest = tail.partition("\n## ")
    body = body.rstrip("\n") + "\n" + row + "\n"
    PERFORMANCE_MD.write_text(head + SECTION + body + (sep + rest if sep else ""), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--month", default="2026-01", help="a month no one has reported")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--beside", type=int, default=0, metavar="N", help="N paced writers")
    args = parser.parse_args()
    if args.beside:
        r = beside(args.db, parse_month(args.month), args.beside)
        print(
            f"{r['store']}: import {r['reports']} reports {r['import_s']:.1f} s, approve "
            f"{r['approved']} {r['approve_s']:.1f} s (write transactions held "
            f"{r['import_held_s']:.2f} / {r['approve_held_s']:.2f} s) | writers during: "
            f"{r['during']} saves p50 "
            f"{r['during_p50']:.0f} p95 {r['during_p95']:.0f} p99 {r['during_p99']:.0f} max "
            f"{r['max_during']:.0f} ms | all {r['saves']}: p50 {r['all_p50']:.0f} p95 "
            f"{r['all_p95']:.0f} p99 {r['all_p99']:.0f} ms | errors {r['errors']} lost "
            f"{r['lost']} check {'yes' if r['check'] else 'NO'} | load "
            f"{r['load_start']:.1f} -> {r['load_end']:.1f}"
        )
        return
    result = run(args.db, parse_month(args.month))
    row = _row(result)
    print(HEADER)
    print(row)
    if args.record:
        record(row)


if __name__ == "__main__":
    main()
