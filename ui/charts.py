"""Chart specs for the pages: written in Altair (chart_specs/builders.py), drawn from their stored
JSON (chart_specs/specs.py, so that the server never imports Altair); this module adds what only
a page needs (the clicked region of a ranking chart)."""

from __future__ import annotations

import math

from chart_specs.specs import (
    ACCENT,
    MUTED,
    OTHER,
    PICK,
    SERIES,
    THIS_REGION,
    Spec,
    grouped_bars,
    ranking_bars,
    trend_lines,
)

__all__ = [
    "ACCENT",
    "MUTED",
    "OTHER",
    "PICK",
    "SERIES",
    "THIS_REGION",
    "Spec",
    "grouped_bars",
    "ranking_bars",
    "trend_lines",
    "with_rows",
]

# What stays at the top of a chart's spec when its rows go inside it (with_rows): the size, the
# schema's name and the selections (Vega-Lite finds a selection's views by name in any layer).
_TOP = ("$schema", "height", "width", "params")


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None


def with_rows(spec: Spec, rows: list[dict]) -> Spec:
    """The chart's spec with its plain rows in it (a new dict; the shared stored spec is left as
    it is): the spec, less what belongs at the top, becomes the one layer of a new spec, and the
    rows that layer's `data.values`. st.vega_lite_chart takes data given beside a spec or at its
    top out of it and sends them as Arrow: pyarrow and numpy on a process's first chart (part of
    a first Overview's start, issue 15), a conversion on every run. A layer's own data go in the
    spec's JSON as they are. Vega-Lite draws the same: the same selections, scales and sorts
    (tests/test_charts.py compiles both). A number that is not one (NaN) is sent as null, which
    JSON can carry."""
    top = {key: spec[key] for key in _TOP if key in spec}
    inner = {key: value for key, value in spec.items() if key not in top}
    values = [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in rows
    ]
    return {"layer": [{**inner, "data": {"values": values}}], **top}
