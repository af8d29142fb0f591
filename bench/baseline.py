"""The baseline: the same overview computed straight from the raw activities table (what a BI
tool pointed at the raw table does), for comparison with the rollup-based data functions."""

from __future__ import annotations

from sqlalchemy import Integer, cast, extract, func, select
from sqlalchemy.orm import Session

from data_access.indicators import compute_indicator_values
from data_access.models import Activity, ReportedValue
from data_access.periods import Period
from data_access.regions import RegionInfo, count_communities, list_children
from data_access.registry import MEASURE_KEYS
from data_access.scoring import compute_index, get_region_share, get_settings, share_of

_MONTH = cast(
    extract("year", Activity.occurred_on) * 100 + extract("month", Activity.occurred_on), Integer
)
_SUMS = (func.count(), *(func.coalesce(func.sum(getattr(Activity, m)), 0) for m in MEASURE_KEYS))
_COLS = ("n", *MEASURE_KEYS)


def _raw_totals(session: Session, start: int, end: int, *keys) -> dict:
    stmt = (
        select(*keys, Activity.type_key, *_SUMS)
        .where(Activity.deleted_at.is_(None), _MONTH.between(start, end))
        .group_by(*keys, Activity.type_key)
    )
    out: dict = {}
    for row in session.execute(stmt):
        key = tuple(row[: len(keys)])
        out.setdefault(key, {})[row[len(keys)]] = dict(
            zip(_COLS, row[len(keys) + 1 :], strict=True)
        )
    return out


def _raw_stocks(session: Session, months: list[int], *keys) -> dict:
    # Per month: the approved values standing then (each region's latest up to it), summed.
    out: dict = {}
    for month in months:
        stmt = (
            select(*keys, ReportedValue.indicator_key, func.sum(ReportedValue.value))
            .where(ReportedValue.month <= month, ReportedValue.until_month > month)
            .group_by(*keys, ReportedValue.indicator_key)
        )
        for row in session.execute(stmt):
            out.setdefault((month, *row[: len(keys)]), {})[row[-2]] = float(row[-1])
    return out


def raw_overview(session: Session, city: RegionInfo, period: Period) -> dict:
    """The city overview's numbers (index now, previous period, a year ago, monthly trend,
    districts' indexes) from the raw activities and reported values: no rollups, no summaries."""
    settings = get_settings(session)
    share = get_region_share(session, city, city)
    out = {}
    for name, p in (("now", period), ("previous", period.previous()), ("year", period.year_ago())):
        totals = _raw_totals(session, p.start, p.end).get((), {})
        stocks = _raw_stocks(session, [p.end]).get((p.end,), {})
        values = compute_indicator_values(totals, stocks, "city", city.population, p.n_months)
        out[name] = compute_index(values, settings, share, p, "city")
    months = period.months() if period.n_months > 1 else [period.start]
    monthly = _raw_totals(session, months[0], months[-1], _MONTH)
    stocks = _raw_stocks(session, months)
    out["trend"] = {
        m: compute_index(
            compute_indicator_values(
                monthly.get((m,), {}), stocks.get((m,), {}), "city", city.population, 1
            ),
            settings,
            share,
            Period(m // 100, m % 100, 1),
            "city",
        )
        for m in months
    }
    by_district = _raw_totals(session, period.start, period.end, Activity.district_id)
    district_stocks = _raw_stocks(session, [period.end], ReportedValue.district_id)
    counts = count_communities(session, city, "district")
    total = sum(counts.values())
    out["children"] = {
        d.code: compute_index(
            compute_indicator_values(
                by_district.get((d.id,), {}),
                district_stocks.get((period.end, d.id), {}),
                "district",
                d.population,
                period.n_months,
            ),
            settings,
            share_of(d, city, counts.get(d.id, 0), total),
            period,
            "district",
        )
        for d in list_children(session, city.id)
    }
    return out
