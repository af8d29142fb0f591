"""The map's pure pieces: coordinate conversion, colour classes, legend, tooltips, the deck."""

from __future__ import annotations

import json
import math
from urllib.parse import unquote

import pytest

from data_access.regions import RegionInfo
from ui import map_layers as ml
from ui.coords import (
    convert_geometry,
    converter,
    gcj02_to_wgs84,
    outside_china,
    wgs84_to_gcj02,
)

# (WGS-84 lat, lon, GCJ-02 lat, lon): the reference points of eviltransform's test suite
# (googollee/eviltransform, MIT), from the published GCJ-02 algorithm.
KNOWN = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def _region(population: int) -> RegionInfo:
    return RegionInfo(1, "210102", "district", None, "和平区", "Heping", 41.8, 123.4, population, 0)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), KNOWN)
def test_wgs84_to_gcj02_matches_known_points(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), KNOWN)
def test_gcj02_to_wgs84_inverts_to_under_a_centimetre(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert abs(lon - wlon) < 1e-7 and abs(lat - wlat) < 1e-7  # 1e-7 degrees ≈ 1 cm


def test_shenyang_offset_is_hundreds_of_metres_and_round_trips():
    lon, lat = 123.4315, 41.8057  # central Shenyang, GCJ-02
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    east = (lon - wlon) * 111_320 * math.cos(math.radians(lat))
    metres = math.hypot(east, (lat - wlat) * 110_540)
    assert 300 < metres < 800
    back = wgs84_to_gcj02(wlon, wlat)
    assert back == pytest.approx((lon, lat), abs=1e-8)


def test_points_outside_china_are_not_shifted():
    assert outside_china(2.35, 48.85)
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)


def test_converter_and_geometry_conversion():
    assert converter("gcj02", "gcj02")(123.4, 41.8) == (123.4, 41.8)
    with pytest.raises(ValueError):
        converter("gcj02", "bd09")
    polygon = {"type": "Polygon", "coordinates": [[[123.4, 41.8], [123.5, 41.8], [123.4, 41.9]]]}
    out = convert_geometry(polygon, converter("gcj02", "wgs84"))
    first = gcj02_to_wgs84(123.4, 41.8)
    assert out["coordinates"][0][0] == [round(first[0], 5), round(first[1], 5)]
    multi = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]]}
    assert convert_geometry(multi, converter("gcj02", "gcj02"))["coordinates"][0][0][1] == [
        123.5,
        41.8,
    ]


def test_class_breaks_are_equal_width_from_lowest_to_highest():
    assert ml.class_breaks([10, None, 60, 35]) == [10, 20, 30, 40, 50, 60]
    assert ml.class_breaks([None]) == []
    assert ml.class_breaks([7, 7]) == [7, 7]


def test_colours_darker_is_better_in_either_direction():
    breaks = ml.class_breaks([0, 100])
    best, worst = list(ml.PALETTE[-1]), list(ml.PALETTE[0])
    assert ml.color_for(100, breaks, True)[:3] == best
    assert ml.color_for(0, breaks, True)[:3] == worst
    assert ml.color_for(0, breaks, False)[:3] == best  # lower is better
    assert ml.color_for(None, breaks, True)[:3] == list(ml.NO_DATA)
    assert ml.color_for(5, [5, 5], True)[:3] == list(ml.PALETTE[2])


def test_legend_states_measure_unit_and_scale_best_first():
    info = ml.measure_info("index")
    breaks = ml.class_breaks([80, 90])
    rows = ml.legend_entries(info, breaks)
    assert len(rows) == 6  # five classes and "no data"
    assert rows[0][0] == "rgb(37,52,148)" and "90" in rows[0][1]
    assert rows[-1][1] == "无数据"
    legend = ml.legend_html(info, breaks, "district")
    assert "幸福指数（综合）" in legend and "分（0–100）" in legend and "等距分为5级" in legend


def test_legend_escapes_its_text():
    info = ml.MeasureInfo("x", "<script>alert(1)</script>", "<b>", True, False, None)
    legend = ml.legend_html(info, [0, 1, 2, 3, 4, 5], "street")
    assert "<script>" not in legend and "&lt;script&gt;" in legend and "&lt;b&gt;" in legend


def test_tooltip_escapes_labels_and_leaves_fields_to_streamlit():
    tip = ml.tooltip('A & <b>"B"</b>')
    assert "A &amp; &lt;b&gt;&quot;B&quot;&lt;/b&gt;" in tip["html"]
    for field in ("{name}", "{value}", "{rank}", "{change}"):
        assert field in tip["html"]


def test_tooltip_fields_cannot_inject_placeholders():
    info = ml.measure_info("index")
    shown = ml.Shown("1", "<i>{value}</i>", 123.4, 41.8, 91.26, 90.0)
    fields = ml.tooltip_fields(info, shown, 2, 13)
    assert fields["name"] == "<i>｛value｝</i>"  # Streamlit escapes the < > when it renders
    assert fields["value"] == "91.3分" and fields["rank"] == "第2/13名"
    assert fields["change"] == "+1.3分"


def test_ranks_best_first_with_ties():
    assert ml.ranks({"a": 3, "b": 5, "c": 5, "d": None}, True) == {"b": 1, "c": 1, "a": 3}
    assert ml.ranks({"a": 3, "b": 5}, False) == {"a": 1, "b": 2}


def test_measures_cover_index_pillars_and_indicators_with_fair_units():
    keys = ml.measure_keys()
    assert keys[0] == "index" and "pillar.safety" in keys and "ind.disputes_mediated" in keys
    flow = ml.measure_info("ind.disputes_mediated")
    assert flow.per_10k and flow.unit == "件/万人"
    rate = ml.measure_info("ind.hotline_satisfaction_rate")
    assert not rate.per_10k and rate.unit == "%"
    per_head = ml.measure_info("ind.community_workers_per_10k")
    assert not per_head.per_10k  # already per 10,000 residents
    row = {"region": _region(50_000), "ind.disputes_mediated": 100.0}
    assert ml.measure_value(flow, row) == pytest.approx(20.0)
    assert ml.measure_value(flow, {"region": _region(0), flow.key: 3}) is None


def test_view_fits_the_box():
    view = ml.view_for((122.4, 41.2, 123.8, 43.0), "gcj02")
    assert 6.5 < view.zoom < 8.5
    assert view.longitude == pytest.approx(123.1) and view.latitude == pytest.approx(42.1)


def _deck_json(tile_url: str | None) -> dict:
    shown = [ml.Shown("210102", "和平区", 123.39, 41.79, 90.0, 89.0)]
    info = ml.measure_info("index")
    breaks = ml.class_breaks([90.0])
    records = ml.points(shown, info, breaks, "gcj02", 300.0)
    density = ml.density_layer([(123.4, 41.8, 5)], "gcj02", 500)
    layers = [ml.points_layer("streets", records), density]
    deck = ml.build_deck(layers, ml.view_for((123.3, 41.7, 123.5, 41.9), "gcj02"), "x", tile_url)
    return json.loads(deck.to_json())


def test_deck_without_tiles_has_no_basemap_and_no_address():
    spec = _deck_json(None)
    # The sentinel makes Streamlit draw no basemap (None or "" would fall back to Carto).
    assert spec["mapStyle"] == "__MAP_STYLE__"
    assert "mapProvider" not in spec
    text = json.dumps(spec)
    assert "http" not in text and "carto" not in text and "mapbox" not in text
    density = next(layer for layer in spec["layers"] if layer["id"] == "density")
    assert density["colorAggregation"] == "SUM"  # a literal, not an "@@=" expression


def test_deck_with_an_intranet_tile_server_uses_only_that_server():
    spec = _deck_json("http://tiles.intranet/{z}/{x}/{y}.png")
    assert spec["mapStyle"].startswith("data:application/json,")
    style = json.loads(unquote(spec["mapStyle"].split(",", 1)[1]))
    assert style["sources"]["tiles"]["tiles"] == ["http://tiles.intranet/{z}/{x}/{y}.png"]
    assert "glyphs" not in style and "sprite" not in style
