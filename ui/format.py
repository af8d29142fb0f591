"""Numbers, units and periods formatted for the active locale (Babel)."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_decimal, format_decimal

from data_access import settings
from data_access.periods import Period
from data_access.registry import Indicator
from ui.i18n import current_language, t, t_text
from ui.i18n import locale as locale_name
from ui.plain import html_text


def local_zone() -> ZoneInfo:
    """The users' time zone (the setting HAPPY_TIMEZONE, Asia/Shanghai by default): times are
    stored in UTC and shown (and entered) in this zone."""
    return settings.get(settings.TIMEZONE)


def local_time(moment: datetime) -> str:
    """A time (aware, or naive UTC as stored) in the users' zone: 2025-03-01 08:00:00."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S")


@cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


def locale() -> Locale:
    """The active language's Babel locale, parsed once (parsing costs more than formatting)."""
    return _parsed(locale_name())


def number(value: float, digits: int = 0) -> str:
    """A number in full, grouped for the locale (48,500)."""
    return _number(value, digits, locale_name())


@lru_cache(maxsize=8192)
def _number(value: float, digits: int, name: str) -> str:
    # Remembered: the Overview formats the same hundred-odd numbers (cards, the ranking table's
    # cells) on every run, and Babel's formatting is a few tens of microseconds a number.
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_parsed(name))


def compact(value: float) -> str:
    """A large number in the locale's short form (4.8万 / 48.5K); small ones in full."""
    if abs(value) < 10_000:
        return number(value, 0 if float(value).is_integer() else 1)
    return _compact(value, locale_name())


@lru_cache(maxsize=4096)
def _compact(value: float, name: str) -> str:
    return format_compact_decimal(
        value, format_type="short", locale=_parsed(name), fraction_digits=1
    )


def with_unit(text: str, ind: Indicator) -> str:
    """Attach the indicator's unit in the active language."""
    unit = ind.unit_zh if current_language() == "zh" else ind.unit_en
    if not unit:
        return text
    if unit == "%":
        return f"{text}%"
    return f"{text}{unit}" if current_language() == "zh" else f"{text} {unit}"


def indicator_value(ind: Indicator, value: float | None) -> str:
    """An indicator's value as shown on a card: rates to two decimals, counts compact."""
    if value is None:
        return t("overview.no_value")
    if ind.kind in ("rate",):
        return with_unit(number(value, 2), ind)
    if ind.kind in ("ratio",):
        return with_unit(number(value, 1), ind)
    return with_unit(compact(value), ind)


def article_value(ind: Indicator) -> str | None:
    """The article's figure with its qualifier (2.9万余件 / 29K+ cases), or None."""
    if ind.article_value is None:
        return None
    return _article_value(ind, current_language())


@cache
def _article_value(ind: Indicator, lang: str) -> str:
    # The article's figures never change: formatted once per language, not on every run.
    shown = number(ind.article_value, 2) if ind.kind == "rate" else compact(ind.article_value)
    return with_unit(t_text(f"qualifier.{ind.article_qualifier}", value=shown), ind)


def period_label(period: Period) -> str:
    """A period in words (2025年第1季度 / Q1 2025; months of a year: 2025年1–11月, Jan–Nov 2025)."""
    if period.kind == "span":
        first = date(period.year, period.first_month, 1)
        last = date(period.year, period.first_month + period.n_months - 1, 1)
        return t_text(
            "filter.period.span",
            year=period.year,
            first=first.month,
            last=last.month,
            first_name=format_date(first, "MMM", locale=locale()),
            last_name=format_date(last, "MMM", locale=locale()),
        )
    if period.kind == "year":
        return t_text("filter.period.year", year=period.year)
    if period.kind == "quarter":
        return t_text(
            "filter.period.quarter", year=period.year, q=(period.first_month - 1) // 3 + 1
        )
    month_name = format_date(date(period.year, period.first_month, 1), "MMMM", locale=locale())
    return t_text(
        "filter.period.month", year=period.year, month=period.first_month, month_name=month_name
    )


EMPTY = "—"


def _digits(column) -> int:
    """How many decimals a column of numbers needs (at most 3): 0 for whole numbers."""
    present = [float(v) for v in column if v is not None and v == v]
    for digits in range(4):
        if all(abs(v * 10**digits - round(v * 10**digits)) < 1e-9 for v in present):
            return digits
    return 3


def table(frame, keep: tuple[str, ...] = (), by_cell: tuple[str, ...] = ()):
    """A frame as st.dataframe shows it to a person: numbers grouped for the locale (48,500),
    empty cells as "—", never "None"; the values underneath stay numbers (sorting still works).
    A column of numbers shows as many decimals as its values need, the same for all; one in
    `by_cell` mixes units (617 个 above 21.1 人 above 95.3 %), each cell as many as it needs.
    Columns in `keep` are left to their column_config (a progress bar, say)."""
    import pandas as pd

    formats = {}
    for name in frame.columns:
        column = frame[name]
        if name in keep or pd.api.types.is_bool_dtype(column):
            continue
        if name in by_cell:
            formats[name] = _as_needed
        elif pd.api.types.is_numeric_dtype(column) or (
            column.dtype == object
            and column.map(lambda v: v is None or isinstance(v, int | float)).all()
            and column.notna().any()
        ):
            formats[name] = functools.partial(_grouped, digits=_digits(column))
    # One call for every column: a call per column (subset=[name]) costs a .loc look-up each,
    # which was most of a 13-row ranking table's cost on every run of the Overview.
    return frame.style.format(formats, na_rep=EMPTY)


def _grouped(value: float, digits: int) -> str:
    return number(value, digits)


def _as_needed(value: float) -> str:
    return number(value, _digits([value]))


# The Overview's ranking table is one st.html element built here, not st.dataframe of a Styler:
# the Styler's marshalling (pandas' _translate, the display values to Arrow) was about 12 ms of
# a warm Overview run's CPU (docs/performance.md "A warm Overview run's CPU"). It shows what
# `table` shows (numbers grouped, a column's decimals as its values need, "—" for an empty cell),
# numbers aligned right; its order is the ranking's (its measure and order controls). Its style
# is ui/style.py's.


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def rows_memo(maxsize: int, *, by_locale: bool = False):
    """Remember fn(rows) by the rows' values (dicts of the same columns), and the locale where
    the result depends on it: the Overview makes the same table from the same cached figures on
    every run. The value is shared: it must not be changed (a string). Rows holding a value
    that cannot be a key are made each time."""

    def wrap(fn):
        @lru_cache(maxsize=maxsize)
        def remembered(frozen: tuple, name: str | None):
            return fn([dict(row) for row in frozen])

        @functools.wraps(fn)
        def call(rows: list[dict]):
            frozen = tuple(tuple(row.items()) for row in rows)
            try:
                hash(frozen)
            except TypeError:
                return fn(rows)
            return remembered(frozen, locale_name() if by_locale else None)

        return call

    return wrap


@rows_memo(256, by_locale=True)
def html_table(rows: list[dict]) -> str:
    """Rows (dicts of the same columns, in order) as one HTML table formatted as `table` formats
    a frame: numbers grouped for the locale, each column with the decimals its values need,
    empty cells "—"; every text escaped (plain.html_text)."""
    if not rows:
        return ""
    columns = list(rows[0])
    digits = {}
    for name in columns:
        values = [row.get(name) for row in rows]
        present = [v for v in values if v is not None and v == v]
        if present and all(_is_number(v) for v in present):
            digits[name] = _digits(present)
    head = "".join(f"<th>{html_text(name)}</th>" for name in columns)
    body = []
    for row in rows:
        cells = []
        for name in columns:
            value = row.get(name)
            if value is None or value != value:  # None, NaN
                cells.append(f"<td>{EMPTY}</td>")
            elif name in digits:
                cells.append(f'<td class="hs-num">{number(value, digits[name])}</td>')
            else:
                cells.append(f"<td>{html_text(value)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<div class="hs-table-wrap"><table class="hs-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def show_table(frame, *, keep: tuple[str, ...] = (), by_cell: tuple[str, ...] = (), **options):
    """Show a frame as a table (st.dataframe) the way `table` formats it, an empty cell as "—"
    (Streamlit draws a missing value itself, as "None", whatever the formatting says)."""
    import streamlit as st

    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    return st.dataframe(table(frame, keep, by_cell), placeholder=EMPTY, **options)
