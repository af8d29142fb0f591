"""The map: batch queries against the one-region functions (SQLite and PostgreSQL) and the page in
AppTest at each drill level, each kind of colouring, in both languages."""

from __future__ import annotations

import json
import os

import pytest
from streamlit.testing.v1 import AppTest

from data_access import areas, geo
from data_access.db import read_session
from data_access.indicators import get_activity_totals, get_indicator_values
from data_access.periods import parse_period
from data_access.regions import get_city, list_children
from data_access.scoring import get_index
from data_access.store import open_store
from tests.auth_helpers import app_as

PERIOD = parse_period("2025")
MAX_DECK_BYTES = 2_000_000


@pytest.fixture(scope="module")
def codes(sqlite_url) -> dict[str, str]:
    """A district, one of its streets and one of that street's communities."""
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        street = list_children(session, district.id)[0]
        community = list_children(session, street.id)[0]
    engine.dispose()
    return {
        "city": city.code,
        "district": district.code,
        "street": street.code,
        "community": community.code,
    }


def test_batch_values_and_index_equal_the_one_region_functions(db_url):
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[1]
        for within, level in (
            (city, "district"),
            (city, "street"),
            (district, "street"),
            (district, "community"),
        ):
            found = areas.get_indexes_within(session, within, level, city, PERIOD)
            regions = areas.list_regions_within(session, within, level)
            assert [a.region for a in found] == regions and regions
            for area in found[:4]:
                region = area.region
                assert area.values == get_indicator_values(session, region, PERIOD)
                expected = get_index(session, region, city, PERIOD)
                assert area.index.composite == pytest.approx(expected.composite)
    engine.dispose()


def test_activity_weights_are_one_point_per_community_and_sum_to_the_totals(db_url):
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        weights = geo.get_activity_weights(session, city, PERIOD)
        totals = get_activity_totals(session, city, PERIOD)
        boundaries = geo.get_district_boundaries(session)
        simple = geo.get_district_boundaries(session, 0.002)
    engine.dispose()
    assert 0 < len(weights) <= 1158
    assert sum(n for _, _, n in weights) == sum(t["n"] for t in totals.values())
    assert len(boundaries) == 13 and set(simple) == set(boundaries)
    assert len(json.dumps(simple)) < len(json.dumps(boundaries)) / 2


def test_a_level_above_the_region_is_refused(sqlite_url):
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        district = list_children(session, get_city(session).id)[0]
        with pytest.raises(ValueError):
            areas.list_regions_within(session, district, "district")
    engine.dispose()


def _map(lang: str = "zh", **params: str) -> AppTest:
    """The map page, signed in as the admin (scope: the whole city)."""
    return app_as(os.environ["HAPPY_DB_URL"], "admin", lang, "app_pages/map.py", **params)


def _deck(at: AppTest) -> tuple[dict, int]:
    element = at.get("deck_gl_json_chart")[0]
    return json.loads(element.proto.json), len(element.proto.json.encode())


LEVEL_LAYER = {"city": "districts", "district": "streets", "street": "communities"}
COLOURINGS = ["index", "pillar.service", "ind.disputes_mediated", "ind.hotline_satisfaction_rate"]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("measure", COLOURINGS)
@pytest.mark.parametrize("level", ["city", "district", "street", "community"])
def test_map_page_at_each_level_and_colouring(app_env, codes, level, measure, lang):
    at = _map(lang, region=codes[level], map_measure=measure, period="2025")
    assert not at.exception and not at.error
    assert at.query_params["region"] == codes[level]
    assert at.query_params["map_measure"] == measure
    spec, size = _deck(at)
    assert size < MAX_DECK_BYTES
    assert spec["mapStyle"] == "__MAP_STYLE__" and "http" not in json.dumps(spec)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids[0] == ("districts" if level == "city" else "outline") and "density" in ids
    shown = LEVEL_LAYER.get(level, "communities")
    layer = next(layer for layer in spec["layers"] if layer["id"].startswith(shown))
    objects = layer["data"]["features"] if shown == "districts" else layer["data"]
    named = [o.get("properties", o) for o in objects if "name" in o.get("properties", o)]
    assert named and all({"name", "value", "rank", "change"} <= set(o) for o in named)
    tooltip = json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)["html"]
    legend = " ".join(h.proto.body for h in at.get("html"))
    if lang == "zh":
        assert "排名" in tooltip and "图例" in legend and "较上年同期" in tooltip
        assert "第1/" in json.dumps(named, ensure_ascii=False)
    else:
        assert "Rank" in tooltip and "Legend" in legend and "Change on last year" in tooltip
        assert " of " in json.dumps(named)
    if measure == "ind.disputes_mediated":
        assert ("件/万人" if lang == "zh" else "cases per 10,000 residents") in legend
    # The side panel: index, five pillar bars, best and worst indicators.
    assert len(at.get("progress")) == 5
    assert any(("最高" if lang == "zh" else "Best") in m.value for m in at.markdown)


def test_city_map_colours_13_districts_and_ranks_them(app_env):
    at = _map()
    spec, _ = _deck(at)
    features = spec["layers"][0]["data"]["features"]
    assert len(features) == 13
    ranks = sorted(int(f["properties"]["rank"].split("/")[0][1:]) for f in features)
    assert ranks[0] == 1 and ranks[-1] <= 13
    assert spec["layers"][0]["pickable"] is True


def test_drill_down_by_list_and_back_by_breadcrumb(app_env, codes):
    at = _map()
    at.selectbox(key=f"map_drill_{codes['city']}_district").set_value(codes["district"]).run()
    assert not at.exception
    assert at.query_params["region"] == codes["district"]
    spec, _ = _deck(at)
    assert [layer["id"] for layer in spec["layers"]][-1] == f"streets-{codes['district']}"
    assert spec["initialViewState"]["zoom"] > 8
    at.segmented_control(key="_w_map_show").set_value("community").run()
    assert at.query_params["map_show"] == "community"
    assert _deck(at)[0]["layers"][-1]["id"] == f"communities-{codes['district']}"
    # The dashboards' breadcrumb (one for all pages) leads back up.
    at.button(key=f"crumb_{codes['city']}").click().run()
    assert at.query_params["region"] == codes["city"]
    assert _deck(at)[0]["layers"][-1]["id"] in ("density", "districts")


def test_a_click_on_the_map_drills_to_the_clicked_region(monkeypatch):
    from ui import map_view

    state = {
        "chart": {
            "selection": {
                "indices": {"districts": [3]},
                "objects": {"districts": [{"type": "Feature", "properties": {"code": "210105"}}]},
            }
        }
    }
    monkeypatch.setattr(map_view.st, "session_state", state)
    # The filters module is the one that keeps the region: the same session state.
    monkeypatch.setattr("ui.filters.st.session_state", state)
    map_view.on_select("chart")
    assert state["region"] == "210105"
    state["points"] = {"selection": {"objects": {"streets": [{"code": "210105001"}]}}}
    map_view.on_select("points")
    assert state["region"] == "210105001"
    state["none"] = {"selection": {"indices": {}, "objects": {}}}
    map_view.on_select("none")
    assert state["region"] == "210105001"


@pytest.mark.parametrize("param", ["region", "map_region"])
def test_a_bad_region_in_the_link_falls_back_to_the_city(app_env, codes, param):
    at = _map(**{param: "<script>"})
    assert not at.exception
    assert at.query_params["region"] == codes["city"] and "map_region" not in at.query_params
    if param == "map_region":  # (`region` is read, and its notice shown, on the app's first run)
        assert any("无效" in toast.value for toast in at.toast)


def test_tile_server_config_adds_a_converted_basemap(app_env, monkeypatch):
    monkeypatch.setenv("HAPPY_TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    monkeypatch.setenv("HAPPY_TILE_CRS", "WGS-84")
    at = _map()
    spec, _ = _deck(at)
    assert spec["mapStyle"].startswith("data:application/json,")
    plain = _map_without_tiles(monkeypatch)
    shifted = spec["layers"][0]["data"]["features"][0]["geometry"]["coordinates"][0][0][0]
    original = plain["layers"][0]["data"]["features"][0]["geometry"]["coordinates"][0][0][0]
    # WGS-84 tiles: the GCJ-02 layers move by a few hundred metres (here west and south).
    assert 0.002 < original[0] - shifted[0] < 0.01


def _map_without_tiles(monkeypatch) -> dict:
    monkeypatch.delenv("HAPPY_TILE_URL")
    monkeypatch.delenv("HAPPY_TILE_CRS")
    return _deck(_map())[0]


def test_a_bad_tile_crs_is_reported_and_gcj02_assumed(app_env, monkeypatch):
    monkeypatch.setenv("HAPPY_TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    monkeypatch.setenv("HAPPY_TILE_CRS", "bd09")
    at = _map("en")
    assert not at.exception
    assert any("not valid" in toast.value for toast in at.toast)


def _subheader(at: AppTest) -> str:
    return at.subheader[0].value


def test_map_and_dashboards_share_one_region_and_period(app_env, codes):
    # The period chosen on the Overview is the map's; a drill on the map is the Overview's region.
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh")
    at.selectbox(key="_w_period").set_value("2025Q3").run()
    at.switch_page("app_pages/map.py").run()
    assert not at.exception
    assert "2025年第3季度" in _subheader(at) and at.query_params["period"] == "2025Q3"
    at.selectbox(key=f"map_drill_{codes['city']}_district").set_value(codes["district"]).run()
    name = at.session_state["region"]
    assert name == codes["district"] and at.query_params["region"] == codes["district"]
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.query_params["region"] == codes["district"]
    assert at.button(key=f"crumb_{codes['city']}")  # the Overview is at the district
    assert "2025年第3季度" in _subheader(at)
    # and back on the map, the district is still the one in view, in the same period.
    at.switch_page("app_pages/map.py").run()
    spec, _ = _deck(at)
    assert spec["layers"][-1]["id"] == f"streets-{codes['district']}"
    assert "2025年第3季度" in _subheader(at)


def test_an_old_map_link_opens_its_region_and_labels_circles_below_district_level(app_env, codes):
    at = _map(map_region=codes["street"])
    assert not at.exception
    assert at.query_params["region"] == codes["street"] and "map_region" not in at.query_params
    spec, _ = _deck(at)
    labels = next(layer for layer in spec["layers"] if layer["id"] == "labels")
    points = next(layer for layer in spec["layers"] if layer["id"].startswith("communities-"))
    assert labels["@@type"] == "TextLayer"
    assert [d["name"] for d in labels["data"]] == [p["name"] for p in points["data"]]
    assert set("".join(d["name"] for d in labels["data"])) == set(labels["characterSet"])
    assert "http" not in json.dumps(labels)
    for level in ("city", "district"):
        ids = [layer["id"] for layer in _deck(_map(region=codes[level]))[0]["layers"]]
        assert "labels" not in ids, level


def test_a_year_not_over_is_mapped_to_date_without_an_unfair_change(app_env, monkeypatch):
    """Like the dashboards, the map reads a running year to date: a fortnight of a new year is
    not set beside the whole of the last one (every circle showed a fall); a finished year
    still shows its change on the year before."""
    from datetime import UTC, datetime

    from tests.conftest import DEMO_TODAY

    moment = datetime(DEMO_TODAY.year, DEMO_TODAY.month, DEMO_TODAY.day, 4, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)

    def changes(period: str) -> set[str]:
        at = _map("zh", period=period, map_measure="ind.disputes_mediated")
        assert not at.exception
        spec, _ = _deck(at)
        layer = next(x for x in spec["layers"] if x["id"].startswith("districts"))
        return {f["properties"]["change"] for f in layer["data"]["features"]}

    assert changes(str(DEMO_TODAY.year)) == {"无数据"}
    assert changes(str(DEMO_TODAY.year - 1)) != {"无数据"}
