"""Reporting periods: a year (2025), a quarter (2025Q1) or a month (2025-03), and the part of
a period that has happened (a span of months within one year, 2026-01/2026-11) with what it is
fairly compared with."""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

_PATTERN = re.compile(r"^(?P<y>\d{4})(?:(?:Q(?P<q>[1-4]))|(?:-(?P<m>0[1-9]|1[0-2])))?$")
_SPAN = re.compile(r"^(?P<y>\d{4})-(?P<a>0[1-9]|1[0-2])/(?P<y2>\d{4})-(?P<b>0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period string that is not YYYY, YYYYQn or YYYY-MM."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int  # 1..12
    n_months: int  # 12, 3 or 1; any other length (a span within the year) for a partial period

    @property
    def kind(self) -> str:
        """'year', 'quarter', 'month', or 'span' (months of a year that are not one of those)."""
        if self.n_months == 12 and self.first_month == 1:
            return "year"
        if self.n_months == 3 and self.first_month % 3 == 1:
            return "quarter"
        return "month" if self.n_months == 1 else "span"

    @property
    def start(self) -> int:
        """The first month as yyyymm."""
        return self.year * 100 + self.first_month

    @property
    def end(self) -> int:
        """The last month as yyyymm."""
        return self.year * 100 + self.first_month + self.n_months - 1

    def months(self) -> list[int]:
        """Every month of the period as yyyymm."""
        return [
            self.year * 100 + m for m in range(self.first_month, self.first_month + self.n_months)
        ]

    def shift(self, n: int) -> Period:
        """The period n steps of its own length later (negative: earlier)."""
        index = self.year * 12 + self.first_month - 1 + n * self.n_months
        return Period(index // 12, index % 12 + 1, self.n_months)

    def previous(self) -> Period:
        """The period just before, of the same length."""
        return self.shift(-1)

    def year_ago(self) -> Period:
        """The same period one year earlier."""
        return Period(self.year - 1, self.first_month, self.n_months)

    def __str__(self) -> str:
        kind = self.kind
        if kind == "year":
            return f"{self.year}"
        if kind == "quarter":
            return f"{self.year}Q{(self.first_month - 1) // 3 + 1}"
        if kind == "month":
            return f"{self.year}-{self.first_month:02d}"
        return f"{month_label(self.start)}/{month_label(self.end)}"


def parse_period(text: str) -> Period:
    """Parse '2025', '2025Q1', '2025-03' (or a span within a year, '2025-01/2025-11', as str()
    writes one); raise PeriodError otherwise."""
    span = _SPAN.match(text.strip()) if isinstance(text, str) else None
    if span and span["y"] == span["y2"] and span["a"] <= span["b"]:
        first, last = int(span["a"]), int(span["b"])
        return Period(int(span["y"]), first, last - first + 1)
    match = _PATTERN.match(text.strip().upper()) if isinstance(text, str) else None
    if not match:
        raise PeriodError(f"无效的时间段 {text!r}（应为 2025、2025Q1 或 2025-03）/ invalid period")
    year = int(match["y"])
    if match["q"]:
        return Period(year, (int(match["q"]) - 1) * 3 + 1, 3)
    if match["m"]:
        return Period(year, int(match["m"]), 1)
    return Period(year, 1, 12)


def month_period(yyyymm: int) -> Period:
    """The one-month period of a month given as yyyymm."""
    return Period(yyyymm // 100, yyyymm % 100, 1)


def month_label(yyyymm: int) -> str:
    """A month as charts label it: 2025-03."""
    return str(month_period(yyyymm))


def period_options(months: Collection[int]) -> list[str]:
    """The years, quarters and months that hold at least one of the months (yyyymm) with data,
    newest first: years, then quarters, then months. A period with no data is not offered."""
    have = set(months)
    years = sorted({m // 100 for m in have}, reverse=True)
    options = [str(year) for year in years]
    for year in years:
        options.extend(
            f"{year}Q{q}"
            for q in range(4, 0, -1)
            if have & {year * 100 + m for m in range(3 * q - 2, 3 * q + 1)}
        )
    for year in years:
        options.extend(f"{year}-{m:02d}" for m in range(12, 0, -1) if year * 100 + m in have)
    return options


def current_year(today: date) -> Period:
    """The year that holds today (read to date: see coverage)."""
    return Period(today.year, 1, 12)


def last_day(yyyymm: int) -> date:
    """The last day of a month given as yyyymm."""
    year, month = divmod(yyyymm, 100)
    return date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class Coverage:
    """How much of a period has happened and what it is fairly compared with.

    `span` is the part read (the whole period when it is complete); `as_of` the day its data
    stand at when it is partial; `year_ago` and `previous` the like-with-like bases (None: no
    fair base); `flows_comparable` whether counts of activities may be compared with them."""

    period: Period
    span: Period
    open: bool  # the period is not over by the clock
    incomplete: bool  # a month of it that has happened has no data
    as_of: date | None
    year_ago: Period | None
    previous: Period | None
    flows_comparable: bool

    @property
    def partial(self) -> bool:
        """Whether the period is not over or its reporting is incomplete."""
        return self.open or self.incomplete


def coverage(
    period: Period, today: date, months: Collection[int], last_day_with_data: date | None = None
) -> Coverage:
    """The part of the period that has happened by today (the current month counts, without its
    trailing month while nothing is recorded in it yet), whether it has data in every month, and
    its like-with-like bases: the same months a year earlier and, for a quarter or a month, the
    same months of the period before. A base is offered only when it has data in every month.
    Counts of activities are comparable only between spans of whole months: not when the span is
    the current month alone (a part of a month against a whole one)."""
    have = set(months)
    this_month = today.year * 100 + today.month
    is_open = period.start <= this_month <= period.end
    end = this_month if is_open else period.end
    if is_open and end not in have and end > period.start:
        end = month_period(end).shift(-1).start  # this month has nothing recorded yet
    span = Period(period.year, period.first_month, max(1, end - period.start + 1))
    incomplete = any(m not in have for m in span.months())

    def fair(base: Period) -> Period | None:
        return base if all(m in have for m in base.months()) else None

    year_ago = fair(span.year_ago())
    previous = None
    if period.kind in ("quarter", "month"):
        before = period.previous()
        previous = fair(Period(before.year, before.first_month, span.n_months))
    unfinished_month = is_open and end == this_month and today != last_day(this_month)
    if is_open:
        as_of = today if end == this_month else last_day(end)
    elif incomplete:
        with_data = [m for m in span.months() if m in have]
        as_of = last_day(max(with_data)) if with_data else None
        if as_of and last_day_with_data and last_day_with_data < as_of:
            as_of = last_day_with_data
    else:
        as_of = None
    return Coverage(
        period=period,
        span=span,
        open=is_open,
        incomplete=incomplete,
        as_of=as_of,
        year_ago=year_ago,
        previous=previous,
        flows_comparable=not incomplete and not (unfinished_month and span.n_months == 1),
    )


def months_between(first: int, last: int) -> list[int]:
    """Every month (yyyymm) from first to last, both included."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = month + 89 if month % 100 == 12 else month + 1
    return out


def trend_months(period: Period, first: int, last: int) -> tuple[int, ...]:
    """The up to 12 months (yyyymm) ending with the period's last, between first and last."""
    end = month_period(period.end)
    wanted = (end.shift(-i).start for i in range(11, -1, -1))
    return tuple(month for month in wanted if first <= month <= last)
