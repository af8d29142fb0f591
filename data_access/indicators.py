"""Indicator values for a region and period, computed in SQL over rollups and reported values."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import ReportedValue, Rollup
from data_access.periods import Period
from data_access.regions import RegionInfo, summary_source
from data_access.registry import (
    INDICATORS,
    LEVELS,
    MEASURE_KEYS,
    ActivityCount,
    ActivitySum,
    Level,
    MonthlyAverage,
    PerPopulation,
    Rate,
    Reported,
    child_level,
)

TOTAL_COLUMNS = ("n", *MEASURE_KEYS)


def _source(table, region: RegionInfo, children: bool = False):
    """The stock readers' form of regions.summary_source: (table, WHERE, column naming the
    region), for the region itself or for its children."""
    table, key, where = summary_source(
        table, region, child_level(region.level) if children else region.level
    )
    return table, where, key


def select_totals(table, where, start: int, end: int, *keys):
    """Per activity type (and per each of `keys`): the count and measure sums over the months,
    from the summary rows `where` selects (None: every row)."""
    return (
        select(*keys, table.type_key, *(func.sum(getattr(table, c)) for c in TOTAL_COLUMNS))
        .where(table.month.between(start, end), *([] if where is None else [where]))
        .group_by(*keys, table.type_key)
    )


def group_totals(rows) -> dict:
    """Rows of select_totals with one key, as {key: {activity type: {column: sum}}}."""
    out: dict = {}
    for row in rows:
        out.setdefault(row[0], {})[row[1]] = _as_totals(row[2:])
    return out


def _as_totals(row) -> dict[str, float]:
    return {col: (value or 0) for col, value in zip(TOTAL_COLUMNS, row, strict=True)}


def get_activity_totals(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, dict[str, float]]:
    """Per activity type: the number of activities and each measure's sum, from the rollups."""
    table, _, where = summary_source(Rollup, region, region.level)
    stmt = select_totals(table, where, period.start, period.end)
    return {row[0]: _as_totals(row[1:]) for row in session.execute(stmt)}


def get_monthly_activity_totals(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, dict[str, dict[str, float]]]:
    """Per month (yyyymm) from first to last, per activity type: the totals (one query)."""
    table, _, where = summary_source(Rollup, region, region.level)
    return group_totals(session.execute(select_totals(table, where, first, last, table.month)))


def get_stock_month(session: Session, period: Period) -> int | None:
    """The month whose reported stocks stand for the period: its last month with any report."""
    return session.scalar(
        select(func.max(ReportedValue.month)).where(ReportedValue.month <= period.end)
    )


def stock_month_in_reach(month: int | None, period_start: int) -> bool:
    """Whether stocks reported in `month` stand for a period starting in `period_start` (not
    older than a year before it)."""
    return month is not None and month >= period_start - 100


def get_reported_stocks(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, float] | None:
    """Reported stock values summed over the region's subtree, as of the period's end (None when
    nothing was reported in the year up to it)."""
    month = get_stock_month(session, period)
    if not stock_month_in_reach(month, period.start):
        return None
    source, where, _ = _source(ReportedValue, region)
    stmt = (
        select(source.indicator_key, func.sum(source.value))
        .where(source.month == month, where)
        .group_by(source.indicator_key)
    )
    return {key: float(value) for key, value in session.execute(stmt)}


def get_child_reported_stocks(
    session: Session, region: RegionInfo, period: Period
) -> dict[int, dict[str, float]] | None:
    """Per child region (by id): reported stocks as of the period's end (None: none reported)."""
    month = get_stock_month(session, period)
    if not stock_month_in_reach(month, period.start):
        return None
    source, where, by = _source(ReportedValue, region, children=True)
    stmt = (
        select(by, source.indicator_key, func.sum(source.value))
        .where(source.month == month, where, by.is_not(None))
        .group_by(by, source.indicator_key)
    )
    out: dict[int, dict[str, float]] = {}
    for child_id, key, value in session.execute(stmt):
        out.setdefault(child_id, {})[key] = float(value)
    return out


def get_monthly_reported_stocks(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, dict[str, float]]:
    """Per month with reports from a year before `first` to `last`: the region's stocks."""
    source, where, _ = _source(ReportedValue, region)
    stmt = (
        select(source.month, source.indicator_key, func.sum(source.value))
        .where(source.month.between(first - 100, last), where)
        .group_by(source.month, source.indicator_key)
    )
    out: dict[int, dict[str, float]] = {}
    for month, key, value in session.execute(stmt):
        out.setdefault(month, {})[key] = float(value)
    return out


def _counted_within(level: Level, counted_at: Level) -> bool:
    # A stock counted at district level has a value for the city and each district, not below.
    return LEVELS.index(level) <= LEVELS.index(counted_at)


def compute_indicator_values(
    totals: dict[str, dict[str, float]],
    stocks: dict[str, float] | None,
    level: Level,
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
            if stocks is None or not _counted_within(level, comp.counted_at):
                values[ind.key] = None
            else:
                values[ind.key] = stocks.get(ind.key, 0.0)
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
        get_reported_stocks(session, region, period),
        region.level,
        region.population,
        period.n_months,
    )


def get_monthly_indicator_values(
    session: Session, region: RegionInfo, months: list[int]
) -> dict[int, dict[str, float | None]]:
    """Every indicator's value for the region in each month (yyyymm), in two grouped queries."""
    first, last = min(months), max(months)
    totals = get_monthly_activity_totals(session, region, first, last)
    stocks = get_monthly_reported_stocks(session, region, first, last)
    reported = sorted(stocks)
    out = {}
    for month in months:
        earlier = [m for m in reported if m <= month]
        stock_month = earlier[-1] if earlier else None
        out[month] = compute_indicator_values(
            totals.get(month, {}),
            stocks[stock_month] if stock_month_in_reach(stock_month, month) else None,
            region.level,
            region.population,
            1,
        )
    return out
