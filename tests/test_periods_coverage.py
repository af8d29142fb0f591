"""The part of a period that has happened, and what it is fairly compared with (pure: no store)."""

from __future__ import annotations

from datetime import date

import pytest

from data_access.periods import (
    Period,
    coverage,
    months_between,
    parse_period,
    period_options,
)

TWO_YEARS = months_between(202401, 202511)  # data from 2024-01 up to this month


def test_a_span_within_a_year_round_trips_through_its_text():
    span = Period(2026, 1, 11)
    assert span.kind == "span" and str(span) == "2026-01/2026-11"
    assert parse_period(str(span)) == span
    for bad in ("2026-11/2026-01", "2025-01/2026-02", "2026-01/"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_periods_without_any_data_are_not_offered():
    # Two years of data and one record in March of a third: no other month of it is offered.
    options = period_options([*months_between(202401, 202412), 202603])
    assert "2026" in options and "2026Q1" in options and "2026-03" in options
    assert "2026-02" not in options and "2026Q2" not in options and "2025" not in options


def test_year_to_date_is_compared_with_the_same_months_a_year_earlier():
    cov = coverage(parse_period("2025"), date(2025, 11, 30), TWO_YEARS)
    assert cov.open and cov.partial and not cov.incomplete
    assert cov.span == Period(2025, 1, 11) and cov.year_ago == Period(2024, 1, 11)
    assert cov.previous is None  # the year before is the same months a year earlier
    assert cov.as_of == date(2025, 11, 30) and cov.flows_comparable


def test_the_current_month_against_the_same_month_last_year_and_the_month_before():
    cov = coverage(parse_period("2025-11"), date(2025, 11, 20), TWO_YEARS)
    assert cov.year_ago == Period(2024, 11, 1) and cov.previous == Period(2025, 10, 1)
    # Twenty days against whole months: counts of activities are not compared.
    assert cov.partial and not cov.flows_comparable
    on_the_last_day = coverage(parse_period("2025-11"), date(2025, 11, 30), TWO_YEARS)
    assert on_the_last_day.flows_comparable


def test_a_quarter_to_date_against_the_same_months_of_the_quarter_before():
    cov = coverage(parse_period("2025Q4"), date(2025, 11, 30), TWO_YEARS)
    assert cov.span == Period(2025, 10, 2)
    assert cov.previous == Period(2025, 7, 2) and cov.year_ago == Period(2024, 10, 2)


def test_a_month_not_yet_recorded_is_left_out_of_the_span():
    cov = coverage(parse_period("2025"), date(2025, 12, 1), TWO_YEARS)
    assert cov.span == Period(2025, 1, 11) and cov.as_of == date(2025, 11, 30)
    assert not cov.incomplete


def test_a_complete_past_period_is_compared_whole_and_only_with_a_base_that_has_data():
    cov = coverage(parse_period("2025Q2"), date(2026, 11, 30), TWO_YEARS)
    assert not cov.partial and cov.span == parse_period("2025Q2") and cov.as_of is None
    assert cov.previous == parse_period("2025Q1") and cov.year_ago == parse_period("2024Q2")
    first = coverage(parse_period("2024"), date(2026, 11, 30), TWO_YEARS)
    assert first.year_ago is None  # no data in 2023


def test_one_record_in_a_new_year_is_incomplete_and_its_counts_are_not_compared():
    months = [*months_between(202401, 202512), 202603]
    cov = coverage(parse_period("2026"), date(2026, 11, 30), months, date(2026, 3, 9))
    assert cov.open and cov.incomplete and not cov.flows_comparable
    # A finished year with reporting stopped early says the last day with data.
    later = coverage(parse_period("2026"), date(2027, 2, 1), months, date(2026, 3, 9))
    assert not later.open and later.incomplete and later.as_of == date(2026, 3, 9)


def test_a_period_after_today_is_read_whole():
    # Only an injected clock can be earlier than the data; the period is then not cut short.
    cov = coverage(parse_period("2025"), date(2024, 6, 15), TWO_YEARS)
    assert cov.span == parse_period("2025") and not cov.open
