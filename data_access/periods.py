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


def month_of(yyyymm: int) -> tuple[int, int]:
    """Split yyyymm into (year, month)."""
    return divmod(yyyymm, 100)
