"""Charts a person can read: 'this region' keeps its colour at every level, legends name every
series, rankings name and label every bar (read from the spec and data the page sends)."""

from __future__ import annotations

import os

import pytest

from data_access.db import read_session
from data_access.regions import get_city, list_children
from data_access.store import open_store
from tests.auth_helpers import app_as
from tests.chart_read import drawn
from ui import charts


@pytest.fixture(scope="module")
def chain(sqlite_url) -> dict[str, str]:
    """A region code at each level that has a comparison: city, district, street, community."""
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        region, codes = get_city(session), {}
        while region is not None and region.level != "grid":
            codes[region.level] = region.code
            kids = list_children(session, region.id)
            region = kids[-1] if kids else None
    engine.dispose()
    return codes


def _colour_of(spec: dict, rows: list[dict], series: str) -> str:
    """The colour Vega-Lite gives a series: sort=None keeps the rows' order for the domain."""
    color = spec["encoding"]["color"]
    assert color.get("sort", "ascending") is None
    domain = list(dict.fromkeys(row[color["field"]] for row in rows))
    return color["scale"]["range"][domain.index(series) % len(color["scale"]["range"])]


@pytest.mark.parametrize("level", ["city", "district", "street", "community"])
def test_this_region_has_the_same_colour_at_every_level(app_env, chain, level):
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh", region=chain[level], period="2025")
    assert not at.exception
    (spec, rows), *_ = [(s, r) for s, r in drawn(at) if "xOffset" in s.get("encoding", {})]
    name = at.query_params["region"]
    series = spec["encoding"]["color"]["field"]
    this_name, other_name = list(dict.fromkeys(row[series] for row in rows))
    assert name == chain[level]
    heading = " ".join(h.value for h in at.subheader)
    assert this_name in heading and other_name not in heading  # the first series is this region
    assert _colour_of(spec, rows, this_name) == charts.THIS_REGION
    assert _colour_of(spec, rows, other_name) == charts.OTHER
    assert spec["encoding"]["color"]["legend"]["labelLimit"] == 0  # names never cut


def test_the_trend_legend_names_all_six_series_in_rows_that_fit():
    spec = charts.trend_lines("Month", "Score", "Series", "Score (points)")
    legend = spec["encoding"]["color"]["legend"]
    assert legend["columns"] == 3 and legend["labelLimit"] == 0
    assert len(spec["encoding"]["color"]["scale"]["range"]) >= 6


@pytest.mark.parametrize("level", ["city", "street"])
def test_rankings_name_and_label_every_bar(app_env, chain, level):
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh", region=chain[level], period="2025")
    rankings = [(s, r) for s, r in drawn(at) if "layer" in s]
    assert rankings and not at.exception
    for spec, rows in rankings:
        axis = spec["encoding"]["y"]
        assert axis["axis"]["labelOverlap"] is False  # no name dropped
        marks = {layer["mark"]["type"]: layer for layer in spec["layer"]}
        assert marks["text"]["encoding"]["text"]["field"] == spec["encoding"]["x"]["field"]
        assert spec["height"] >= 28 * len(rows)  # room for every bar's name
