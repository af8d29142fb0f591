"""Indicator values for a region and period, computed in SQL over rollups and reported values
(the standing figures' readers are in data_access/stocks.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import AreaRollup, Rollup
from data_access.periods import Period
from data_access.regions import RegionInfo, scope_clause
from data_access.registry import (
    INDICATORS,
    LEVELS,
    MEASURE_KEYS,
    ActivityCount,
    ActivitySum,
    MonthlyAverage,
    PerPopulation,
    Rate,
    Reported,
)
from data_access.stocks import (
    get_child_reported_stocks,
    get_monthly_reported_stocks,
    get_reported_stocks,
    values_of,
)

TOTAL_COLUMNS = ("n", *MEASURE_KEYS)


def _source(table, region: RegionInfo, children: bool = False):
    """Where to read a region's sums (or its children's): the area summaries for the city, a
    district or a street; the community rows of `table` below. Returns the table to read, the
    WHERE clause, and the column naming the child region (when `children`)."""
    area = AreaRollup
    if children:
        if region.level in ("city", "district"):
            return area, area.parent_id == region.id, area.region_id
        if region.level == "street":
            return table, table.street_id == region.id, table.community_id
        raise ValueError(f"no aggregate data below community level ({region.level})")
    if region.level in ("city", "district", "street"):
        return area, area.region_id == region.id, None
    return table, scope_clause(table, region), None


def _totals_select(region: RegionInfo, start: int, end: int, by: str | None = None):
    """Totals per activity type over the months, optionally also per child region or month."""
    source, where, child = _source(Rollup, region, children=by == "child")
    keys = [child] if by == "child" else [source.month] if by == "month" else []
    return (
        select(*keys, source.type_key, *(func.sum(getattr(source, c)) for c in TOTAL_COLUMNS))
        .where(source.month.between(start, end), where)
        .group_by(*keys, source.type_key)
    )


def _as_totals(row) -> dict[str, float]:
    return {col: (value or 0) for col, value in zip(TOTAL_COLUMNS, row, strict=True)}


def get_activity_totals(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, dict[str, float]]:
    """Per activity type: the number of activities and each measure's sum, from the rollups."""
    stmt = _totals_select(region, period.start, period.end)
    return {row[0]: _as_totals(row[1:]) for row in session.execute(stmt)}


def get_child_activity_totals(
    session: Session, region: RegionInfo, period: Period
) -> dict[int, dict[str, dict[str, float]]]:
    """Per child region (by id), per activity type: the totals over the period (one query)."""
    stmt = _totals_select(region, period.start, period.end, "child")
    out: dict[int, dict[str, dict[str, float]]] = {}
    for row in session.execute(stmt):
        out.setdefault(row[0], {})[row[1]] = _as_totals(row[2:])
    return out


def get_monthly_activity_totals(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, dict[str, dict[str, float]]]:
    """Per month (yyyymm) from first to last, per activity type: the totals (one query)."""
    stmt = _totals_select(region, first, last, "month")
    out: dict[int, dict[str, dict[str, float]]] = {}
    for row in session.execute(stmt):
        out.setdefault(row[0], {})[row[1]] = _as_totals(row[2:])
    return out


def _counted_within(level: str, counted_at: str) -> bool:
    # A stock counted at district level has a value for the city and each district, not below.
    return LEVELS.index(level) <= LEVELS.index(counted_at)


def compute_indicator_values(
    totals: dict[str, dict[str, float]],
    stocks: dict[str, float] | None,
    level: str,
    population: int,
    n_months: int,
) -> dict[str, float | None]:
    """Every indicator's value from activity totals and reported stocks (pure: no database)."""
    values: dict[str, float | None] = {}

    def of_type(type_key: str, column: str) -> float:
        return totals.get(type_key, {}).get(column, 0)

    for ind in INDICATORS:
        comp = ind.computation
        if isinstance(comp, ActivityCount):
            values[ind.key] = of_type(comp.activity_type, "n")
        elif isinstance(comp, ActivitySum):
            values[ind.key] = of_type(comp.activity_type, comp.measure)
        elif isinstance(comp, MonthlyAverage):
            values[ind.key] = of_type(comp.activity_type, comp.measure) / n_months
        elif isinstance(comp, Rate):
            den = of_type(comp.activity_type, comp.denominator)
            num = of_type(comp.activity_type, comp.numerator)
            values[ind.key] = 100.0 * num / den if den else None
        elif isinstance(comp, Reported):
            # A standing figure nobody inside has reported has no value (not 0).
            if stocks is None or not _counted_within(level, comp.counted_at):
                values[ind.key] = None
            else:
                values[ind.key] = stocks.get(ind.key)
    for ind in INDICATORS:
        comp = ind.computation
        if isinstance(comp, PerPopulation):
            base = values.get(comp.indicator)
            values[ind.key] = (
                base * comp.per / population if base is not None and population else None
            )
    return values


def get_indicator_values(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, float | None]:
    """Every registered indicator's value for the region and period (None: not available)."""
    return compute_indicator_values(
        get_activity_totals(session, region, period),
        values_of(get_reported_stocks(session, region, period)),
        region.level,
        region.population,
        period.n_months,
    )


def get_child_indicator_values(
    session: Session, region: RegionInfo, children: list[RegionInfo], period: Period
) -> dict[int, dict[str, float | None]]:
    """Every indicator's value for each child region (by id), in two grouped queries."""
    totals = get_child_activity_totals(session, region, period)
    stocks = get_child_reported_stocks(session, region, period)
    return {
        child.id: compute_indicator_values(
            totals.get(child.id, {}),
            values_of(stocks.get(child.id, {})),
            child.level,
            child.population,
            period.n_months,
        )
        for child in children
    }


def get_monthly_indicator_values(
    session: Session, region: RegionInfo, months: list[int]
) -> dict[int, dict[str, float | None]]:
    """Every indicator's value for the region in each month (yyyymm), in two grouped queries."""
    first, last = min(months), max(months)
    totals = get_monthly_activity_totals(session, region, first, last)
    stocks = get_monthly_reported_stocks(session, region, first, last)
    out = {}
    for month in months:
        out[month] = compute_indicator_values(
            totals.get(month, {}),
            values_of(stocks.get(month, {})),
            region.level,
            region.population,
            1,
        )
    return out
