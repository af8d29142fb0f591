"""Benchmark: the monthly report (月报) in bulk, on SQLite and PostgreSQL.

    python -m bench.report_import --db URL [--month 2026-01] [--record]

On the demo store: build the city's template (1,158 communities × every community-level
indicator), import it as submitted reports for a month no one has reported yet (the page's and
`report import`'s path: read in the bounded child, check every row, save_report per row), then
approve the largest street's reports at once (at most 20) and then every other submitted report
(publishing the values and updating area_stocks). Everything runs in one transaction that is
rolled back, so the store is left as it was (commit time is not counted). --record appends the
result to docs/performance.md (section "Monthly reports")."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.db import redact
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
    args = parser.parse_args()
    result = run(args.db, parse_month(args.month))
    row = _row(result)
    print(HEADER)
    print(row)
    if args.record:
        record(row)


if __name__ == "__main__":
    main()
