"""Benchmark of the map page (地图): script-run time cold and warm at each drill level and the size
of the deck JSON sent to the browser; optionally recorded into docs/performance.md. With
--browser, the same journey in headless Chromium for a baseline commit and this checkout in one
run (bench/map_browser.py), recorded into its own section.

    python -m seed_data --db sqlite:///data/bench5m.db --activities 5000000
    python bench/bench_map.py --db sqlite:///data/bench5m.db --record
    python bench/bench_map.py --db sqlite:///data/happy.db --browser --baseline 32ea664 --record

Cold: Streamlit's caches cleared before the run (every query runs). Warm: the same view again,
as any later visitor of the same view and period sees it (median of --runs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench_map:start -->", "<!-- bench_map:end -->"
BROWSER_START, BROWSER_END = "<!-- bench_map_browser:start -->", "<!-- bench_map_browser:end -->"
VIEWS = [
    ("city", "index"),
    ("city", "ind.disputes_mediated"),
    ("district", "index"),
    ("district", "pillar.safety"),
    ("street", "index"),
    ("community", "ind.hotline_satisfaction_rate"),
]


def _codes(url: str) -> tuple[dict[str, str], int]:
    from sqlalchemy import func, select

    from data_access.db import read_session
    from data_access.models import Activity
    from data_access.regions import get_city, list_children
    from data_access.store import open_store

    engine = open_store(url)
    with read_session(engine) as session:
        city = get_city(session)
        districts = list_children(session, city.id)
        # The district with most streets: the heaviest drill-down.
        district = max(districts, key=lambda d: len(list_children(session, d.id)))
        street = max(list_children(session, district.id), key=lambda s: s.population)
        community = list_children(session, street.id)[0]
        activities = session.scalar(select(func.count()).select_from(Activity)) or 0
    engine.dispose()
    codes = {
        "city": city.code,
        "district": district.code,
        "street": street.code,
        "community": community.code,
    }
    return codes, activities


def _run(code: str, measure: str):
    from bench.signin import signed_in_app

    at = signed_in_app(os.environ["HAPPY_DB_URL"])
    at.query_params["region"] = code
    at.query_params["map_measure"] = measure
    at.query_params["period"] = "2025"
    at.run()
    at.switch_page("app_pages/map.py")
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the map page failed: {at.exception[0].message}")
    size = len(at.get("deck_gl_json_chart")[0].proto.json.encode())
    return elapsed, size


def bench(url: str, runs: int) -> tuple[list[dict], int]:
    """Cold and warm script-run times and deck sizes for each view."""
    from data_access import cached

    os.environ["HAPPY_DB_URL"] = url
    os.chdir(ROOT)
    codes, activities = _codes(url)
    rows = []
    for level, measure in VIEWS:
        cached.clear_readers()
        cold, size = _run(codes[level], measure)
        warm = statistics.median(_run(codes[level], measure)[0] for _ in range(runs))
        rows.append(
            {
                "level": level,
                "measure": measure,
                "code": codes[level],
                "cold_s": cold,
                "warm_s": warm,
                "deck_bytes": size,
            }
        )
        print(json.dumps(rows[-1]))
    return rows, activities


def record(rows: list[dict], activities: int, url: str) -> None:
    """Replace the map section of docs/performance.md with these results."""
    backend = url.split(":", 1)[0]
    lines = [
        START,
        "## Map page (地图)",
        "",
        f"`python bench/bench_map.py --record` on {datetime.now(UTC):%Y-%m-%d}, "
        f"{backend}, {activities:,} activities, period 2025, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU cores (shared with other work while measured).",
        "Script run = the page's Streamlit script run (router + map page) in AppTest; cold = "
        "caches cleared, warm = the same view again (median). Deck = the JSON of the pydeck chart "
        "sent to the browser.",
        "",
        "| level | colour by | cold run (s) | warm run (s) | deck JSON |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['level']} | `{row['measure']}` | {row['cold_s']:.2f} | {row['warm_s']:.3f} "
            f"| {row['deck_bytes'] / 1024:,.0f} KB |"
        )
    worst_warm = max(r["warm_s"] for r in rows)
    worst_deck = max(r["deck_bytes"] for r in rows)
    lines += [
        "",
        f"Targets: warm run under 1 s (worst {worst_warm:.3f} s), deck under 2 MB "
        f"(largest {worst_deck / 1024:,.0f} KB). The map reads the area summaries for district "
        "and street colours and the community rollups below (a few GROUP BY queries per view "
        "and period, never the raw activities) and sends one weighted "
        "point per community for the density layer, so its cost depends on the number of regions, "
        "not of activities. District boundaries are coverage-simplified per drill level.",
        END,
    ]
    _write_section("\n".join(lines), START, END)


def _write_section(section: str, start: str, end: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Performance\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def _median(runs: list[list[dict]], step: int, field: str) -> float:
    values = [journey[step][field] for journey in runs if journey[step][field] is not None]
    return statistics.median(values) if values else float("nan")


def record_browser(results: dict, url: str, load: tuple[str, str]) -> None:
    """Write the browser timeline section of docs/performance.md."""
    rounds = min(len(runs) for runs in results.values())
    lines = [
        BROWSER_START,
        "### Map in the browser: where the seconds go",
        "",
        f"`python bench/bench_map.py --browser --baseline … --record` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {url.split(':', 1)[0]} demo store, headless "
        f"Chromium as in the browser tests (`--disable-gpu`: WebGL is SwiftShader, drawn by the "
        f"CPU), {os.cpu_count()} CPU cores shared with other work; `uptime` before: "
        f"{load[0]}; after: {load[1]}. Each tree (the baseline commit, extracted with `git "
        f"archive`, and this checkout) runs its own `streamlit run` over the same store; one "
        f"journey warms the server's caches, then {rounds} measured journeys each (medians; ms "
        "from the click or navigation).",
        "",
        "Columns: *server* = until the script run's `script_finished` message arrived "
        "(websocket, decoded ForwardMsgs); *deck msg* = the deck's delta arrived; *settled* = "
        "the browser's main thread had no long task for 1.5 s after that (the map drawn and "
        "idle); *main-thread work* = the long tasks after the deck arrived (deck.gl: JSON "
        "conversion, layers, shader compilation and drawing, synchronous WebGL calls that wait "
        "for the software renderer); *JS* = CDP `Performance.getMetrics` ScriptDuration in the "
        "step; *contexts* = new canvases / WebGL contexts (a rebuilt deck makes both).",
        "",
        "| step | tree | server | deck msg | settled | main-thread work | JS | contexts | deck |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    steps = next(iter(results.values()))[0]
    for index, step in enumerate(steps):
        for tree, runs in results.items():
            med = partial(_median, runs, index)
            lines.append(
                f"| {step['step']} | {tree} | {med('script_finished_ms'):,.0f} "
                f"| {med('deck_msg_ms'):,.0f} | {med('settled_ms'):,.0f} "
                f"| {med('long_task_after_deck_ms'):,.0f} | {med('ScriptDuration_ms'):,.0f} "
                f"| {med('new_canvases'):.0f} / {med('new_webgl_contexts'):.0f} "
                f"| {med('deck_bytes') / 1024:,.0f} KB |"
            )
    first = {tree: runs[0][0] for tree, runs in results.items()}
    bundle = next(iter(first.values())).get("deck_bundle") or []
    if bundle:
        size = max(b["bytes"] for b in bundle)
        lines += [
            "",
            f"On opening, the page also downloads Streamlit's deck.gl bundle ({size / 1e6:.1f} MB "
            "of JavaScript, fetched when the first map is shown) and compiles it.",
        ]
    lines.append(BROWSER_END)
    _write_section("\n".join(lines), BROWSER_START, BROWSER_END)


def _uptime() -> str:
    import subprocess

    out = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    return "load average" + out.rsplit("load average", 1)[-1].strip()


def main() -> None:
    """Command line: --db URL, --runs N, --record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("HAPPY_DB_URL"), help="database URL")
    parser.add_argument("--runs", type=int, default=5, help="warm runs per view (median)")
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    parser.add_argument("--browser", action="store_true", help="the journey in Chromium")
    parser.add_argument("--baseline", help="with --browser: a commit to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="with --browser: journeys a tree")
    args = parser.parse_args()
    if not args.db:
        parser.error("give --db URL or set HAPPY_DB_URL")
    if args.browser:
        from bench import map_browser

        load_before = _uptime()
        results = map_browser.run(args.db, args.baseline, args.rounds)
        load_after = _uptime()
        print(json.dumps(results, indent=1))
        if args.record:
            record_browser(results, args.db, (load_before, load_after))
        return
    rows, activities = bench(args.db, args.runs)
    if args.record:
        record(rows, activities, args.db)


if __name__ == "__main__":
    main()
