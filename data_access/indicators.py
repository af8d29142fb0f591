"""Indicator values for a region and period, computed in SQL over rollups and reported values."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import ReportedValue, Rollup
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

_TOTAL_COLUMNS = ("n", *MEASURE_KEYS)


def get_activity_totals(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, dict[str, float]]:
    """Per activity type: the number of activities and each measure's sum, from the rollups."""
    stmt = (
        select(Rollup.type_key, *(func.sum(getattr(Rollup, c)) for c in _TOTAL_COLUMNS))
        .where(Rollup.month.between(period.start, period.end))
        .group_by(Rollup.type_key)
    )
    clause = scope_clause(Rollup, region)
    if clause is not None:
        stmt = stmt.where(clause)
    return {
        row[0]: {col: (value or 0) for col, value in zip(_TOTAL_COLUMNS, row[1:], strict=True)}
        for row in session.execute(stmt)
    }


def get_stock_month(session: Session, period: Period) -> int | None:
    """The month whose reported stocks stand for the period: its last month with any report."""
    return session.scalar(
        select(func.max(ReportedValue.month)).where(ReportedValue.month <= period.end)
    )


def get_reported_stocks(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, float] | None:
    """Reported stock values summed over the region's subtree, as of the period's end (None when
    nothing was reported in the year up to it)."""
    month = get_stock_month(session, period)
    if month is None or month < period.start - 100:
        return None
    stmt = (
        select(ReportedValue.indicator_key, func.sum(ReportedValue.value))
        .where(ReportedValue.month == month)
        .group_by(ReportedValue.indicator_key)
    )
    clause = scope_clause(ReportedValue, region)
    if clause is not None:
        stmt = stmt.where(clause)
    return {key: float(value) for key, value in session.execute(stmt)}


def _counted_within(region: RegionInfo, counted_at: str) -> bool:
    # A stock counted at district level has a value for the city and each district, not below.
    return LEVELS.index(region.level) <= LEVELS.index(counted_at)


def get_indicator_values(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, float | None]:
    """Every registered indicator's value for the region and period (None: not available)."""
    return derive_indicator_values(
        get_activity_totals(session, region, period),
        get_reported_stocks(session, region, period),
        region,
        period,
    )


def derive_indicator_values(
    totals: dict[str, dict[str, float]],
    stocks: dict[str, float] | None,
    region: RegionInfo,
    period: Period,
) -> dict[str, float | None]:
    """Every indicator's value from a region's activity totals and reported stocks (pure)."""
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
            values[ind.key] = of_type(comp.activity_type, comp.measure) / period.n_months
        elif isinstance(comp, Rate):
            den = of_type(comp.activity_type, comp.denominator)
            num = of_type(comp.activity_type, comp.numerator)
            values[ind.key] = 100.0 * num / den if den else None
        elif isinstance(comp, Reported):
            if stocks is None or not _counted_within(region, comp.counted_at):
                values[ind.key] = None
            else:
                values[ind.key] = stocks.get(ind.key, 0.0)
    for ind in INDICATORS:
        comp = ind.computation
        if isinstance(comp, PerPopulation):
            base = values.get(comp.indicator)
            values[ind.key] = (
                base * comp.per / region.population
                if base is not None and region.population
                else None
            )
    return values
