"""The wall screen: settings from the URL, slides, rotation by hand, stale data, escaping."""

from __future__ import annotations

import os

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access import cached
from data_access.regions import RegionInfo
from data_access.registry import PILLARS
from data_access.scoring import IndexResult, PillarScore
from tests.auth_helpers import app_as
from ui import screen

PAGE = "app_pages/screen.py"


def _screen(lang: str = "zh", **params: str) -> AppTest:
    """The wall screen, signed in as the admin."""
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", lang)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(PAGE)
    at.run()
    return at


def _html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def test_config_from_url_with_fallbacks():
    config, notices = screen.parse_config({"slides": "ranking,latest", "interval": "30"}, "2025")
    assert config.slides == ("ranking", "latest") and config.interval == 30 and notices == []
    config, notices = screen.parse_config(
        {"slides": "ranking,<script>", "interval": "1", "period": "2025-13"}, "2025"
    )
    assert config.slides == screen.SLIDE_KINDS and config.interval == screen.DEFAULT_INTERVAL
    assert config.period == "2025" and len(notices) == 3


def test_pillars_expand_to_one_slide_each():
    slides = screen.expand_slides(("index", "pillars", "latest"))
    assert slides == ["index", *(f"pillar:{p.key}" for p in PILLARS), "latest"]


def _snapshot(name: str, title: str) -> dict:
    empty = IndexResult(50.0, tuple(PillarScore(p.key, 50.0, 1.0, ()) for p in PILLARS))
    region = RegionInfo(1, "210100", "city", None, name, name, 41.8, 123.4, 0, 0)
    activity = {
        "occurred_on": "2025-12-01",
        "community_zh": name,
        "community_en": name,
        "type_key": "mediation",
        "title": title,
        "id": 1,
        "created_at": None,
    }
    return {
        "region": region,
        "index": empty,
        "index_last_year": empty,
        "ranking": [(region, 50.0)],
        "latest": [activity],
    }


@pytest.mark.parametrize("slide", ["index", "ranking", "latest", "pillar:safety"])
def test_names_and_titles_are_rendered_as_text(slide):
    snap = _snapshot("<b>区</b>", "<script>alert(1)</script>")
    page = screen.frame_html(slide, (1, 4), snap, "2025", "as of", stale=False)
    assert "<script>" not in page and "<b>区" not in page
    assert "&lt;b&gt;区&lt;/b&gt;" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screen_shows_the_index_first(app_env, lang):
    at = _screen(lang)
    assert not at.exception and not at.error
    body = _html(at)
    assert ("幸福指数" if lang == "zh" else "Happiness index") in body
    assert ("数据时间" if lang == "zh" else "Data as of") in body
    assert "1/8" in body


def test_presenter_moves_forward_and_back(app_env):
    at = _screen(slides="ranking,latest")
    assert "区县（市）幸福指数排名" in _html(at) and "1/2" in _html(at)
    at.button(key="hs_next").click().run()
    assert "最新录入的活动" in _html(at) and "2/2" in _html(at)
    at.button(key="hs_prev").click().run()
    assert "区县（市）幸福指数排名" in _html(at)
    at.button(key="hs_pause").click().run()
    assert "已暂停" in _html(at)


def test_region_from_the_url_and_a_bad_one_falls_back(app_env):
    district = _screen(region="210102", slides="ranking")
    assert "和平区" in _html(district) and "街道（乡镇）幸福指数排名" in _html(district)
    bad = _screen(region="nowhere")
    assert not bad.exception and "沈阳市" in _html(bad)
    assert any("region" in toast.value for toast in bad.toast)


def test_when_the_store_fails_the_last_data_stays_with_a_stale_marker(app_env, monkeypatch):
    at = _screen(slides="index")
    assert "数据时间" in _html(at)

    def unreachable(*_args, **_kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(cached, "screen_snapshot", unreachable)
    at.run()
    assert not at.exception
    body = _html(at)
    assert "数据暂未更新" in body and "幸福指数" in body
    monkeypatch.undo()
    monkeypatch.setenv("HAPPY_DB_URL", app_env)
    at.run()
    assert "数据暂未更新" not in _html(at) and "数据时间" in _html(at)
    st.cache_data.clear()


def test_latest_slide_is_in_date_order_newest_first():
    snap = _snapshot("区", "t")
    base = snap["latest"][0]
    # Recorded order (the feed's) differs from the date order.
    snap["latest"] = [
        {**base, "id": 1, "title": "B-middle", "occurred_on": "2026-10-03"},
        {**base, "id": 2, "title": "C-oldest", "occurred_on": "2025-01-20"},
        {**base, "id": 3, "title": "A-newest", "occurred_on": "2026-11-29"},
    ]
    page = screen.slide_html("latest", snap)
    assert page.index("A-newest") < page.index("B-middle") < page.index("C-oldest")


def test_ranking_slide_says_how_many_it_leaves_out():
    snap = _snapshot("区", "t")
    region = snap["region"]
    kids = [
        RegionInfo(i, f"2101{i:02d}", "district", 1, f"区{i}", f"D{i}", 41.8, 123.4, 0, 0)
        for i in range(18)
    ]
    snap["ranking"] = [(k, 50.0 + k.id) for k in kids]
    page = screen.slide_html("ranking", {**snap, "region": region})
    assert "前16名 / 共18个" in page and page.count('class="hs-rank"') == 16
    snap["ranking"] = snap["ranking"][:16]
    assert "前16名" not in screen.slide_html("ranking", snap)


def test_from_the_menu_the_screen_keeps_the_chosen_view_and_has_a_way_back(app_env):
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh", region="210102", period="2025Q3")
    at.switch_page(PAGE)
    at.query_params.clear()  # the menu's link carries no parameters
    at.run()
    assert not at.exception
    assert "和平区 · 2025年第3季度" in _html(at)
    (exit_button,) = [b for b in at.button if b.key == "hs_exit"]
    assert exit_button.proto.shortcut == "escape"
    exit_button.click().run()
    assert not at.exception and "hs-screen" not in _html(at)
    assert at.query_params["region"] == "210102" and at.query_params["period"] == "2025Q3"


def test_a_screen_link_has_no_exit(app_env):
    from sqlalchemy import select

    from data_access.accounts import add_screen_link
    from data_access.db import make_engine, write_session
    from data_access.models import Region
    from tests.auth_helpers import ROOT

    engine = make_engine(app_env)
    with write_session(engine) as session:
        city = session.scalar(select(Region.id).where(Region.level == "city"))
        token = add_screen_link(session, None, "wall", city).token
    engine.dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["screen"] = token
    at.run()
    assert not at.exception and "幸福指数" in _html(at)
    assert not [b for b in at.button if b.key == "hs_exit"]


def test_a_year_not_over_is_shown_to_date_and_compared_like_with_like(app_env, monkeypatch):
    """The wall screen reads a running year to date, as the dashboards do: a fortnight of a new
    year is not set beside the whole of the last one (it showed the index far down against
    last year); a finished year is compared with the year before."""
    from datetime import UTC, datetime

    from tests.conftest import DEMO_TODAY

    moment = datetime(DEMO_TODAY.year, DEMO_TODAY.month, DEMO_TODAY.day, 4, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)
    running = _html(_screen(period=str(DEMO_TODAY.year)))
    assert "较上年同期" not in running  # half a month of counts: no fair base
    assert f"{DEMO_TODAY.year}年1月" in running or f"{DEMO_TODAY.year}年1–" in running
    finished = _html(_screen(period=str(DEMO_TODAY.year - 1)))
    assert "较上年同期" in finished
