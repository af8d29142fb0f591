"""The chart specs as the app draws them: the Vega-Lite that the Altair builders
(chart_specs/builders.py) make, stored as JSON (chart_specs/specs.json, written by
`python -m chart_specs --write`) with placeholders where a chart's shape goes, and filled here
in plain dicts. A process that draws charts never imports Altair: importing it (and jsonschema,
which its check needs) was the largest part of a server's start (issue 15, bench/start.py).
tests/test_charts.py keeps the stored JSON equal to what the builders make, shape by shape.

Same functions, same arguments and same dicts as the builders: labels are translated by the
caller; each shape is filled once per process (`functools.cache`) and shared: read it, never
change it (st.vega_lite_chart copies before it adds autosize)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

Spec = dict[str, Any]

STORED = Path(__file__).with_name("specs.json")
PICK = "pick"
ACCENT = "#c0392b"
MUTED = "#e6a19a"
# Colours keep their meaning on every level: the region being viewed is always the first series
# of its frame and always THIS_REGION; what it is compared with (the parent region, the average
# of the children) always OTHER. The colour scale takes the series in the frame's order
# (sort=None), not in the order of their names, which swapped the two at community level.
THIS_REGION = "#1f4e9c"
OTHER = "#9dbfe6"
# The trend's six series (the index first, then the five pillars in their fixed order).
SERIES = ("#c0392b", "#1f4e9c", "#2e8b57", "#e08e0b", "#7b4fa3", "#17a2b8")
# Each builder's parameters that name a column (a field, escaped) or are shown as they are (text);
# the stored spec holds `placeholder(name)` in their place. A ranking's `rows` sets its height.
FIELDS = {
    "grouped_bars": ("x", "y", "color"),
    "trend_lines": ("x", "y", "color"),
    "ranking_bars": ("name", "value", "code"),
}
TEXTS = ("title",)


def placeholder(name: str) -> str:
    """What stands for a parameter in the stored spec."""
    return f"<<{name}>>"


def field(name: str) -> str:
    """A column label as a Vega-Lite field: dots and brackets would be read as nested access."""
    return name.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def ranking_height(rows: int) -> int:
    """A ranking chart's height: room for every bar's name."""
    return max(200, 28 * rows)


@cache
def _stored() -> dict[str, Spec]:
    return json.loads(STORED.read_text(encoding="utf-8"))


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value, values) for value in node]
    if isinstance(node, str) and node.startswith("<<"):
        return values[node]
    return node


def fill(kind: str, **params: str) -> Spec:
    """The stored spec of a builder (`kind`) with its parameters put in (a new dict)."""
    values = {placeholder(k): field(v) if k in FIELDS[kind] else v for k, v in params.items()}
    return _fill(_stored()[kind], values)


@cache
def grouped_bars(x: str, y: str, color: str, title: str) -> Spec:
    """Bars of `y` by `x`, one colour per `color` value, side by side."""
    return fill("grouped_bars", x=x, y=y, color=color, title=title)


@cache
def trend_lines(x: str, y: str, color: str, title: str) -> Spec:
    """Lines of `y` over the months in `x`, one per `color` value."""
    return fill("trend_lines", x=x, y=y, color=color, title=title)


@cache
def ranking_bars(name: str, value: str, code: str, title: str, rows: int) -> Spec:
    """Horizontal bars of regions ranked by `value`, every bar named on the axis and its value
    written at its end; clicking a bar selects its `code`."""
    spec = fill("ranking_bars", name=name, value=value, code=code, title=title)
    spec["height"] = ranking_height(rows)
    return spec
