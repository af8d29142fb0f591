"""The regions below a region, all at once: the one family of queries for "every region of a
level inside a region" (a region's children are the regions of the next level inside it), with
their activity totals, indicator values and index, each in a few GROUP BY queries over the
summaries (never the raw activities). Views, the map, the wall screen and the command line call
these; the one-region readers are indicators.get_indicator_values and scoring.get_index."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data_access.indicators import compute_indicator_values, group_totals, select_totals
from data_access.models import Region, Rollup
from data_access.periods import Period
from data_access.regions import (
    RegionInfo,
    check_level,
    count_communities,
    scope_clause,
    select_region_info,
    summary_source,
)
from data_access.registry import PARENT_LEVELS, Level, child_level
from data_access.scoring import IndexResult, compute_index, get_settings, share_of
from data_access.stocks import get_stocks_within, values_of


@dataclass(frozen=True)
class AreaIndex:
    """One region's index, indicator values and number of activities for a period."""

    region: RegionInfo
    index: IndexResult
    values: dict[str, float | None]
    activities: int


def list_regions_within(session: Session, region: RegionInfo, level: Level) -> list[RegionInfo]:
    """The regions of a level inside a region (e.g. all communities of a district), by code."""
    check_level(region, level)
    stmt = select_region_info().where(Region.level == level)
    clause = scope_clause(Region, region)
    stmt = stmt if clause is None else stmt.where(clause)
    return [RegionInfo(*row) for row in session.execute(stmt.order_by(Region.code))]


def get_totals_within(
    session: Session, region: RegionInfo, level: Level, period: Period
) -> dict[int, dict[str, dict[str, float]]]:
    """Per region of the level (by id), per activity type: the count and measure sums."""
    check_level(region, level)
    table, key, where = summary_source(Rollup, region, level)
    stmt = select_totals(table, where, period.start, period.end, key)
    return group_totals(session.execute(stmt))


def get_indexes_within(
    session: Session, region: RegionInfo, level: Level, city: RegionInfo, period: Period
) -> list[AreaIndex]:
    """The index, indicator values and activity count of each region of the level inside the
    region, by code."""
    regions = list_regions_within(session, region, level)
    totals = get_totals_within(session, region, level, period)
    stocks = get_stocks_within(session, region, level, period)
    communities = count_communities(session, region, level)
    all_communities = count_communities(session, city, "city")[city.id]
    settings = get_settings(session)
    out = []
    for r in regions:
        values = compute_indicator_values(
            totals.get(r.id, {}),
            values_of(stocks.get(r.id)),
            r.level,
            r.population,
            period.n_months,
        )
        share = share_of(r, city, communities.get(r.id, 0), all_communities)
        out.append(
            AreaIndex(
                r,
                compute_index(values, settings, share, period, r.level),
                values,
                int(sum(t["n"] for t in totals.get(r.id, {}).values())),
            )
        )
    return out


def get_child_indexes(
    session: Session, region: RegionInfo, city: RegionInfo, period: Period
) -> list[AreaIndex]:
    """The index of every child region (districts of the city, streets of a district, …); empty
    for a community (figures stop at community level)."""
    if region.level not in PARENT_LEVELS:
        return []
    return get_indexes_within(session, region, child_level(region.level), city, period)
