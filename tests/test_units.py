"""Small pure pieces: periods, integer splitting, registry consistency, locale formatting."""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from hypothesis import given
from hypothesis import strategies as hs

from data_access.periods import (
    Period,
    PeriodError,
    month_label,
    months_between,
    parse_period,
    period_options,
    trend_months,
)
from data_access.registry import (
    ACTIVITY_TYPES_BY_KEY,
    INDICATORS,
    LEVELS,
    MEASURE_KEYS,
    PILLAR_KEYS,
    ActivityCount,
    ActivitySum,
    MonthlyAverage,
    PerPopulation,
    Rate,
    child_level,
    load_figures,
)
from seed_data.generator import allocate, partition, take_away
from ui import format as fmt
from ui.i18n import STRINGS


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2025", 202501, 202512, "year"),
        ("2025Q1", 202501, 202503, "quarter"),
        ("2025q4", 202510, 202512, "quarter"),
        ("2025-03", 202503, 202503, "month"),
    ],
)
def test_parse_period(text, start, end, kind):
    period = parse_period(text)
    assert (period.start, period.end, period.kind) == (start, end, kind)
    assert parse_period(str(period)) == period


@pytest.mark.parametrize("bad", ["", "25", "2025Q5", "2025-13", "2025-3", "abc", "2025 Q1"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_previous_and_year_ago():
    assert str(parse_period("2025Q1").previous()) == "2024Q4"
    assert str(parse_period("2025-01").previous()) == "2024-12"
    assert str(parse_period("2025").previous()) == "2024"
    assert parse_period("2025-03").year_ago() == Period(2024, 3, 1)


def test_period_options_newest_first_within_the_recorded_months():
    assert period_options(months_between(202411, 202502)) == [
        "2025",
        "2024",
        "2025Q1",
        "2024Q4",
        "2025-02",
        "2025-01",
        "2024-12",
        "2024-11",
    ]


def test_trend_months_are_the_twelve_up_to_the_period_end_that_have_data():
    assert trend_months(parse_period("2025Q1"), 202401, 202512) == tuple(
        [*range(202404, 202413), 202501, 202502, 202503]
    )
    assert trend_months(parse_period("2025"), 202503, 202506) == (202503, 202504, 202505, 202506)
    assert month_label(202503) == "2025-03"


def test_child_level_walks_the_levels_down():
    assert [child_level(level) for level in LEVELS[:-1]] == list(LEVELS[1:])
    with pytest.raises(ValueError):
        child_level("grid")


@given(hs.integers(0, 10**7), hs.lists(hs.floats(0.01, 1000), min_size=1, max_size=50))
def test_allocate_is_exact_and_proportional(total, weights):
    parts = allocate(total, np.array(weights))
    assert parts.sum() == total and (parts >= 0).all()
    ideal = np.array(weights) / sum(weights) * total
    assert np.abs(parts - ideal).max() < 1.0 + 1e-9


@given(hs.integers(0, 10**6), hs.integers(1, 2000), hs.integers(0, 2**32 - 1))
def test_partition_is_exact_with_at_least_one_each_when_possible(total, n, seed):
    parts = partition(total, n, np.random.default_rng(seed))
    assert len(parts) == n and parts.sum() == total
    if total >= n:
        assert parts.min() >= 1


@given(hs.lists(hs.integers(0, 50), min_size=1, max_size=200), hs.integers(0, 2**32 - 1), hs.data())
def test_take_away_never_goes_negative(values, seed, data):
    values = np.array(values, dtype=np.int64)
    amount = data.draw(hs.integers(0, int(values.sum())))
    taken = take_away(values, amount, np.random.default_rng(seed))
    assert taken.sum() == amount and (taken <= values).all() and (taken >= 0).all()


def test_registry_is_consistent():
    figures = load_figures()
    keys = [i.key for i in INDICATORS]
    assert len(keys) == len(set(keys))
    assert {i.pillar for i in INDICATORS} == set(PILLAR_KEYS)
    # Every article figure except the programme facts and the baseline is an indicator.
    assert {k for k, f in figures.items() if f.kind not in ("policy", "baseline")} <= set(keys)
    for ind in INDICATORS:
        comp = ind.computation
        if isinstance(comp, (ActivityCount, ActivitySum, MonthlyAverage, Rate)):
            activity_type = ACTIVITY_TYPES_BY_KEY[comp.activity_type]
            measures = [
                getattr(comp, f)
                for f in ("measure", "numerator", "denominator")
                if hasattr(comp, f)
            ]
            assert set(measures) <= set(activity_type.measures) and set(measures) <= set(
                MEASURE_KEYS
            )
        if isinstance(comp, PerPopulation):
            assert comp.indicator in keys
    # Each pillar has headline indicators for the overview.
    assert all(any(i.headline for i in INDICATORS if i.pillar == p) for p in PILLAR_KEYS)


def test_every_string_has_both_languages():
    for key, (zh, en) in STRINGS.items():
        assert zh.strip() and en.strip(), key


@pytest.mark.parametrize(
    ("lang", "value", "expected"),
    [
        ("zh", 48_000, "4.8万"),
        ("en", 48_000, "48K"),
        ("zh", 8_136_000, "813.6万"),
        ("en", 2_000_000, "2M"),
        ("zh", 1158, "1,158"),
        ("en", 36, "36"),
    ],
)
def test_compact_numbers_follow_the_locale(lang, value, expected):
    st.session_state["lang"] = lang
    try:
        assert fmt.compact(value) == expected
    finally:
        del st.session_state["lang"]


def test_months_between_crosses_the_year():
    from data_access.periods import months_between

    assert months_between(202511, 202602) == [202511, 202512, 202601, 202602]
    assert months_between(202503, 202503) == [202503]
    assert months_between(202504, 202503) == []
