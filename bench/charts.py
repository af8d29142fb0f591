"""Benchmark of the chart builders (ui/charts.py): what a chart's spec costs a script run.

    python bench/charts.py [--runs 200]

Per chart, the median of --runs builds of each of the shapes the leaders' pages draw (zh and en):
- cold: the Altair builder's body (build the chart, to_dict with the schema check), what every
  run would pay without the per-shape cache, and what the first run of a shape pays;
- filled: the stored spec (chart_specs/specs.json) filled with the shape, what the app does the
  first time a shape is drawn in a process (it never imports Altair);
- cached: the spec as pages get it (a functools.cache look-up);
- hand-written: the plain Vega-Lite dicts the builders first replaced (kept here only, to
  compare costs; simpler than today's specs).
Also what `import altair` adds to a fresh process, once (Streamlit does not import it): seconds
and resident memory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chart_specs import builders  # noqa: E402
from ui import charts  # noqa: E402

SHAPES = [
    ("grouped_bars", ("区域", "得分（分）", "对比", "得分（分）")),
    ("grouped_bars", ("Region", "Score (points)", "Compared with", "Score (points)")),
    ("trend_lines", ("月份", "得分", "系列", "得分（分）")),
    ("trend_lines", ("Month", "Score", "Series", "Score (points)")),
    ("ranking_bars", ("区域", "综合指数（分）", "代码", "综合指数（分）", 14)),
    ("ranking_bars", ("Region", "Index (points)", "Code", "Index (points)", 14)),
]


def _f(name: str) -> str:
    return name.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def _hand_grouped_bars(x: str, y: str, color: str, title: str) -> dict:
    return {
        "mark": {"type": "bar"},
        "height": 300,
        "encoding": {
            "x": {"field": _f(x), "type": "nominal", "sort": None, "axis": {"labelAngle": 0}},
            "xOffset": {"field": _f(color), "type": "nominal"},
            "y": {"field": _f(y), "type": "quantitative", "title": title},
            "color": {"field": _f(color), "type": "nominal", "legend": {"orient": "top"}},
            "tooltip": [
                {"field": _f(x), "type": "nominal"},
                {"field": _f(color), "type": "nominal"},
                {"field": _f(y), "type": "quantitative", "format": ".1f"},
            ],
        },
    }


def _hand_trend_lines(x: str, y: str, color: str, title: str) -> dict:
    return {
        "mark": {"type": "line", "point": True},
        "height": 300,
        "encoding": {
            "x": {"field": _f(x), "type": "ordinal", "axis": {"labelAngle": 0}},
            "y": {
                "field": _f(y),
                "type": "quantitative",
                "title": title,
                "scale": {"zero": False},
            },
            "color": {
                "field": _f(color),
                "type": "nominal",
                "sort": None,
                "legend": {"orient": "top"},
            },
            "tooltip": [
                {"field": _f(x), "type": "ordinal"},
                {"field": _f(color), "type": "nominal"},
                {"field": _f(y), "type": "quantitative", "format": ",.1f"},
            ],
        },
    }


def _hand_ranking_bars(name: str, value: str, code: str, title: str, rows: int) -> dict:
    return {
        "mark": {"type": "bar"},
        "height": max(200, 28 * rows),
        "params": [
            {"name": charts.PICK, "select": {"type": "point", "fields": [_f(code)], "on": "click"}}
        ],
        "encoding": {
            "y": {"field": _f(name), "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": _f(value), "type": "quantitative", "title": title},
            "color": {
                "condition": {"param": charts.PICK, "value": charts.ACCENT},
                "value": charts.MUTED,
            },
            "tooltip": [
                {"field": _f(name), "type": "nominal"},
                {"field": _f(value), "type": "quantitative", "format": ",.1f"},
            ],
        },
    }


HAND = {
    "grouped_bars": _hand_grouped_bars,
    "trend_lines": _hand_trend_lines,
    "ranking_bars": _hand_ranking_bars,
}


def _median_ms(build, shape: tuple, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        build(*shape)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _import_altair() -> tuple[float, float]:
    """Seconds and resident megabytes that `import altair` adds to a fresh process that has
    imported Streamlit already (as the app's server has)."""
    code = (
        "import time, streamlit\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS:'):\n"
        "            return int(line.split()[1]) / 1024\n"
        "before, t = rss(), time.perf_counter()\n"
        "import altair\n"
        "print(time.perf_counter() - t, rss() - before)"
    )
    seconds, megabytes = subprocess.check_output([sys.executable, "-c", code], text=True).split()
    return float(seconds), float(megabytes)


def main() -> None:
    """Command line: --runs N."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="builds per shape and path")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, {os.cpu_count()} cores")
    seconds, megabytes = _import_altair()
    print(f"import altair in a fresh process after streamlit: {seconds:.2f} s, +{megabytes:.0f} MB")
    print(
        "| chart | shape | cold: Altair, checked (ms) | filled from JSON (ms) | cached (ms) |"
        " hand-written dict (ms) |"
    )
    print("|---|---|---|---|---|---|")
    for kind, shape in SHAPES:
        builder = getattr(charts, kind)
        # The hand-written dicts are those the builders first replaced (simpler: no colour
        # scales, no label limits), kept as a cost reference only; the app's specs must equal
        # the builders'.
        assert builder(*shape) == getattr(builders, kind)(*shape), f"{kind} differs"
        cold = _median_ms(getattr(builders, kind).__wrapped__, shape, args.runs)
        filled = _median_ms(builder.__wrapped__, shape, args.runs)
        cached = _median_ms(builder, shape, args.runs)
        hand = _median_ms(HAND[kind], shape, args.runs)
        print(f"| {kind} | {shape[0]} | {cold:.2f} | {filled:.3f} | {cached:.4f} | {hand:.4f} |")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")


if __name__ == "__main__":
    main()
