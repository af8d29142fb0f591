"""Benchmark: how long a briefing (汇报材料) takes to build, phase by phase, on a store you name:

    python -m bench.briefing --db sqlite:///data/happy.db [--region CODE] [--period 2025Q3]
        [--baseline /path/to/a/checkout]

Builds in one process the region's (default: the city's) briefing in both formats three times:
first in the process (it pays the imports, Altair's schema checks of the chart shapes and
vl-convert's start), the same again (what pressing the button again costs in a server), and then
a child region's that the process has not drawn (the first press for another region in a warm
server). As baselines in the same run: the index alone (scoring.get_index, what the Overview's
numbers cost) and, with --baseline, the same three builds by another checkout's code (e.g.
`git worktree add /tmp/main main`), run in a child process. Writes the "briefing" section of
docs/performance.md with the machine, its load and the store's size."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)  # run as a file (the child): its modules come from PYTHONPATH's checkout
PHASES = ("read", "compose", "charts", "docx", "pdf", "total")
HEADER = "| code | build | read figures | lay out | charts (PNG) | .docx | .pdf | total |"


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def one_build(engine, code: str, period, lang: str) -> dict[str, float]:
    """One briefing in both formats, each phase timed (seconds), the charts drawn once as the
    button does."""
    from data_access.briefing.build import read_briefing
    from data_access.briefing.compose import charts_of, compose
    from data_access.briefing.docx_file import write_docx
    from data_access.briefing.images import chart_png
    from data_access.briefing.pdf_file import write_pdf

    total = time.perf_counter()
    briefing, read_s = _timed(read_briefing, engine, code, period, today=date.today())
    blocks, compose_s = _timed(compose, lang, briefing)
    charts = charts_of(blocks)
    start = time.perf_counter()
    for chart in charts:
        chart.png = chart_png(chart.spec, chart.rows)
    charts_s = time.perf_counter() - start
    docx, docx_s = _timed(write_docx, blocks, lang, "bench")
    pdf, pdf_s = _timed(write_pdf, blocks, lang, "bench")
    return {
        "read": read_s,
        "compose": compose_s,
        "charts": charts_s,
        "n_charts": len(charts),
        "docx": docx_s,
        "pdf": pdf_s,
        "total": time.perf_counter() - total,
        "docx_kb": len(docx) / 1024,
        "pdf_kb": len(pdf) / 1024,
    }


def three_builds(db: str, code: str | None, period_text: str, lang: str) -> dict:
    """The three builds of the module's docstring, in this process, with what they built."""
    from data_access.db import read_session
    from data_access.periods import parse_period
    from data_access.regions import get_city, get_region, list_children
    from data_access.store import open_store

    period = parse_period(period_text)
    engine = open_store(db)
    with read_session(engine) as session:
        region = get_region(session, code) if code else get_city(session)
        kids = list_children(session, region.id)
        other = kids[len(kids) // 2].code if kids else region.code
    runs = [
        ("first in the process", region.code, one_build(engine, region.code, period, lang)),
        ("the same again", region.code, one_build(engine, region.code, period, lang)),
        ("a child region, first time", other, one_build(engine, other, period, lang)),
    ]
    engine.dispose()
    return {"runs": runs, "font": _font_used()}


def _font_used() -> str:
    try:
        from data_access.briefing.pdf_file import pdf_font
    except ImportError:
        return "the whole CJK face"
    return "the whole CJK face" if pdf_font()[2] else "the common characters' cut (cached)"


def _baseline(checkout: Path, args) -> dict:
    """The three builds by another checkout's code (this script, that checkout's modules)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--db", args.db, "--child"]
    command += ["--period", args.period, "--lang", args.lang]
    command += ["--region", args.region] if args.region else []
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(command, cwd=checkout, env=env, check=True, capture_output=True)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def _commit(checkout: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h"], capture_output=True, text=True
    )
    return out.stdout.strip() or "?"


def _rows(label: str, result: dict) -> list[str]:
    return [
        f"| {label} | {name} ({code}) | {r['read']:.2f} | {r['compose']:.2f} | "
        f"{r['charts']:.2f} ({r['n_charts']}) | {r['docx']:.2f} | {r['pdf']:.2f} | "
        f"**{r['total']:.2f}** |"
        for name, code, r in result["runs"]
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--region", help="region code (default: the city)")
    parser.add_argument("--period", default="2025Q3")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"])
    parser.add_argument("--baseline", type=Path, help="a checkout whose code to time as well")
    parser.add_argument("--no-write", action="store_true", help="print, do not record")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(three_builds(args.db, args.region, args.period, args.lang)))
        return 0

    from sqlalchemy import func, select

    from bench.perfdoc import machine_summary, write_section
    from data_access.db import read_session, redact
    from data_access.models import Activity
    from data_access.periods import parse_period
    from data_access.regions import get_city, get_region
    from data_access.scoring import get_index
    from data_access.store import open_store

    period = parse_period(args.period)
    engine = open_store(args.db)
    with read_session(engine) as session:
        city = get_city(session)
        region = get_region(session, args.region) if args.region else city
        activities = session.execute(select(func.count()).select_from(Activity)).scalar_one()
        _, index_s = _timed(get_index, session, region, city, period)
    engine.dispose()
    uptime_before = os.getloadavg()
    # This tree's builds run in a child process too, so both start cold alike.
    ours = _baseline(ROOT, args)
    base = _baseline(args.baseline.resolve(), args) if args.baseline else None
    uptime_after = os.getloadavg()

    rows = [HEADER, "|---|---|---|---|---|---|---|---|"]
    rows += _rows(f"this tree ({_commit(ROOT)})", ours)
    if base:
        rows += _rows(f"baseline ({_commit(args.baseline)})", base)
    last = ours["runs"][0][2]
    body = "\n".join(
        [
            f"`python -m bench.briefing --db {redact(args.db)} --period {period}"
            f"{' --region ' + region.code if args.region else ''}"
            f"{' --baseline ' + str(args.baseline) if args.baseline else ''}`: the briefing of "
            f"{region.name_en} ({region.level}) for {period}, in {args.lang}, both formats, on a "
            f"store of {activities:,} activities; each tree's three builds in one child process. "
            "Seconds:",
            "",
            *rows,
            "",
            f"- PDF font: this tree used {ours['font']}"
            + (f"; the baseline {base['font']}." if base else "."),
            f"- Baseline in the same run: the region's index alone (scoring.get_index, the "
            f"Overview's numbers): {index_s:.3f} s.",
            f"- Files: .docx {last['docx_kb']:.0f} KB, .pdf {last['pdf_kb']:.0f} KB "
            "(the CJK font embedded as a subset).",
            f"- Machine: {machine_summary()}; load average (1, 5, 15 min) "
            f"{', '.join(f'{x:.1f}' for x in uptime_before)} before, "
            f"{', '.join(f'{x:.1f}' for x in uptime_after)} after.",
        ]
    )
    print(body)
    if not args.no_write:
        write_section("briefing", "Briefing document (bench/briefing.py)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
