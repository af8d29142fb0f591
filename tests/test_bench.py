"""The benchmark's raw-table baseline computes the same overview as the rollup-based functions."""

from __future__ import annotations

import pytest

from bench.baseline import raw_overview
from data_access.db import read_session
from data_access.periods import parse_period
from data_access.regions import get_city
from data_access.scoring import get_child_indexes, get_index, get_index_trend
from data_access.store import open_store


def test_raw_baseline_equals_the_rollups(db_url):
    engine = open_store(db_url)
    period = parse_period("2025Q2")
    with read_session(engine) as session:
        city = get_city(session)
        raw = raw_overview(session, city, period)
        assert raw["now"].composite == pytest.approx(
            get_index(session, city, city, period).composite
        )
        year = get_index(session, city, city, period.year_ago())
        assert raw["year"].composite == pytest.approx(year.composite)
        trend = get_index_trend(session, city, city, period.months())
        for month, result in raw["trend"].items():
            assert result.composite == pytest.approx(trend[month].composite)
        for kid in get_child_indexes(session, city, city, period):
            assert raw["children"][kid.region.code].composite == pytest.approx(kid.index.composite)
    engine.dispose()
