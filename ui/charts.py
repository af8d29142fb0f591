"""Chart specs for the pages: written in Altair (chart_specs/builders.py), drawn from their stored
JSON (chart_specs/specs.py, so that the server never imports Altair); this module adds what only
a page needs (the clicked region of a ranking chart)."""

from __future__ import annotations

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
    "arrow",
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
]


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None


def arrow(rows: list[dict]):
    """A chart's plain rows (dicts of the same columns) as an Arrow table: st.vega_lite_chart
    sends it as it is, where a DataFrame or a list would first be converted through pandas."""
    import pyarrow as pa

    return pa.Table.from_pylist(rows)
