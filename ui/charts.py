"""Chart builders for the pages: the specs are built in chart_specs/builders.py (pure, shared
with the briefing document, data_access/briefing/); this module adds what only a page needs (the
clicked region of a ranking chart)."""

from __future__ import annotations

from chart_specs.builders import (
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
]


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None
