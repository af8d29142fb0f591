"""Standing figures (存量): the readers of the reported (approved) values, one family.

A period's value of a standing figure for a region is, per reporting region inside it, that
region's latest approved value in or before the period's last month (carried forward), summed.
One region's early report never changes another's value; a region that never reported adds
nothing, and a total with no part at all is missing (not 0). Every total carries `as_of`: the
oldest month among its parts, which the pages show as "截至 YYYY-MM" when it is older than
the period's end.

The city, districts and streets are read from area_stocks (one row per area, month and
indicator, kept exact by every approval, return and reopen: data_access/rollups.py);
communities and the regions' own figures from reported_values, whose `until_month` marks where
each value stops standing, so no reader groups over the history.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data_access.models import AreaStock, MonthlyReport, MonthlyReportValue, Region, ReportedValue
from data_access.periods import Period, months_between
from data_access.regions import RegionInfo, scope_clause

# reported_values.until_month of a value that is still its region's latest.
OPEN = 999_999
AREA_LEVELS = ("city", "district", "street")


class Stock(NamedTuple):
    """A standing figure's total and the oldest month (yyyymm) among the values summed. A named
    tuple, as the scores (scoring.IndicatorScore): a city's communities have tens of thousands."""

    value: float
    as_of: int


Stocks = dict[str, Stock]


def values_of(stocks: Stocks | None) -> dict[str, float] | None:
    """The totals alone, for indicators.compute_indicator_values (a missing key: no value)."""
    return None if stocks is None else {key: s.value for key, s in stocks.items()}


def standing_at(month: int):
    """The WHERE clause picking the approved values standing at a month (yyyymm)."""
    return and_(ReportedValue.month <= month, ReportedValue.until_month > month)


def _add(out: dict, key, indicator: str, value: float, as_of: int) -> None:
    group = out.setdefault(key, {})
    old = group.get(indicator)
    group[indicator] = (
        Stock(float(value), as_of)
        if old is None
        else Stock(old.value + float(value), min(old.as_of, as_of))
    )


def _area_stocks(session: Session, where, end: int) -> dict[int, Stocks]:
    """Per area (by id) matching `where`: its latest area_stocks row per indicator up to end."""
    a = AreaStock
    latest = (
        select(a.region_id, a.indicator_key, func.max(a.month).label("month"))
        .where(where, a.month <= end)
        .group_by(a.region_id, a.indicator_key)
        .subquery()
    )
    # The outer rows filtered as the inner ones (the latest row matches them too): without it
    # PostgreSQL hashed the latest months and scanned every area's rows of every month to meet
    # them (116 thousand rows, 120 ms for the districts' ranking on the demo store).
    stmt = (
        select(a.region_id, a.indicator_key, a.value, a.as_of)
        .join(
            latest,
            and_(
                a.region_id == latest.c.region_id,
                a.indicator_key == latest.c.indicator_key,
                a.month == latest.c.month,
            ),
        )
        .where(where, a.month <= end)
    )
    out: dict[int, Stocks] = {}
    for region_id, key, value, as_of in session.connection().execute(stmt).all():
        out.setdefault(region_id, {})[key] = Stock(float(value), as_of)
    return out


def _community_stocks(session: Session, where, end: int) -> dict[int, Stocks]:
    """Per community (by id) matching `where`: its standing approved values at end."""
    rv = ReportedValue
    stmt = select(rv.community_id, rv.indicator_key, rv.value, rv.month).where(
        where, standing_at(end), rv.community_id.is_not(None)
    )
    out: dict[int, Stocks] = {}
    # Core rows fetched at once: iterating the result fetched them one call at a time (a
    # city's communities: 28 thousand values).
    for community_id, key, value, month in session.connection().execute(stmt).all():
        _add(out, community_id, key, value, month)
    return out


def _with_submitted(session: Session, region: RegionInfo, end: int, stocks: Stocks) -> Stocks:
    """The stocks as if every region's latest submitted report up to end were approved."""
    mr = MonthlyReport
    stmt = (
        select(mr.id, mr.region_id, mr.month)
        .join(Region, Region.id == mr.region_id)
        .where(mr.status == "submitted", mr.month <= end)
    )
    clause = scope_clause(Region, region) if region.level in AREA_LEVELS[1:] else None
    if region.level == "community":
        clause = Region.id == region.id
    if clause is not None:
        stmt = stmt.where(clause)
    latest: dict[int, tuple[int, int]] = {}
    for report_id, region_id, month in session.execute(stmt):
        if region_id not in latest or month > latest[region_id][1]:
            latest[region_id] = (report_id, month)
    if not latest:
        return stocks
    by_report = {report_id: (rid, month) for rid, (report_id, month) in latest.items()}
    approved = {
        (rid, key): (float(value), month)
        for rid, key, value, month in session.execute(
            select(
                ReportedValue.region_id,
                ReportedValue.indicator_key,
                ReportedValue.value,
                ReportedValue.month,
            ).where(ReportedValue.region_id.in_(list(latest)), standing_at(end))
        )
    }
    out = dict(stocks)
    mv = MonthlyReportValue
    pending = select(mv.report_id, mv.indicator_key, mv.value).where(
        mv.report_id.in_(list(by_report)), mv.value.is_not(None)
    )
    for report_id, key, value in session.execute(pending):
        rid, month = by_report[report_id]
        old = approved.get((rid, key))
        if old is not None and old[1] >= month:
            continue
        base = out.get(key)
        delta = float(value) - (old[0] if old else 0.0)
        out[key] = (
            Stock(float(value), month)
            if base is None
            else Stock(base.value + delta, base.as_of if old else min(base.as_of, month))
        )
    return out


def get_reported_stocks(
    session: Session, region: RegionInfo, period: Period, *, include_submitted: bool = False
) -> Stocks:
    """The region's standing figures at the period's end (empty: nothing reported). With
    `include_submitted`, each region's latest submitted (not yet approved) report counts as if
    approved (the leaders' "what if" switch)."""
    if region.level in AREA_LEVELS:
        stocks = _area_stocks(session, AreaStock.region_id == region.id, period.end).get(
            region.id, {}
        )
    else:
        stocks = _community_stocks(session, scope_clause(ReportedValue, region), period.end).get(
            region.id, {}
        )
    if include_submitted:
        stocks = _with_submitted(session, region, period.end, stocks)
    return stocks


def get_stocks_within(
    session: Session, region: RegionInfo, level: str, period: Period
) -> dict[int, Stocks]:
    """Per region of the level inside the region (by id): standing figures at the period's end."""
    if level == "community":
        clause = scope_clause(ReportedValue, region)
        return _community_stocks(
            session, clause if clause is not None else ReportedValue.id.is_not(None), period.end
        )
    where = AreaStock.level == level
    if region.level != "city":
        where = and_(where, AreaStock.parent_id == region.id)
    return _area_stocks(session, where, period.end)


def get_monthly_reported_stocks(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, Stocks]:
    """Per month (yyyymm) from first to last: the region's standing figures at that month."""
    months = months_between(first, last)
    series: dict[str, list[tuple[int, int, float, int]]] = defaultdict(list)
    if region.level in AREA_LEVELS:
        rows = (
            session.connection()
            .execute(
                select(AreaStock.indicator_key, AreaStock.month, AreaStock.value, AreaStock.as_of)
                .where(AreaStock.region_id == region.id, AreaStock.month <= last)
                .order_by(AreaStock.month)
            )
            .all()
        )
        for key, month, value, as_of in rows:
            series[key].append((month, OPEN, value, as_of))
        # An area row stands until the area's next row of the indicator.
        for key, items in series.items():
            series[key] = [
                (m, items[i + 1][0] if i + 1 < len(items) else OPEN, v, a)
                for i, (m, _u, v, a) in enumerate(items)
            ]
    else:
        rv = ReportedValue
        rows = session.execute(
            select(rv.indicator_key, rv.month, rv.until_month, rv.value).where(
                scope_clause(rv, region),
                rv.community_id.is_not(None),
                rv.month <= last,
                rv.until_month > first,
            )
        )
        for key, month, until, value in rows:
            series[key].append((month, until, value, month))
    out: dict[int, Stocks] = {m: {} for m in months}
    for key, items in series.items():
        for start, until, value, as_of in items:
            # The months (in order) the value stands in: where it starts up to where it stops.
            for month in months[bisect_left(months, start) : bisect_left(months, until)]:
                _add(out, month, key, value, as_of)
    return out
