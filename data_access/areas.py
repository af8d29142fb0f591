"""The regions below a region, all at once: the one family of queries for "every region of a
level inside a region" (a region's children are the regions of the next level inside it), with
their activity totals, indicator values and index, each in a few GROUP BY queries over the
summaries (never the raw activities). Views, the map, the wall screen and the command line call
these; the one-region readers are indicators.get_indicator_values and scoring.get_index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from data_access.indicators import (
    compute_indicator_values,
    group_totals,
    select_totals,
)
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
from data_access.registry import (
    INDICATORS_BY_KEY,
    PARENT_LEVELS,
    PILLARS_BY_KEY,
    Indicator,
    Level,
    child_level,
)
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
    rows = session.connection().execute(stmt.order_by(Region.code)).all()
    return [RegionInfo(*row) for row in rows]


def get_totals_within(
    session: Session, region: RegionInfo, level: Level, period: Period
) -> dict[int, dict[str, dict[str, float]]]:
    """Per region of the level (by id), per activity type: the count and measure sums."""
    check_level(region, level)
    table, key, where = summary_source(Rollup, region, level, period.kind == "year")
    stmt = select_totals(table, where, period.start, period.end, key)
    return group_totals(session.connection().execute(stmt).all())


def get_indexes_within(
    session: Session, region: RegionInfo, level: Level, city: RegionInfo, period: Period
) -> list[AreaIndex]:
    """The index, indicator values and activity count of each region of the level inside the
    region, by code."""
    regions = list_regions_within(session, region, level)
    totals = get_totals_within(session, region, level, period)
    stocks = get_stocks_within(session, region, level, period)
    communities = count_communities(session, region, level)
    # Inside the city the groups hold every community: their sum is the city's count.
    all_communities = (
        sum(communities.values())
        if region.level == "city"
        else count_communities(session, city, "city")[city.id]
    )
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


PER_RESIDENTS = 10_000
INDEX = "index"  # the composite index, as a measure of rank_areas
ACTIVITIES = "activities"  # activities recorded per 10,000 residents


def per_residents(ind: Indicator) -> bool:
    """Whether regions compare on the indicator per 10,000 residents: counts shared out by
    population (a big district's count says nothing of how well it does)."""
    return ind.scale == "population" and ind.kind not in ("rate", "ratio", "rate_monthly")


def area_value(area: AreaIndex, measure: str) -> float | None:
    """A region's value of a measure: the index (INDEX), a pillar's score (its key), the
    activities recorded (ACTIVITIES) or an indicator's value (its key), per 10,000 residents
    where it is a count."""
    if measure == INDEX:
        return area.index.composite
    if measure == ACTIVITIES:
        people = area.region.population
        return area.activities * PER_RESIDENTS / people if people else None
    if measure in PILLARS_BY_KEY:
        return area.index.pillar(measure).score
    ind = INDICATORS_BY_KEY[measure]
    value = area.values.get(measure)
    if value is None or not per_residents(ind):
        return value
    return value * PER_RESIDENTS / area.region.population if area.region.population else None


def higher_is_better(measure: str) -> bool:
    """Whether more of the measure is better (scores always; indicators as declared)."""
    ind = INDICATORS_BY_KEY.get(measure)
    return ind is None or ind.higher_is_better


@dataclass(frozen=True)
class RankedArea:
    """One region in a ranking: its value, the value a year earlier and the change."""

    region: RegionInfo
    value: float | None
    before: float | None  # the same months a year earlier
    change: float | None  # value - before (per 10,000 residents where a count)


RANK_ORDERS = ("level", "change")


def rank_areas(
    now: list[AreaIndex], year_ago: list[AreaIndex], measure: str, by: str = "level"
) -> list[RankedArea]:
    """The regions ordered best first by their level of the measure (`by="level"`) or by its
    change against the same period a year earlier (`by="change"`, most improved first); better
    means higher, or lower for an indicator where less is better. Regions without the value
    ordered by come last, by code."""
    if by not in RANK_ORDERS:
        raise ValueError(f"unknown order {by!r}")
    before = {a.region.id: area_value(a, measure) for a in year_ago}
    rows = []
    for area in now:
        value, was = area_value(area, measure), before.get(area.region.id)
        change = None if value is None or was is None else value - was
        rows.append(RankedArea(area.region, value, was, change))
    sign = 1 if higher_is_better(measure) else -1

    def key(row: RankedArea) -> tuple:
        chosen = row.value if by == "level" else row.change
        return (chosen is None, 0 if chosen is None else -sign * chosen, row.region.code)

    return sorted(rows, key=key)


# How a caller gets the child regions' indexes: get_child_indexes itself, or the app's cached
# reader of it (data_access/cached.py), so that what one page shows is computed once.
ChildIndexes = Callable[[Session, RegionInfo, RegionInfo, Period], Sequence[AreaIndex]]


def get_child_changes(
    session: Session,
    region: RegionInfo,
    city: RegionInfo,
    months: Period,
    child_indexes: ChildIndexes = get_child_indexes,
) -> tuple[list[AreaIndex], list[AreaIndex]]:
    """The child regions' indexes for `months` (a period's months so far: the span of its
    coverage, indicators.get_coverage) and for the same months a year earlier: what "most
    improved" and "fell most" compare."""
    return (
        list(child_indexes(session, region, city, months)),
        list(child_indexes(session, region, city, months.year_ago())),
    )
