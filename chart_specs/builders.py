"""Chart builders, written in Altair: from a chart's shape (column labels, axis title, number of
rows) to a Vega-Lite spec, checked against the Vega-Lite schema. The app does not run them: it
draws their specs as stored in chart_specs/specs.json (`python -m chart_specs --write` writes it
from `stored_specs()`; tests/test_charts.py keeps it equal to these builders), so that no server
imports Altair. The briefing document (data_access/briefing/) may call them, with the same result.
Each builder runs once per shape (`functools.cache`): Altair's check costs about 15 ms a chart
(bench/charts.py).

Pure: imports Altair and nothing of the project but chart_specs, so that ui/ and data_access/
can both use it (tests/test_layers.py)."""

from __future__ import annotations

from functools import cache

import altair as alt

from chart_specs.specs import (
    ACCENT,
    FIELDS,
    MUTED,
    OTHER,
    PICK,
    SERIES,
    TEXTS,
    THIS_REGION,
    Spec,
    placeholder,
    ranking_height,
)
from chart_specs.specs import field as _f

# What Altair adds to a chart that has no data of its own: a placeholder dataset (the frame comes
# with each st.vega_lite_chart call instead) and its default theme's 300×300 view (Streamlit's
# theme applies, as it did to the hand-written specs these builders replaced).
_NOT_OURS = ("data", "datasets", "config")


def _spec(chart: alt.Chart) -> Spec:
    """The chart as a Vega-Lite dict, validated against Altair's bundled schema (offline).

    Shared by every caller of the same shape: read it, never change it (st.vega_lite_chart
    copies before it adds autosize)."""
    spec = chart.to_dict(validate=True)
    for part in (spec, *spec.get("layer", ())):
        for key in _NOT_OURS:
            part.pop(key, None)
    return spec


@cache
def grouped_bars(x: str, y: str, color: str, title: str) -> Spec:
    """Bars of `y` by `x`, one colour per `color` value, side by side."""
    chart = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X(field=_f(x), type="nominal", sort=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(field=_f(color), type="nominal"),
            y=alt.Y(field=_f(y), type="quantitative", title=title),
            color=alt.Color(
                field=_f(color),
                type="nominal",
                sort=None,
                scale=alt.Scale(range=[THIS_REGION, OTHER]),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip(field=_f(x), type="nominal"),
                alt.Tooltip(field=_f(color), type="nominal"),
                alt.Tooltip(field=_f(y), type="quantitative", format=".1f"),
            ],
        )
        .properties(height=300)
    )
    return _spec(chart)


@cache
def trend_lines(x: str, y: str, color: str, title: str) -> Spec:
    """Lines of `y` over the months in `x`, one per `color` value."""
    chart = (
        alt.Chart()
        .mark_line(point=True)
        .encode(
            x=alt.X(field=_f(x), type="ordinal", axis=alt.Axis(labelAngle=0)),
            y=alt.Y(field=_f(y), type="quantitative", title=title, scale=alt.Scale(zero=False)),
            # Three columns: six English names in one row ran past the chart's width and the
            # last ones were cut.
            color=alt.Color(
                field=_f(color),
                type="nominal",
                sort=None,
                scale=alt.Scale(range=list(SERIES)),
                legend=alt.Legend(orient="top", columns=3, labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip(field=_f(x), type="ordinal"),
                alt.Tooltip(field=_f(color), type="nominal"),
                alt.Tooltip(field=_f(y), type="quantitative", format=",.1f"),
            ],
        )
        .properties(height=300)
    )
    return _spec(chart)


@cache
def ranking_bars(name: str, value: str, code: str, title: str, rows: int) -> Spec:
    """Horizontal bars of regions ranked by `value`, every bar named on the axis and its value
    written at its end; clicking a bar selects its `code`."""
    pick = alt.selection_point(name=PICK, fields=[_f(code)], on="click")
    # Every name on the axis: Vega-Lite's default drops labels it finds overlapping (the
    # community ranking showed 4 of its 8 names).
    y = alt.Y(
        field=_f(name),
        type="nominal",
        sort="-x",
        title=None,
        axis=alt.Axis(labelOverlap=False, labelLimit=0),
    )
    # A fixed name for the layer the selection lives on (Altair would number it per chart made,
    # and the spec must not depend on how many charts the process made before).
    bars = (
        alt.Chart(name="bars")
        .mark_bar()
        .encode(
            color=alt.condition(pick, alt.value(ACCENT), alt.value(MUTED)),
            tooltip=[
                alt.Tooltip(field=_f(name), type="nominal"),
                alt.Tooltip(field=_f(value), type="quantitative", format=",.1f"),
            ],
        )
        .add_params(pick)
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=3)
        .encode(text=alt.Text(field=_f(value), type="quantitative", format=",.1f"))
    )
    chart = (
        alt.layer(bars, labels)
        .encode(y=y, x=alt.X(field=_f(value), type="quantitative", title=title))
        .properties(height=ranking_height(rows))
    )
    return _spec(chart)


def stored_specs() -> dict[str, Spec]:
    """Each builder's spec with placeholders for its parameters, as chart_specs/specs.json
    stores it (a ranking's height is set by its number of rows when filled)."""
    stored = {}
    for builder in (grouped_bars, trend_lines, ranking_bars):
        kind = builder.__name__
        params = [placeholder(name) for name in (*FIELDS[kind], *TEXTS)]
        stored[kind] = builder.__wrapped__(*params, *([0] if kind == "ranking_bars" else []))
    return stored
