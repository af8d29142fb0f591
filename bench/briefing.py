"""Benchmark: how long a briefing (汇报材料) takes to build, phase by phase, on a store you name:

    python -m bench.briefing --db sqlite:///data/happy.db [--region CODE] [--period 2025Q3]

Builds the region's (default: the city's) briefing in both formats twice in one process (the
first pays the imports, Altair's schema checks of the chart shapes and vl-convert's start; the
second is what every later button press costs) and, as the baseline in the same run, times the
index alone (scoring.get_index, what the Overview's numbers cost). Writes the "briefing"
section of docs/performance.md with the machine, its load and the store's size."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

from sqlalchemy import func, select

from bench.perfdoc import machine_summary, write_section
from data_access.briefing.build import read_briefing, write_briefing
from data_access.briefing.compose import charts_of, compose
from data_access.briefing.images import chart_png
from data_access.db import read_session, redact
from data_access.models import Activity
from data_access.periods import parse_period
from data_access.regions import get_city, get_region
from data_access.scoring import get_index
from data_access.store import open_store


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def one_build(engine, code: str, period, lang: str) -> dict[str, float]:
    """One briefing in both formats, each phase timed (seconds)."""
    briefing, read_s = _timed(read_briefing, engine, code, period, today=date.today())
    blocks, compose_s = _timed(compose, lang, briefing)
    charts = charts_of(blocks)
    start = time.perf_counter()
    for chart in charts:
        chart.png = chart_png(chart.spec, chart.rows)
    charts_s = time.perf_counter() - start
    from data_access.briefing.docx_file import write_docx
    from data_access.briefing.pdf_file import write_pdf

    docx, docx_s = _timed(write_docx, blocks, lang, "bench")
    pdf, pdf_s = _timed(write_pdf, blocks, lang, "bench")
    return {
        "read": read_s,
        "compose": compose_s,
        "charts": charts_s,
        "n_charts": len(charts),
        "docx": docx_s,
        "pdf": pdf_s,
        "docx_kb": len(docx) / 1024,
        "pdf_kb": len(pdf) / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--region", help="region code (default: the city)")
    parser.add_argument("--period", default="2025Q3")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"])
    parser.add_argument("--no-write", action="store_true", help="print, do not record")
    args = parser.parse_args(argv)
    period = parse_period(args.period)
    engine = open_store(args.db)
    with read_session(engine) as session:
        city = get_city(session)
        region = get_region(session, args.region) if args.region else city
        activities = session.execute(select(func.count()).select_from(Activity)).scalar_one()
        _, index_s = _timed(get_index, session, region, city, period)
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(2):
        total_start = time.perf_counter()
        phases = one_build(engine, region.code, period, args.lang)
        phases["total"] = time.perf_counter() - total_start
        runs.append(phases)
    # The whole path as the Overview's button runs it (charts drawn once for both formats).
    _, button_s = _timed(
        write_briefing,
        read_briefing(engine, region.code, period, today=date.today()),
        ("docx", "pdf"),
        args.lang,
    )
    load_after = os.getloadavg()[0]
    engine.dispose()

    rows = [
        "| build | read figures | lay out (Altair specs) | charts (PNG) | .docx | .pdf | total |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in zip(("first in the process", "second"), runs, strict=True):
        rows.append(
            f"| {name} | {r['read']:.2f} | {r['compose']:.2f} | {r['charts']:.2f} "
            f"({r['n_charts']}) | {r['docx']:.2f} | {r['pdf']:.2f} | {r['total']:.2f} |"
        )
    body = "\n".join(
        [
            f"`python -m bench.briefing --db {redact(args.db)} --period {period}"
            f"{' --region ' + region.code if args.region else ''}`: the briefing of "
            f"{region.name_en} ({region.level}) for {period}, in {args.lang}, on a store of "
            f"{activities:,} activities. Seconds:",
            "",
            *rows,
            "",
            f"- The button's path (figures read, charts drawn once, both formats written): "
            f"{button_s:.2f} s.",
            f"- Baseline in the same run: the region's index alone (scoring.get_index, the "
            f"Overview's numbers): {index_s:.3f} s.",
            f"- Files: .docx {runs[-1]['docx_kb']:.0f} KB, .pdf {runs[-1]['pdf_kb']:.0f} KB "
            "(the CJK font embedded as a subset).",
            f"- Machine: {machine_summary()}; load average {load_before:.1f} before, "
            f"{load_after:.1f} after (shared with other work: the charts' share grows with it).",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("briefing", "Briefing document (bench/briefing.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
