"""Time follows the calendar, and comparisons are fair (issue 14), in AppTest: the default period
from an injected today, the fallback and its line, a period to date against the same months a
year earlier, a month not over, one record in a new year, the article's figure only at the city
in its year, whole-number targets, no "None", lower-is-better changes, and the comparison at the
top of a leader's scope. Every test sets the clock, so none depends on the day it runs; the
dates are chosen so that the tests hold on the demo of 2024–2025 and on one that runs to today."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from uuid import uuid4

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.activities import add_activity, delete_activity
from data_access.db import read_session, write_session
from data_access.indicators import list_data_months
from data_access.models import Account, Region
from data_access.periods import Period, parse_period
from data_access.regions import get_city, get_region, get_region_by_id, list_children
from data_access.registry import INDICATORS_BY_KEY
from data_access.scoring import get_index
from data_access.store import open_store
from tests.auth_helpers import app_as
from tests.cards_html import cards as shown_cards
from tests.cards_html import notes as card_notes
from ui import cards
from ui.views import AVERAGE


def _at(day: date, monkeypatch: pytest.MonkeyPatch) -> None:
    """Set the product's clock to noon of a day in the users' zone (04:00 UTC)."""
    moment = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)


def _run(page: str = "app_pages/overview.py", user: str = "admin", **params: str) -> AppTest:
    lang = params.pop("lang", "zh")
    at = app_as(os.environ["HAPPY_DB_URL"], user, lang, page, **params)
    assert not at.exception and not at.error
    return at


def _text(at: AppTest) -> str:
    parts = (
        [c.value for c in at.caption] + [i.value for i in at.info] + [w.value for w in at.warning]
    )
    return "\n".join(parts)


def _metric(at: AppTest, label: str):
    """A score card of the Overview (the index and the pillars: cards, ui/views.index_metrics)."""
    return shown_cards(at)[label]


@pytest.fixture(scope="module")
def places(sqlite_url) -> dict:
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        community = district
        while community.level != "community":
            community = list_children(session, community.id)[0]
        months = list_data_months(session)
    engine.dispose()
    return {"city": city, "district": district, "community": community, "months": months}


def test_the_default_period_is_this_year_by_the_clock(app_env, monkeypatch):
    # The old default was a fixed year (2025): on a day of 2024 the board opened on 2025.
    _at(date(2024, 6, 15), monkeypatch)
    at = _run()
    assert at.query_params["period"] == "2024"
    assert "截至 6月15日" in _text(at)
    _at(date(2025, 11, 30), monkeypatch)
    assert _run().query_params["period"] == "2025"


def test_a_year_without_data_falls_back_to_the_latest_with_a_line(app_env, monkeypatch, places):
    _at(date(2031, 5, 1), monkeypatch)  # a year the demo never reaches
    latest = str(places["months"][-1] // 100)
    at = _run()
    assert at.query_params["period"] == latest
    assert any(f"2031年尚无数据，显示最近有数据的{latest}年" in i.value for i in at.info)
    options = at.sidebar.selectbox(key="_w_period").options
    assert "2031年" not in options
    en = _run(lang="en")
    assert any("no data for 2031 yet" in i.value for i in en.info)


def test_a_year_to_date_is_compared_with_the_same_months_a_year_earlier(
    app_env, monkeypatch, places, sqlite_url
):
    _at(date(2025, 11, 30), monkeypatch)
    at = _run(period="2025")
    assert "截至 11月30日" in _text(at) and "与2024年1–11月比较" in _text(at)
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        now = get_index(session, city, city, Period(2025, 1, 11))
        before = get_index(session, city, city, Period(2024, 1, 11))
    engine.dispose()
    index = _metric(at, "幸福指数")
    assert index.value == f"{now.composite:.1f}"
    assert index.delta == f"{round(now.composite - before.composite, 1):+.1f}"
    # A card: the flow against the same eleven months of 2024, not the whole year.
    cases = INDICATORS_BY_KEY["disputes_mediated"]
    card = shown_cards(at)[cases.name_zh]
    shown = {s.key: s.value for p in now.pillars for s in p.indicators}
    base = {s.key: s.value for p in before.pillars for s in p.indicators}
    assert card.delta == cards.change(cases, shown[cases.key], base[cases.key])


def test_a_month_not_over_compares_no_counts_with_whole_months(app_env, monkeypatch):
    _at(date(2025, 11, 20), monkeypatch)
    at = _run(period="2025-11")
    assert "截至 11月20日" in _text(at) and "本月未结束" in _text(at)
    assert not _metric(at, "幸福指数").delta
    flow = INDICATORS_BY_KEY["disputes_mediated"].name_zh
    assert not shown_cards(at)[flow].delta
    service = _run("app_pages/service.py", period="2025-11")
    table = service.dataframe[0].value
    row = table[table["指标"] == INDICATORS_BY_KEY["employment_assisted"].name_zh].iloc[0]
    assert row["较上期"] == "—" and row["较上年同期"] == "—"


def test_one_record_in_a_new_year_shows_no_fall(record_env, monkeypatch):
    engine = open_store(record_env)
    with read_session(engine) as session:
        year = list_data_months(session)[-1] // 100 + 1  # the year after the demo's data
        community = session.scalars(select(Region.id).where(Region.level == "community")).first()
    data = {
        "type_key": "mediation",
        "community_id": community,
        "occurred_on": date(year, 3, 9),
        "title": f"新年第一条 {uuid4().hex[:6]}",
        "participants": 2,
        "cases_resolved": 1,
    }
    with write_session(engine) as session:
        saved = add_activity(session, data, uuid4().hex, today=date(year, 3, 9))
    try:
        _at(date(year, 11, 30), monkeypatch)
        at = _run()
        assert at.query_params["period"] == str(year)
        assert any("报送不完整" in w.value for w in at.warning)
        deltas = [c.delta for c in shown_cards(at).values() if c.delta]
        assert not any("100" in d and d.startswith("-") for d in deltas), deltas
        assert not _metric(at, "幸福指数").delta
        # Only the month with data is offered of that year.
        options = at.sidebar.selectbox(key="_w_period").options
        assert f"{year}年3月" in options and f"{year}年2月" not in options
    finally:
        with write_session(engine) as session:
            delete_activity(session, saved.activity_id)
        engine.dispose()


def test_the_article_figure_only_at_the_city_in_its_year(app_env, monkeypatch, places, sqlite_url):
    _at(date(2026, 11, 30), monkeypatch)
    city = _run(period="2025")
    assert any(note.startswith("文章：") for note in card_notes(city))
    engine = open_store(sqlite_url)
    for region, period in ((places["district"], "2025"), (places["city"], "2024")):
        at = _run(period=period, region=region.code)
        shown = card_notes(at)
        assert not any(v.startswith("文章：") for v in shown)
        with read_session(engine) as session:
            index = get_index(session, region, places["city"], parse_period(period))
        targets = {s.key: s.target for p in index.pillars for s in p.indicators}
        headline = [i for i in INDICATORS_BY_KEY.values() if i.headline and targets.get(i.key)]
        for ind in headline:
            # Whole numbers for countable units: "目标 619个", never "619.3个" or "1.34 个".
            whole = round(targets[ind.key]) if cards.countable(ind) else None
            expected = [v for v in shown if v.startswith("本期目标：")]
            if whole is not None and whole < 10_000:
                assert f"本期目标：{whole:,}{ind.unit_zh}" in expected, (ind.key, expected)
    engine.dispose()


def test_targets_are_whole_and_empty_cells_are_dashes(app_env, monkeypatch, places):
    _at(date(2026, 11, 30), monkeypatch)
    for pillar in ("organization", "service", "safety"):
        at = _run(f"app_pages/{pillar}.py", period="2025", region=places["community"].code)
        table = at.dataframe[0].value
        for _, row in table.iterrows():
            ind = next(i for i in INDICATORS_BY_KEY.values() if i.name_zh == row["指标"])
            target = row["目标"]
            if cards.countable(ind) and not pd.isna(target):
                assert float(target).is_integer(), (ind.key, target)
        # The values underneath stay numbers; what a person sees (the styler's display values)
        # has "—" for an empty cell, never "None" or "nan".
        for element in at.dataframe:
            raw = element.proto.arrow_data.styler.display_values
            shown = pa.ipc.open_stream(raw).read_pandas().astype(str).to_numpy()
            assert "—" in shown or not element.value.isna().any().any()
            assert "None" not in shown and "nan" not in shown


def test_lower_is_better_shows_a_fall_as_better_never_minus_100_percent(
    app_env, monkeypatch, places
):
    zero = INDICATORS_BY_KEY["zero_employment_households"]
    assert not zero.higher_is_better
    assert cards.change(zero, 0, 5) == "-5户"  # fewer families: a fall, shown green (inverse)
    _at(date(2026, 11, 30), monkeypatch)
    at = _run("app_pages/service.py", period="2025", region=places["district"].code)
    table = at.dataframe[0].value
    row = table[table["指标"] == zero.name_zh].iloc[0]
    for change in (row["较上期"], row["较上年同期"]):
        assert "%" not in change
        assert change == "—" or "改善" in change or "变差" in change


def test_a_leader_at_the_top_of_the_scope_compares_with_the_other_districts(
    app_env, monkeypatch, sqlite_url
):
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        scope_id = session.scalar(
            select(Account.scope_region_id).where(Account.username == "leader")
        )
        own = get_region_by_id(session, scope_id)
        city = get_city(session)
        others = {r.code: r.name_zh for r in list_children(session, city.id) if r.code != own.code}
        assert get_region(session, own.code).level == "district"
    engine.dispose()
    _at(date(2026, 11, 30), monkeypatch)
    at = _run("app_pages/safety.py", user="leader", period="2025")
    assert not any("没有可对比的地区" in i.value for i in at.info)
    box = at.selectbox(key=f"cmp_region_safety_{own.code}")
    # The city itself is outside the district leader's scope; its districts' average is not.
    assert box.options == ["各区县（市）平均", *others.values()]
    assert any("仅作汇总对比" in c.value for c in at.caption)
    box.set_value(AVERAGE).run()
    assert any("各区县（市）平均" in c for c in at.dataframe[-1].value.columns)
    box.set_value(next(iter(others))).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert any("·" in c for c in table.columns)


def test_the_period_choices_follow_the_sessions_language(app_env):
    # The choices' words are made once per period and language (ui/filters.py), not per run.
    at = app_as(app_env, "admin", period="2025Q1")
    assert {"2025年", "2025年第1季度"} <= set(at.selectbox(key="_w_period").options)
    at.session_state["lang"] = "en"
    at.run()
    options = set(at.selectbox(key="_w_period").options)
    assert {"2025", "Q1 2025"} <= options and "2025年" not in options
    assert at.selectbox(key="_w_period").value == "2025Q1"
