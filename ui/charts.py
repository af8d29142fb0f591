"""Altair chart builders: pure functions from a small frame to a chart (labels translated)."""

from __future__ import annotations

import altair as alt
import pandas as pd

PICK = "pick"


def grouped_bars(frame: pd.DataFrame, x: str, y: str, color: str, unit: str) -> alt.Chart:
    """Bars of `y` by `x`, one colour per `color` value, side by side."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{color}:N"),
            y=alt.Y(f"{y}:Q", title=f"{y}（{unit}）" if unit else y),
            color=alt.Color(f"{color}:N", legend=alt.Legend(orient="top")),
            tooltip=[x, color, alt.Tooltip(f"{y}:Q", format=".1f")],
        )
        .properties(height=300)
    )


def trend_lines(frame: pd.DataFrame, x: str, y: str, color: str, unit: str) -> alt.Chart:
    """Lines of `y` over the months in `x`, one per `color` value."""
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{y}:Q", title=f"{y}（{unit}）" if unit else y, scale=alt.Scale(zero=False)),
            color=alt.Color(f"{color}:N", sort=None, legend=alt.Legend(orient="top")),
            tooltip=[x, color, alt.Tooltip(f"{y}:Q", format=",.1f")],
        )
        .properties(height=300)
    )


def ranking_bars(frame: pd.DataFrame, name: str, value: str, code: str, unit: str) -> alt.Chart:
    """Horizontal bars of regions ranked by `value`; clicking a bar selects its `code`."""
    pick = alt.selection_point(name=PICK, fields=[code], on="click")
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{name}:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=f"{value}（{unit}）" if unit else value),
            color=alt.condition(pick, alt.value("#c0392b"), alt.value("#e6a19a")),
            tooltip=[name, alt.Tooltip(f"{value}:Q", format=",.1f")],
        )
        .add_params(pick)
        .properties(height=max(160, 22 * len(frame)))
    )


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None
