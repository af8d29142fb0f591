"""Chart specs: every chart the leaders' pages draw, in both languages, validates against the
Vega-Lite schema Altair ships (no network) and fetches nothing; a misspelt spec fails that check;
the stored specs the app draws (chart_specs/specs.json) are what the Altair builders make, shape
by shape; a chart's spec is made once per shape and drawing it leaves the shared spec as it was."""

from __future__ import annotations

import copy
import json
import os
import re

import altair as alt
import pytest
from altair.utils.schemapi import SchemaValidationError, validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema
from streamlit.testing.v1 import AppTest

from chart_specs import builders
from chart_specs.__main__ import stored_text
from chart_specs.specs import STORED
from tests.auth_helpers import app_as
from tests.chart_read import unwrap
from ui import charts

SCHEMA = load_schema()  # altair/vegalite/v6/schema/vega-lite-schema.json, read from the package
VIEW_PAGES = ["app_pages/overview.py"] + [
    f"app_pages/{key}.py"
    for key in ("organization", "governance", "service", "neighborliness", "safety")
]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _problem(spec: dict) -> str | None:
    """What the schema says is wrong with a spec as st.vega_lite_chart completes it (its frame
    becomes the chart's data), or None."""
    error = validate_jsonschema({**spec, "data": {"name": "frame"}}, SCHEMA, raise_error=False)
    return None if error is None else error.message


def _drawn(at: AppTest) -> list[dict]:
    """The Vega-Lite specs of the charts a page run drew, as sent to the browser."""
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _kind(spec: dict) -> str:
    if "params" in spec:
        return "ranking_bars"
    return "grouped_bars" if "xOffset" in spec["encoding"] else spec["mark"]["type"]


def _strings(node) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [key, *_strings(value)]]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_the_views_draw_is_valid_vega_lite_and_fetches_nothing(app_env, lang):
    specs = []
    for page in VIEW_PAGES:
        at = app_as(os.environ["HAPPY_DB_URL"], "admin", lang, page, period="2025")
        assert not at.exception
        specs += _drawn(at)
    assert {_kind(unwrap(s)[0]) for s in specs} == {"grouped_bars", "line", "ranking_bars"}
    for sent in specs:
        assert _problem(sent) is None, (_problem(sent), sent)
        assert not [s for s in _strings(sent) if "//" in s and s != alt.SCHEMA_URL], sent
        spec = unwrap(sent)[0]
        # Streamlit bundles Vega-Lite 6; $schema names the version and is never fetched.
        assert spec.pop("$schema") == alt.SCHEMA_URL
        assert alt.SCHEMA_VERSION.startswith("v6.")
        assert not [s for s in _strings(spec) if "//" in s or s == "url"], spec
        titles = [spec["encoding"][axis].get("title") for axis in ("x", "y")]
        shown = [title for title in titles if title]
        assert shown and all(bool(CJK.search(title)) == (lang == "zh") for title in shown), titles


def test_a_misspelt_type_fails_the_schema_check():
    spec = copy.deepcopy(charts.grouped_bars("区域", "得分", "对比", "得分（分）"))
    assert _problem(spec) is None
    spec["encoding"]["y"]["type"] = "quantitive"
    assert _problem(spec) is not None
    with pytest.raises(SchemaValidationError, match="quantitive"):
        alt.Chart().mark_bar().encode(y=alt.Y(field="得分", type="quantitive")).to_dict()


SHAPES = [
    (charts.grouped_bars, ("区域", "得分（分）", "对比", "得分（分）")),
    (charts.grouped_bars, ("Region", "Score (points)", "Compared with", "Score (points)")),
    (charts.trend_lines, ("月份", "得分（分）", "系列", "得分（分）")),
    (charts.trend_lines, ("Month", "Score (points)", "Series", "Score (points)")),
    (charts.ranking_bars, ("区域", "综合指数（分）", "代码", "综合指数（分）", 14)),
    (charts.ranking_bars, ("Region", "Index (points)", "Code", "Index (points)", 14)),
    (charts.ranking_bars, ("Region", "Index (points)", "Code", "Index (points)", 3)),
]


@pytest.mark.parametrize("builder, shape", SHAPES)
def test_each_builder_makes_a_valid_spec(builder, shape):
    assert _problem(builder(*shape)) is None


# Labels Vega-Lite or Altair could read as more than a name: dots, brackets, a type shorthand.
ODD_SHAPES = [
    (charts.grouped_bars, ("a.b", "y[0]", "x:Q", "")),
    (charts.trend_lines, ("月.份", "得分 (分)", "series:N", "a.b")),
    (charts.ranking_bars, ("r[1]", "v.w", "r[1]", "v.w", 40)),
]


def test_the_stored_specs_are_what_the_builders_make_now():
    # After changing a builder: `python -m chart_specs --write`.
    assert STORED.read_text(encoding="utf-8") == stored_text()


@pytest.mark.parametrize("drawn, shape", SHAPES + ODD_SHAPES)
def test_each_stored_spec_filled_equals_its_builder(drawn, shape):
    built = getattr(builders, drawn.__name__).__wrapped__(*shape)
    assert drawn(*shape) == built
    assert json.dumps(drawn(*shape)) == json.dumps(built)  # the same order too


def test_a_shape_is_built_once_per_process(monkeypatch):
    built = []

    def counting(cls):
        to_dict = cls.to_dict

        def counted(chart, *args, **kwargs):
            if kwargs.get("validate", True) is True:
                built.append(chart)  # a chart built and checked (a layer's parts are not)
            return to_dict(chart, *args, **kwargs)

        monkeypatch.setattr(cls, "to_dict", counted)

    counting(alt.Chart)
    counting(alt.LayerChart)
    # Shapes no other test has built, so the count does not depend on the order tests run in.
    shapes = [(b, tuple(f"{a} 一次" if isinstance(a, str) else a for a in s)) for b, s in SHAPES]
    for module in (builders, charts):
        first = [getattr(module, b.__name__)(*shape) for b, shape in shapes]
        again = [getattr(module, b.__name__)(*shape) for b, shape in shapes]
        assert all(a is b for a, b in zip(first, again, strict=True))
        assert first[0] != first[1] and first[5] != first[6]  # another language, another size
    assert len(built) == len(shapes)  # the builders, once each; the stored specs never build


def _draws_every_kind() -> None:
    import pandas as pd
    import streamlit as st

    from ui import charts

    frame = pd.DataFrame({"区域": ["甲", "乙"], "得分": [1.0, 2.0], "代码": ["1", "2"]})
    st.vega_lite_chart(frame, charts.grouped_bars("区域", "得分", "代码", "得分"))
    st.vega_lite_chart(frame, charts.trend_lines("区域", "得分", "代码", "得分"), width="stretch")
    st.vega_lite_chart(
        frame,
        charts.ranking_bars("区域", "得分", "代码", "得分", 2),
        width="stretch",
        on_select="rerun",
        selection_mode=charts.PICK,
        key="ranking",
    )


def test_drawing_leaves_the_shared_spec_as_built():
    at = AppTest.from_function(_draws_every_kind).run()
    assert not at.exception
    assert len(_drawn(at)) == 3
    for builder, shape in [
        (charts.grouped_bars, ("区域", "得分", "代码", "得分")),
        (charts.trend_lines, ("区域", "得分", "代码", "得分")),
        (charts.ranking_bars, ("区域", "得分", "代码", "得分", 2)),
    ]:
        assert builder(*shape) == builder.__wrapped__(*shape)


def _compiled(spec: dict) -> tuple:
    """What Vega-Lite makes of a spec, as far as a reader sees it: the selections (signals),
    each scale's type and domain order, the marks' types."""
    import vl_convert

    vega = vl_convert.vegalite_to_vega(spec)
    domains = [
        (s["name"], s["type"], s["domain"].get("sort") if isinstance(s["domain"], dict) else None)
        for s in vega["scales"]
    ]
    marks = []
    stack = list(vega.get("marks", []))
    while stack:
        mark = stack.pop(0)
        marks.append(mark["type"])
        stack[:0] = mark.get("marks", [])
    return sorted(s["name"] for s in vega.get("signals", [])), domains, marks


@pytest.mark.parametrize("builder, shape", SHAPES[::2] + ODD_SHAPES)
def test_a_charts_rows_inside_its_spec_draw_what_they_drew_beside_it(builder, shape):
    """charts.with_rows: the rows go inside the spec as they are (order, values, Chinese text; a
    NaN as null), the shared spec is left as built, the result is valid Vega-Lite and compiles
    to the same selections, scales, domain orders and marks as the rows given at the top."""
    spec = builder(*shape)
    before = copy.deepcopy(spec)
    a, b, c = shape[:3]
    rows = [
        {a: "和平区", b: 1, c: "210102"},
        {a: "沈河区", b: 2.5, c: "210103"},
        {a: "铁西区", b: float("nan"), c: "210106"},
    ]
    sent = charts.with_rows(spec, rows)
    assert spec == before
    assert _problem(sent) is None
    plain = [*rows[:2], {a: "铁西区", b: None, c: "210106"}]
    assert unwrap(sent) == (spec, plain)
    json.loads(json.dumps(sent, allow_nan=False))  # JSON the browser can read
    assert _compiled(sent) == _compiled({**spec, "data": {"values": plain}})
