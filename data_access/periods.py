"""Reporting periods: a year (2025), a quarter (2025Q1) or a month (2025-03)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(?P<y>\d{4})(?:(?:Q(?P<q>[1-4]))|(?:-(?P<m>0[1-9]|1[0-2])))?$")


class PeriodError(ValueError):
    """A period string that is not YYYY, YYYYQn or YYYY-MM."""


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int  # 1..12
    n_months: int  # 12, 3 or 1

    @property
    def kind(self) -> str:
        """'year', 'quarter' or 'month'."""
        return {12: "year", 3: "quarter", 1: "month"}[self.n_months]

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
        if self.n_months == 12:
            return f"{self.year}"
        if self.n_months == 3:
            return f"{self.year}Q{(self.first_month - 1) // 3 + 1}"
        return f"{self.year}-{self.first_month:02d}"


def parse_period(text: str) -> Period:
    """Parse '2025', '2025Q1' or '2025-03'; raise PeriodError otherwise."""
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


def period_options(first: int, last: int) -> list[str]:
    """The years, quarters and months with a month between first and last (yyyymm), newest
    first: years, then quarters, then months."""
    years = range(last // 100, first // 100 - 1, -1)
    options = [str(year) for year in years]
    for year in years:
        options.extend(
            f"{year}Q{q}" for q in range(4, 0, -1) if first <= year * 100 + 3 * q <= last + 2
        )
    for year in years:
        options.extend(
            f"{year}-{m:02d}" for m in range(12, 0, -1) if first <= year * 100 + m <= last
        )
    return options


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


def so_far(period: Period, today_month: int) -> Period | None:
    """The months of the period up to this month (yyyymm): the whole period once it is over,
    its first months while it runs (compared with the same months a year earlier, never with a
    whole period), None before it starts."""
    if today_month >= period.end:
        return period
    if today_month < period.start:
        return None
    return Period(period.year, period.first_month, today_month - period.start + 1)
