"""The demo city as stored: its structure, its placement, and that seeding is repeatable."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import date, timedelta

import pytest
import shapely
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from data_access.accounts import demo_community
from data_access.db import read_session
from data_access.indicators import get_indicator_values
from data_access.models import (
    Activity,
    Compound,
    CompoundGrid,
    MonthlyReport,
    Region,
    ReportedValue,
    Rollup,
)
from data_access.periods import parse_period
from data_access.regions import count_by_level, get_city, get_region, list_children
from data_access.registry import ACTIVITY_TYPE_KEYS
from data_access.reports import get_completeness, list_review_queue
from data_access.rollups import select_rollups_from_activities
from data_access.store import open_store
from seed_data.generator import (
    CURRENT_MONTH_SHARE,
    DEFAULT_ACTIVITIES,
    current_month_statuses,
    generate_activities,
    generate_reported,
    min_activities,
    report_months,
)
from seed_data.geography import build_geography
from seed_data.loader import seed_demo
from seed_data.spec import HOTLINE_2025, flow_specs
from tests.activity_fixtures import copy_sqlite
from tests.conftest import DEMO_LAST_MONTH, DEMO_TODAY


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


def test_every_activity_type_has_activities_in_both_years_and_none_from_today_on(engine):
    year = (Rollup.month // 100).label("year")
    with read_session(engine) as s:
        rows = s.execute(
            select(Rollup.type_key, year, func.sum(Rollup.n)).group_by(Rollup.type_key, year)
        ).all()
        last_day = s.scalar(select(func.max(Activity.occurred_on)))
        last_report = s.scalar(select(func.max(ReportedValue.month)))
    seen = {(t, int(y)) for t, y, n in rows if n > 0}
    assert {(t, y) for t, y in seen if y <= 2025} == {
        (t, y) for t in ACTIVITY_TYPE_KEYS for y in (2024, 2025)
    }
    # The demo runs up to its today: activities to the day before, reports to the month before.
    assert {y for _t, y in seen} == {2024, 2025, DEMO_TODAY.year}
    assert str(last_day)[:10] == (DEMO_TODAY - timedelta(days=1)).isoformat()
    assert last_report == DEMO_LAST_MONTH


def test_on_its_today_the_demo_month_is_in_progress(engine):
    """Seeded on DEMO_TODAY (the 15th), the month's review is under way: some communities'
    reports are drafts, some submitted and in their street's review queue, most not started,
    none approved; the month before keeps its approved reports (test_reports)."""
    month = DEMO_TODAY.year * 100 + DEMO_TODAY.month
    with read_session(engine) as s:
        now = get_completeness(s, get_city(s), month)
        assert now.total == 1158 and now.counts["approved"] == now.counts["returned"] == 0
        assert now.counts["draft"] > 0 and now.counts["submitted"] > 0
        assert now.counts["not_started"] > now.total / 2
        sent = next(r for r in now.late if r.status == "submitted")
        street = s.get(Region, sent.region_id).parent_id
        queue = {r.region_id: r.status for r in list_review_queue(s, None, month, street)}
    assert queue[sent.region_id] == "submitted"


def test_the_current_month_is_begun_in_proportion_to_its_days():
    """None on the 1st; more as the month goes, the same ones again plus new ones, later more
    of them submitted; never the busy ones, never most of the communities."""
    ids = list(range(1000, 2000))
    busy = frozenset(range(1000, 1010))
    days = [date(2026, 3, d) for d in (1, 2, 15, 31)]
    plans = [current_month_statuses(ids, 42, d, busy) for d in days]
    assert plans[0] == {} and 0 < len(plans[1]) < len(plans[2]) < len(plans[3])
    assert len(plans[3]) <= CURRENT_MONTH_SHARE * len(ids) < len(ids) / 2
    assert set(plans[1]) <= set(plans[2]) <= set(plans[3]) and not busy & set(plans[3])
    shares = [sum(v == "submitted" for v in p.values()) / len(p) for p in plans[1:]]
    assert shares == sorted(shares) and shares[-1] > 0.5 > shares[0]
    assert set(plans[3].values()) == {"draft", "submitted"}
    assert current_month_statuses(ids, 42, days[2], busy) == plans[2]


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
        duofu = demo_community(s).code
        region = get_region(s, duofu)
        values = get_indicator_values(s, region, parse_period("2025"))
    assert region.level == "community"
    assert values["gis_communities"] == 1 and values["governance_centers_street"] is None
    assert values["community_workers_per_10k"] is not None


def _fingerprint(url: str) -> str:
    """A digest of the demo's rows, read with SQLite's own cursor (a second through the ORM)."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(make_url(url).database)) as db:
        for model, order in (
            (Region, Region.id),
            (Compound, Compound.id),
            (Activity, Activity.id),
            (ReportedValue, ReportedValue.id),
            (Rollup, Rollup.community_id),
            (MonthlyReport, MonthlyReport.id),
        ):
            keys = [order.name, *(c.name for c in model.__table__.primary_key)]
            rows = db.execute(f"SELECT * FROM {model.__tablename__} ORDER BY {', '.join(keys)}")
            digest.update(repr(rows.fetchall()).encode())
    return digest.hexdigest()


def _generate(n_activities: int, seed: int, today: date) -> tuple[str, str, dict]:
    """Digests of everything the generator makes for the demo city (no database): of 2024–2025
    (with the geography), of the rest; and the later part's dates, months and sums."""
    geo = build_geography(seed)
    base = hashlib.sha256(json.dumps(geo.regions, default=str, sort_keys=True).encode())
    later = hashlib.sha256()
    facts = {"days": set(), "months": set(), "sums": {}}
    for batch in generate_activities(geo, n_activities, seed, today):
        year = batch.occurred_on[0].year
        digest = base if year <= 2025 else later
        for name, column in sorted(vars(batch).items()):
            digest.update(
                name.encode()
                + repr(column.tolist() if hasattr(column, "tolist") else column).encode()
            )
        if year > 2025:
            facts["days"].update(batch.occurred_on)
            for m, v in batch.measures.items():
                facts["sums"][(batch.type_key, m)] = int(v.sum())
    for cols in generate_reported(geo, seed, today):
        for digest, part in ((base, cols.months <= 202512), (later, cols.months > 202512)):
            digest.update(cols.indicator_key.encode())
            for column in (cols.region_ids, cols.months, cols.values):
                digest.update(column[part].tobytes())
        facts["months"].update(cols.months.tolist())
    return base.hexdigest(), later.hexdigest(), facts


_generated = functools.cache(_generate)


def test_the_generator_is_deterministic():
    n = min_activities()
    assert _generated(n, 42, DEMO_TODAY) == _generate(n, 42, DEMO_TODAY)
    assert _generated(n, 42, DEMO_TODAY)[0] != _generate(n, 43, DEMO_TODAY)[0]


def test_a_later_today_keeps_2024_and_2025_and_runs_up_to_it():
    """Started on another day, the demo's 2024 and 2025 are the same (the article's figures);
    its activities run to the day before, its reported values to the month before."""
    n = min_activities()
    today = date(2026, 11, 30)
    base, later, facts = _generated(n, 42, today)
    assert base == _generated(n, 42, DEMO_TODAY)[0]
    assert later != _generated(n, 42, DEMO_TODAY)[1]
    assert max(facts["days"]) == date(2026, 11, 29)
    assert {d.month for d in facts["days"]} == set(range(1, 12))
    assert max(facts["months"]) == 202610 == report_months(today)[-1]
    assert len(report_months(today)) == 34 and report_months(date(2027, 1, 1))[-1] == 202612


def test_a_year_after_2025_follows_its_pattern_with_modest_growth():
    """A whole year after 2025 has 2025's totals grown by 2–6 % (records cut at today only)."""
    n = min_activities()
    grown = _generated(n, 42, date(2027, 1, 1))[2]["sums"]
    specs = flow_specs()
    for key, measure, total_2025 in (
        ("mediation", "cases_resolved", specs["mediation"].totals["cases_resolved"]),
        ("education_class", "sessions", specs["education_class"].totals["sessions"]),
        ("hotline_case", "cases_received", HOTLINE_2025["cases_received"]),
    ):
        assert 1.02 * total_2025 - 1 <= grown[(key, measure)] <= 1.06 * total_2025 + 1


def test_seeding_twice_writes_once(sqlite_url, tmp_path):
    """A second run finds the same demo present and writes nothing, also on a later day (no
    seeding here: the session's demo store was seeded once, its first run returned True in
    the fixture; the generator's determinism is tested above without a database)."""
    url = copy_sqlite(sqlite_url, tmp_path / "a.db")
    before = _fingerprint(url)
    engine = open_store(url)
    assert seed_demo(engine, today=DEMO_TODAY) is False  # second run: nothing to do
    assert seed_demo(engine, today=DEMO_TODAY + timedelta(days=40)) is False
    with read_session(engine) as s:
        in_2024_2025 = s.scalar(select(func.count()).where(Activity.occurred_on < date(2026, 1, 1)))
        assert in_2024_2025 == DEFAULT_ACTIVITIES
    engine.dispose()
    assert _fingerprint(url) == before
