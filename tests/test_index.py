"""The happiness index against hand-computed values and the worked example in the docs."""

from __future__ import annotations

import re

import pytest

from data_access.areas import get_child_indexes
from data_access.db import read_session
from data_access.periods import parse_period
from data_access.regions import get_city, get_region, list_children
from data_access.registry import INDICATORS_BY_KEY, PILLAR_KEYS
from data_access.scoring import (
    RegionShare,
    compute_index,
    default_settings,
    get_index,
    get_index_trend,
    scaled_target,
    score_indicator,
    weighted_mean,
)
from data_access.store import open_store
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "index-method.md").read_text(encoding="utf-8")
SHARE = RegionShare(population=0.10, communities=0.08)
Q1 = parse_period("2025Q1")


def _table(name: str) -> list[list[str]]:
    block = DOC.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]
    rows = [line.strip("|").split("|") for line in block.strip().splitlines()[2:]]
    return [[cell.strip() for cell in row] for row in rows]


def _num(cell: str) -> float | None:
    return None if cell == "—" else float(cell)


def test_worked_example_in_the_docs():
    rows = _table("worked-example")
    values = {row[0]: _num(row[2]) for row in rows}
    result = compute_index(values, default_settings(), SHARE, Q1, "district")
    pillar = result.pillar("organization")
    by_key = {s.key: s for s in pillar.indicators}
    assert set(by_key) == set(values)
    for key, _rule, _value, target, score, weight in rows:
        got = by_key[key]
        assert got.weight == float(weight), key
        if target == "—":
            assert got.target is None and got.score is None, key
        else:
            assert round(got.target, 2) == float(target), key
            assert round(got.score, 2) == float(score), key
    assert round(pillar.score, 2) == float(re.search(r"worked-example:pillar=([\d.]+)", DOC)[1])
    composite = weighted_mean([(round(pillar.score, 2), 1), (88, 1), (80, 1), (95, 1), (70, 1)])
    assert round(composite, 2) == float(re.search(r"worked-example:composite=([\d.]+)", DOC)[1])


def test_other_rules_in_the_docs():
    for key, _rule, value, target, score in _table("worked-example-rules"):
        ind = INDICATORS_BY_KEY[key]
        assert round(score_indicator(ind, float(value), float(target)), 2) == float(score), key


def test_scores_by_hand():
    higher = INDICATORS_BY_KEY["joint_meetings_held"]
    assert score_indicator(higher, 50, 200) == 25.0
    assert score_indicator(higher, 400, 200) == 100.0  # capped
    assert score_indicator(higher, 0, 200) == 0.0
    assert score_indicator(higher, None, 200) is None
    assert score_indicator(higher, 10, None) is None
    rate = INDICATORS_BY_KEY["hotline_completion_rate"]  # floor 95, target 99.5
    assert score_indicator(rate, 94.0, 99.5) == 0.0
    assert score_indicator(rate, 97.25, 99.5) == pytest.approx(50.0)
    lower = INDICATORS_BY_KEY["community_service_items"]
    assert score_indicator(lower, 30, 36) == 100.0
    assert score_indicator(lower, 72, 36) == 50.0


def test_targets_scale_by_population_communities_and_months():
    settings = default_settings()
    flow = INDICATORS_BY_KEY["joint_meetings_held"]  # 8,000 a year
    assert scaled_target(flow, settings.targets[flow.key], SHARE, Q1) == pytest.approx(200)
    march = parse_period("2025-03")
    assert scaled_target(flow, 8000, SHARE, march) == pytest.approx(8000 / 12 / 10)
    coverage = INDICATORS_BY_KEY["service_center_coverage"]  # by communities, a stock
    assert scaled_target(coverage, 1158, SHARE, Q1) == pytest.approx(1158 * 0.08)
    ratio = INDICATORS_BY_KEY["community_workers_per_10k"]
    assert scaled_target(ratio, 20, SHARE, Q1) == 20


def test_pillar_weights_change_the_composite():
    values = {"joint_meetings_held": 200, "disputes_mediated": 0}
    even = compute_index(values, default_settings(), SHARE, Q1, "district")
    assert even.pillar("organization").score == 100.0
    assert even.pillar("governance").score == 0.0
    assert even.composite == pytest.approx(50.0)  # the other pillars have no values at all
    base = default_settings()
    weighted = type(base)(base.targets, base.weights, {**base.pillar_weights, "organization": 3})
    assert compute_index(values, weighted, SHARE, Q1, "district").composite == pytest.approx(75.0)


@pytest.fixture(scope="module")
def demo(db_url):
    engine = open_store(db_url)
    with read_session(engine) as session:
        yield session
    engine.dispose()


@pytest.mark.parametrize("period", ["2025", "2025Q2", "2025-03"])
def test_index_for_every_level_and_period_kind(demo, period):
    city = get_city(demo)
    p = parse_period(period)
    region = city
    while region is not None:
        result = get_index(demo, region, city, p)
        assert 0 <= result.composite <= 100, (region.level, period)
        assert {pl.key for pl in result.pillars} == set(PILLAR_KEYS)
        for pl in result.pillars:
            scored = [(s.score, s.weight) for s in pl.indicators if s.score is not None]
            assert pl.score == pytest.approx(weighted_mean(scored))
        children = list_children(demo, region.id) if region.level != "community" else []
        region = children[0] if children else None


def test_child_indexes_equal_one_by_one(demo):
    city = get_city(demo)
    p = parse_period("2025Q3")
    district = get_region(demo, list_children(demo, city.id)[2].code)
    for parent in (city, district):
        ranked = get_child_indexes(demo, parent, city, p)
        assert len(ranked) == len(list_children(demo, parent.id))
        for child in ranked[:4]:
            alone = get_index(demo, child.region, city, p)
            assert child.index.composite == pytest.approx(alone.composite)
            for a, b in zip(child.index.pillars, alone.pillars, strict=True):
                assert a.score == pytest.approx(b.score)


def test_trend_months_equal_month_by_month(demo):
    city = get_city(demo)
    district = list_children(demo, city.id)[0]
    months = parse_period("2025").months()
    trend = get_index_trend(demo, district, city, months)
    for month in (202501, 202506, 202512):
        alone = get_index(demo, district, city, parse_period(f"{month // 100}-{month % 100:02d}"))
        assert trend[month].composite == pytest.approx(alone.composite)


def test_area_summaries_equal_the_community_rollups(demo):
    from sqlalchemy import func, select

    from data_access.indicators import get_activity_totals
    from data_access.models import ReportedValue, Rollup
    from data_access.regions import scope_clause
    from data_access.stocks import get_reported_stocks, values_of

    city = get_city(demo)
    district = list_children(demo, city.id)[1]
    street = list_children(demo, district.id)[0]
    p = parse_period("2025Q2")
    for region in (city, district, street):
        where = scope_clause(Rollup, region)
        stmt = (
            select(Rollup.type_key, func.sum(Rollup.n), func.sum(Rollup.hours))
            .where(Rollup.month.between(p.start, p.end))
            .group_by(Rollup.type_key)
        )
        direct = demo.execute(stmt.where(where) if where is not None else stmt).all()
        totals = get_activity_totals(demo, region, p)
        assert {k: (n, pytest.approx(h)) for k, n, h in direct} == {
            k: (v["n"], v["hours"]) for k, v in totals.items()
        }
        where = scope_clause(ReportedValue, region)
        stmt = (
            select(ReportedValue.indicator_key, func.sum(ReportedValue.value))
            .where(ReportedValue.month == p.end)
            .group_by(ReportedValue.indicator_key)
        )
        direct = dict(demo.execute(stmt.where(where) if where is not None else stmt).all())
        stocks = get_reported_stocks(demo, region, p)
        assert values_of(stocks) == pytest.approx(direct)
        # Every demo region reported in June: the totals stand at June.
        assert {s.as_of for s in stocks.values()} == {p.end}


def test_refreshing_a_month_keeps_the_area_summaries_exact(sqlite_url):
    from sqlalchemy import delete, func, select
    from sqlalchemy.orm import Session

    from data_access.indicators import get_activity_totals
    from data_access.models import AreaYearRollup, Rollup
    from data_access.rollups import compare_area_rollups, refresh_area_rollups

    engine = open_store(sqlite_url)
    march = parse_period("2025-03")
    with Session(engine) as session:  # rolled back at the end: the shared store is untouched
        city = get_city(session)
        district = list_children(session, city.id)[0]
        before = get_activity_totals(session, city, march)
        year_before = get_activity_totals(session, city, parse_period("2025"))
        session.execute(
            delete(Rollup).where(Rollup.district_id == district.id, Rollup.month == 202503)
        )
        refresh_area_rollups(session, [202503])
        # The month's year follows (the yearly rows), and the check finds nothing to report.
        assert compare_area_rollups(session) == []
        year_after = get_activity_totals(session, city, parse_period("2025"))
        lost = sum(v["n"] for v in before.values())
        after = get_activity_totals(session, city, march)
        lost -= sum(v["n"] for v in after.values())
        assert sum(v["n"] for v in year_before.values()) - lost == sum(
            v["n"] for v in year_after.values()
        )
        # The check compares the yearly rows too: one made wrong is reported as (region,
        # yyyy00, type).
        row = session.scalars(
            select(AreaYearRollup).where(
                AreaYearRollup.region_id == city.id, AreaYearRollup.year == 2025
            )
        ).first()
        row.n += 1
        session.flush()
        assert compare_area_rollups(session) == [(city.id, 202500, row.type_key)]
        direct = dict(
            session.execute(
                select(Rollup.type_key, func.sum(Rollup.n))
                .where(Rollup.month == 202503)
                .group_by(Rollup.type_key)
            ).all()
        )
        assert {k: v["n"] for k, v in after.items()} == direct
        assert sum(v["n"] for v in after.values()) < sum(v["n"] for v in before.values())
        assert get_activity_totals(session, district, march) == {}
        session.rollback()
    engine.dispose()
