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

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data_access.periods import Period
from data_access.regions import RegionInfo


@dataclass(frozen=True)
class Stock:
    """A standing figure's total and the oldest month (yyyymm) among the values summed."""

    value: float
    as_of: int


Stocks = dict[str, Stock]


def values_of(stocks: Stocks) -> dict[str, float]:
    """The totals alone, for indicators.compute_indicator_values (a missing key: no value)."""
    return {key: s.value for key, s in stocks.items()}


def get_reported_stocks(
    session: Session, region: RegionInfo, period: Period, *, include_submitted: bool = False
) -> Stocks:
    """The region's standing figures at the period's end (empty: nothing reported). With
    `include_submitted`, submitted but not yet approved reports count as if approved (the
    leaders' "what if" switch)."""
    raise NotImplementedError


def get_child_reported_stocks(
    session: Session, region: RegionInfo, period: Period
) -> dict[int, Stocks]:
    """Per child region (by id): its standing figures at the period's end."""
    raise NotImplementedError


def get_stocks_within(
    session: Session, region: RegionInfo, level: str, period: Period
) -> dict[int, Stocks]:
    """Per region of the level inside the region (by id): standing figures at the period's end."""
    raise NotImplementedError


def get_monthly_reported_stocks(
    session: Session, region: RegionInfo, first: int, last: int
) -> dict[int, Stocks]:
    """Per month (yyyymm) from first to last: the region's standing figures at that month."""
    raise NotImplementedError
