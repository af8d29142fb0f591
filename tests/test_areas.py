"""The areas family: a region's children are the regions of the next level inside it, so
"children of X" and "within X at a deeper level" must give the same numbers (SQLite and
PostgreSQL), and both must agree with the one-region readers."""

from __future__ import annotations

import pytest

from data_access.areas import (
    get_child_indexes,
    get_indexes_within,
    get_totals_within,
    list_regions_within,
)
from data_access.db import read_session
from data_access.indicators import get_activity_totals
from data_access.periods import parse_period
from data_access.regions import get_city, list_children
from data_access.registry import LEVELS
from data_access.store import open_store

PERIOD = parse_period("2025Q3")


def _by_code(found) -> dict:
    return {a.region.code: (a.values, a.index, a.activities) for a in found}


def test_children_of_each_region_equal_the_level_below_within_its_parent(db_url):
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[1]
        for within, level in ((city, "district"), (city, "street"), (district, "community")):
            above = LEVELS[LEVELS.index(level) - 1]
            parents = (
                [within] if above == within.level else list_regions_within(session, within, above)
            )
            via_children = _by_code(
                a for p in parents for a in get_child_indexes(session, p, city, PERIOD)
            )
            within_level = _by_code(get_indexes_within(session, within, level, city, PERIOD))
            assert within_level and via_children == within_level, (within.level, level)
            assert sum(n for _, _, n in within_level.values()) > 0
    engine.dispose()


def test_totals_within_equal_each_region_s_own_totals(db_url):
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        for level in ("district", "street", "community"):
            totals = get_totals_within(session, city, level, PERIOD)
            regions = list_regions_within(session, city, level)
            assert set(totals) <= {r.id for r in regions} and totals
            for region in regions[:: max(1, len(regions) // 5)]:
                assert totals.get(region.id, {}) == get_activity_totals(session, region, PERIOD)
    engine.dispose()


def test_a_community_has_no_children_and_no_level_inside(sqlite_url):
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        street = list_children(session, list_children(session, city.id)[0].id)[0]
        community = list_children(session, street.id)[0]
        assert get_child_indexes(session, community, city, PERIOD) == []
        with pytest.raises(ValueError):
            list_regions_within(session, community, "grid")
        with pytest.raises(ValueError):
            get_totals_within(session, street, "street", PERIOD)
    engine.dispose()


def test_a_years_totals_from_the_yearly_rollups_equal_the_sum_of_its_months(db_url):
    """A whole year's activity totals (area_year_rollups) are the sums of its months' area
    rollups: for the city, a district and a street, their own and their children's."""
    from data_access.indicators import group_totals, select_totals
    from data_access.models import Rollup
    from data_access.regions import summary_source

    def flat(totals: dict) -> dict:
        return {
            (rid, key, col): v
            for rid, types in totals.items()
            for key, cols in types.items()
            for col, v in cols.items()
        }

    year = parse_period("2025")
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        street = list_children(session, district.id)[0]
        for region in (city, district, street):
            for level in (region.level, LEVELS[LEVELS.index(region.level) + 1]):
                table, key, where = summary_source(Rollup, region, level)
                months = select_totals(table, where, year.start, year.end, key)
                by_month = group_totals(session.execute(months).all())
                by_year = (
                    {region.id: get_activity_totals(session, region, year)}
                    if level == region.level
                    else get_totals_within(session, region, level, year)
                )
                assert by_year and flat(by_year) == pytest.approx(flat(by_month))
    engine.dispose()
