"""Indicator values for a region and period, computed in SQL over rollups and reported values
(the standing figures' readers are in data_access/stocks.py)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import Activity, AreaRollup, AreaYearRollup, Rollup
from data_access.periods import Coverage, Period, coverage
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
)
from data_access.stocks import (
    get_monthly_reported_stocks,
    get_reported_stocks,
    values_of,
)

TOTAL_COLUMNS = ("n", *MEASURE_KEYS)


def select_totals(table, where, start: int, end: int, *keys):
    """Per activity type (and per each of `keys`): the count and measure sums over the months
    (yyyymm; of a yearly table, AreaYearRollup, over their years), from the summary rows `where`
    selects (None: every row)."""
    span = (
        table.year.between(start // 100, end // 100)
        if table is AreaYearRollup
        else table.month.between(start, end)
    )
    return (
        select(*keys, table.type_key, *(func.sum(getattr(table, c)) for c in TOTAL_COLUMNS))
        .where(span, *([] if where is None else [where]))
        .group_by(*keys, table.type_key)
    )


# The summaries' rows are plain columns: the readers run them on the session's connection
# (session.connection().execute), without the ORM's per-statement work, a few hundred
# microseconds a statement that a cold page pays dozens of times; and fetch them at once
# (.all()): iterating a Core result fetches row by row.


def group_totals(rows) -> dict:
    """Rows of select_totals with one key, as {key: {activity type: {column: sum}}}."""
    out: dict = {}
    for row in rows:
        out.setdefault(row[0], {})[row[1]] = _as_totals(row[2:])
    return out


def _as_totals(row) -> dict[str, float]:
    return {col: (value or 0) for col, value in zip(TOTAL_COLUMNS, row, strict=True)}


def list_data_months(session: Session) -> list[int]:
    """The months (yyyymm) in which the city recorded at least one live activity, oldest first
    (from the city's summary rows: a few hundred, whatever the number of activities)."""
    stmt = (
        select(AreaRollup.month)
        .where(AreaRollup.level == "city")
        .group_by(AreaRollup.month)
        .having(func.sum(AreaRollup.n) > 0)
        .order_by(AreaRollup.month)
    )
    return list(session.scalars(stmt))


def get_data_months(session: Session) -> tuple[int, int] | None:
    """The first and last month with recorded activities (yyyymm), or None."""
    # Two scalar subqueries, not min() and max() in one SELECT: SQLite answers a lone min() or
    # max() from the end of an index (ix_rollups_month_type), but with both in one query it
    # scans the whole table (53 ms at 5 million activities; microseconds this way).
    low = select(func.min(Rollup.month)).scalar_subquery()
    high = select(func.max(Rollup.month)).scalar_subquery()
    low, high = session.execute(select(low, high)).one()
    return (low, high) if low is not None else None


def get_last_activity_day(session: Session) -> date | None:
    """The date of the latest live activity (None: none recorded)."""
    return session.scalar(
        select(func.max(Activity.occurred_on)).where(Activity.deleted_at.is_(None))
    )


def get_coverage(session: Session, period: Period, today: date) -> Coverage:
    """How much of the period has happened by today and its like-with-like bases
    (periods.coverage), from the months the city has data in: the one reading of "so far" for
    pages, attention, rankings and the briefing."""
    return coverage(period, today, list_data_months(session), get_last_activity_day(session))


def get_activity_totals(
    session: Session, region: RegionInfo, period: Period
) -> dict[str, dict[str, float]]:
    """Per activity type: the number of activities and each measure's sum, from the rollups."""
    table, _, where = summary_source(Rollup, region, region.level, period.kind == "year")
    stmt = select_totals(table, where, period.start, period.end)
    return {row[0]: _as_totals(row[1:]) for row in session.connection().execute(stmt).all()}


def get_monthly_activity_totals(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, dict[str, dict[str, float]]]:
    """Per month (yyyymm) from first to last, per activity type: the totals (one query)."""
    table, _, where = summary_source(Rollup, region, region.level)
    stmt = select_totals(table, where, first, last, table.month)
    return group_totals(session.connection().execute(stmt).all())


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
