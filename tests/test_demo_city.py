"""The demo city as stored: its structure, its placement, and that seeding is repeatable."""

from __future__ import annotations

import hashlib
import json

import pytest
import shapely
from sqlalchemy import create_engine, func, select

from data_access.db import read_session
from data_access.indicators import get_indicator_values
from data_access.models import Activity, Compound, CompoundGrid, Region, ReportedValue, Rollup
from data_access.periods import parse_period
from data_access.regions import count_by_level, get_city, get_region, list_children
from data_access.registry import ACTIVITY_TYPE_KEYS
from data_access.rollups import select_rollups_from_activities
from data_access.store import open_store
from seed_data.generator import generate_activities, generate_reported, min_activities
from seed_data.geography import build_geography
from seed_data.loader import seed_demo


@pytest.fixture(scope="module")
def engine(db_url):
    eng = create_engine(db_url)
    yield eng
    eng.dispose()


def test_counts_match_the_article(engine):
    with read_session(engine) as s:
        counts = count_by_level(s)
        compounds = s.scalar(select(func.count()).select_from(Compound))
        names = set(s.scalars(select(Region.name_zh).where(Region.level == "community")))
    assert counts["city"] == 1 and counts["district"] == 13 and counts["street"] == 179
    assert counts["community"] == 1158 and compounds == 6311
    assert 14_000 <= counts["grid"] < 15_400
    assert {"多福社区", "山东堡社区", "溪林社区"} <= names


def test_every_compound_and_grid_lies_inside_its_district(engine):
    with read_session(engine) as s:
        polygons = {
            rid: shapely.from_geojson(geo)
            for rid, geo in s.execute(
                select(Region.id, Region.boundary_geojson).where(Region.level == "district")
            )
        }
        grids = s.execute(
            select(Region.district_id, Region.lon, Region.lat).where(Region.level == "grid")
        ).all()
        compounds = s.execute(
            select(Region.district_id, Compound.lon, Compound.lat).join(
                Region, Region.id == Compound.community_id
            )
        ).all()
        grid_links = s.scalar(select(func.count()).select_from(CompoundGrid))
    assert len(polygons) == 13 and len(compounds) == 6311 and grid_links == len(grids)
    for rows in (grids, compounds):
        for district_id in polygons:
            pts = [(lon, lat) for d, lon, lat in rows if d == district_id]
            xs, ys = zip(*pts, strict=True)
            assert shapely.contains_xy(polygons[district_id], xs, ys).all()


def test_every_activity_type_has_activities_in_both_years(engine):
    year = (Rollup.month // 100).label("year")
    with read_session(engine) as s:
        rows = s.execute(
            select(Rollup.type_key, year, func.sum(Rollup.n)).group_by(Rollup.type_key, year)
        ).all()
    seen = {(t, int(y)) for t, y, n in rows if n > 0}
    assert seen == {(t, y) for t in ACTIVITY_TYPE_KEYS for y in (2024, 2025)}


def test_rollups_equal_a_recount_of_the_activities(engine):
    with read_session(engine) as s:
        stored = {
            tuple(r[:3]): tuple(r[3:])
            for r in s.execute(
                select(
                    Rollup.community_id,
                    Rollup.month,
                    Rollup.type_key,
                    Rollup.street_id,
                    Rollup.district_id,
                    Rollup.n,
                    Rollup.participants,
                    Rollup.beneficiaries,
                    Rollup.hours,
                    Rollup.sessions,
                    Rollup.cases_received,
                    Rollup.cases_resolved,
                    Rollup.cases_satisfied,
                )
            )
        }
        recount = {tuple(r[:3]): tuple(r[3:]) for r in s.execute(select_rollups_from_activities())}
    assert stored == recount


def test_districts_add_up_to_the_city(engine):
    period = parse_period("2025")
    with read_session(engine) as s:
        city = get_city(s)
        city_values = get_indicator_values(s, city, period)
        district_values = [get_indicator_values(s, d, period) for d in list_children(s, city.id)]
    for key in ("disputes_mediated", "grids", "education_classes", "governance_centers_district"):
        assert sum(v[key] for v in district_values) == city_values[key]
    # Counted at city level only: no district value.
    assert all(v["community_service_items"] is None for v in district_values)


def test_a_community_has_its_own_values(engine):
    with read_session(engine) as s:
        duofu = s.scalar(select(Region.code).where(Region.name_zh == "多福社区"))
        region = get_region(s, duofu)
        values = get_indicator_values(s, region, parse_period("2025"))
    assert region.level == "community"
    assert values["gis_communities"] == 1 and values["governance_centers_street"] is None
    assert values["community_workers_per_10k"] is not None


def _fingerprint(url: str) -> str:
    engine = create_engine(url)
    digest = hashlib.sha256()
    with read_session(engine) as s:
        for model, order in (
            (Region, Region.id),
            (Compound, Compound.id),
            (Activity, Activity.id),
            (ReportedValue, ReportedValue.id),
            (Rollup, Rollup.community_id),
        ):
            for row in s.execute(
                select(model.__table__).order_by(order, *model.__table__.primary_key)
            ):
                digest.update(json.dumps([str(v) for v in row]).encode())
    engine.dispose()
    return digest.hexdigest()


def _generated(n_activities: int, seed: int) -> str:
    """A digest of everything the generator makes for the demo city (no database)."""
    geo = build_geography(seed)
    digest = hashlib.sha256(json.dumps(geo.regions, default=str, sort_keys=True).encode())
    for batch in generate_activities(geo, n_activities, seed):
        for name, column in sorted(vars(batch).items()):
            digest.update(
                name.encode()
                + repr(column.tolist() if hasattr(column, "tolist") else column).encode()
            )
    for key, rows in generate_reported(geo, seed):
        digest.update(key.encode() + repr(rows).encode())
    return digest.hexdigest()


def test_the_generator_is_deterministic():
    n = min_activities()
    assert _generated(n, 42) == _generated(n, 42)
    assert _generated(n, 42) != _generated(n, 43)


def test_seeding_twice_writes_once(tmp_path):
    """The second run finds the same demo present and writes nothing (one seeding: the demo
    city with its 24 months of reports takes tens of seconds; the generator's determinism is
    tested above without a database)."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    n = min_activities()
    engine = open_store(url)
    assert seed_demo(engine, n_activities=n) is True
    before = _fingerprint(url)
    assert seed_demo(engine, n_activities=n) is False  # second run: nothing to do
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Activity)) == n
    engine.dispose()
    assert _fingerprint(url) == before
