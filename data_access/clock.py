"""The one clock of the product: every "now" and "today" is read here, so tests can set it.

Times are UTC (aware); "today" and "this month" are in the users' zone (the setting
HAPPY_TIMEZONE). Tests replace `now` (monkeypatch `data_access.clock.now`), never the year.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from data_access import settings


def now() -> datetime:
    """This moment, aware, in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in the users' time zone."""
    return now().astimezone(settings.get(settings.TIMEZONE)).date()


def this_month() -> int:
    """This month in the users' time zone, as yyyymm (202611)."""
    day = today()
    return day.year * 100 + day.month
