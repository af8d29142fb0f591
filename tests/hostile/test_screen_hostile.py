"""Hostile tests of the wall screen: its URL settings, whatever they hold, never crash it nor
render as markup; and an open screen whose link is revoked, or whose account is disabled, stops
showing data at its next timed refresh (in Chromium, with the real timer)."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.accounts import (
    add_account,
    add_screen_link,
    revoke_screen_link,
    set_account_active,
)
from data_access.auth import start_session
from data_access.db import make_engine, write_session
from data_access.models import Region
from tests.activity_fixtures import copy_sqlite
from tests.auth_helpers import ADMIN_PASSWORD, session_hash
from tests.browser import require_chromium, streamlit_server
from tests.cards_html import shown_html
from tests.conftest import ROOT
from tests.hostile.payloads import URL_VALUES
from tests.test_screen_refresh import save_activity
from ui import screen

DEFAULT_PERIOD = "2025"  # a period of the demo's data (the article's year)

PAGE = "app_pages/screen.py"
SETTINGS = ("slides", "interval", "period", "region")
# More of the same kind: digits int() refuses though str.isdigit() accepts them, other
# scripts' digits, a NUL (PostgreSQL refuses it in text), a lone comma.
EXTRA_VALUES = ("²", "١٢", "\x00", ",", "index,,<b>x</b>")
# What Markdown (with Streamlit's :emoji:, :material/…: and :color[…] directives) acts on.
ACTIVE = set("\\`*_{}[]()#+-.!<>|~$:&\"'")
TAGS = re.compile(r"<\s*(script|img|a|iframe|svg|b)\b", re.IGNORECASE)


def live_markup(markdown: str) -> set[str]:
    """The characters of Markdown source that are not backslash-escaped and would act."""
    return {c for c in re.sub(r"\\.", "", markdown, flags=re.DOTALL) if c in ACTIVE}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.dictionaries(hs.sampled_from(SETTINGS), hs.text(max_size=60)))
def test_any_url_setting_gives_a_config_or_an_escaped_notice(params):
    config, notices = screen.parse_config(params, DEFAULT_PERIOD)
    allowed = set(screen.SLIDE_KINDS) | set(screen.attention.SCREEN_SLIDES)  # 需关注 too
    assert set(config.slides) <= allowed and config.slides
    low, high = screen.INTERVAL_RANGE
    assert low <= config.interval <= high
    for notice in notices:
        assert live_markup(notice) == set() and "\n" not in notice


def _assert_shown_as_text(at: AppTest) -> None:
    assert not at.exception
    for toast in at.toast:
        assert live_markup(toast.value) == set(), toast.value
    for element in at.get("html"):
        assert not TAGS.search(element.proto.body), element.proto.body[:200]
    assert not [m for m in at.markdown if "evil.example" in m.value]


def _open_screen(url: str, value: str) -> AppTest:
    """/screen opened signed in, with every setting (and the language) set to `value`."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_auth_session"] = session_hash(url, "admin")
    for name in (*SETTINGS, "lang"):
        at.query_params[name] = value
    at.switch_page(PAGE)
    at.run()
    return at


@pytest.mark.parametrize("value", URL_VALUES + EXTRA_VALUES)
def test_hostile_url_settings_leave_a_working_screen(app_env, value):
    at = _open_screen(app_env, value)
    _assert_shown_as_text(at)
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert "hs-screen" in shown and "幸福指数" in shown  # the defaults, in Chinese
    assert any("slides" in toast.value for toast in at.toast)  # none is a valid setting


@pytest.mark.parametrize("value", ["\x00", "[请重新登录](http://evil.example/)", "x" * 5000])
def test_hostile_url_settings_on_postgresql(app_env, monkeypatch, pg_url, value):
    monkeypatch.setenv("HAPPY_DB_URL", pg_url)
    at = _open_screen(pg_url, value)
    _assert_shown_as_text(at)
    assert "hs-screen" in " ".join(h.proto.body for h in at.get("html"))


@pytest.mark.parametrize("value", URL_VALUES + EXTRA_VALUES)
def test_a_hostile_screen_token_is_refused_in_one_line(app_env, value):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["screen"] = value
    at.run()
    assert not at.exception and not shown_html(at)
    assert "无效或已被撤销" in at.error[0].value


# In Chromium: the timed refresh itself (a fragment on a timer, which AppTest cannot fire).

NOTICE_JS = "t => document.querySelector('.hs-screen')?.innerText.includes(t)"


@pytest.fixture(scope="module")
def live_store(sqlite_url, tmp_path_factory):
    """A copy of the demo store that these tests may write to."""
    return copy_sqlite(sqlite_url, tmp_path_factory.mktemp("screen-hostile") / "happy.db")


@pytest.fixture(scope="module")
def server(live_store, tmp_path_factory):
    require_chromium()
    log = tmp_path_factory.mktemp("screen-hostile-log") / "streamlit.log"
    env = {**os.environ, "HAPPY_DB_URL": live_store, "HAPPY_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with streamlit_server(env, log) as base:
        yield base


def _stops_at_next_refresh(page, engine, stop, notice: str) -> None:
    """The open screen shows data; `stop()` is done, a record is added; the next refresh shows
    the notice, and the new record never shows in the refreshes that follow."""
    page.wait_for_selector(".hs-latest", timeout=90_000)
    stop()
    title = save_activity(engine)
    page.wait_for_function(NOTICE_JS, arg=notice, timeout=60_000)
    for _ in range(3):  # the refreshes that follow (every 5 s) show the notice alone
        text = page.locator("body").inner_text()
        assert title not in text and notice in text
        assert page.locator(".hs-latest").count() == 0 and page.locator(".hs-footer").count() == 0
        page.wait_for_timeout(5_000)


@pytest.mark.browser
def test_a_revoked_link_stops_an_open_screen_at_its_next_refresh(server, browser, live_store):
    engine = make_engine(live_store)
    with write_session(engine) as s:
        city = s.scalar(select(Region.id).where(Region.level == "city"))
        issued = add_screen_link(s, None, "撤销测试", city)

    def revoke() -> None:
        with write_session(engine) as s:
            revoke_screen_link(s, None, issued.id)

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{server}/?screen={issued.token}&interval=5&slides=latest")
    _stops_at_next_refresh(page, engine, revoke, "此大屏链接已失效")
    page.close()
    engine.dispose()


@pytest.mark.browser
def test_a_disabled_account_stops_its_open_screen_at_the_next_refresh(server, browser, live_store):
    engine = make_engine(live_store)
    with write_session(engine) as s:
        city = s.scalar(select(Region.id).where(Region.level == "city"))
        account = add_account(
            s, None, f"wall{uuid.uuid4().hex[:8]}", "大屏", "leader", city, "wall-screen-pw"
        )
        token = start_session(s, account)

    def disable() -> None:
        with write_session(engine) as s:
            set_account_active(s, None, account, False)

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_cookies(
        [{"name": "happy_session", "value": token, "url": server, "sameSite": "Strict"}]
    )
    page = context.new_page()
    page.goto(f"{server}/screen?interval=5&slides=latest")
    _stops_at_next_refresh(page, engine, disable, "账户已停用或登录已失效")
    context.close()
    engine.dispose()
