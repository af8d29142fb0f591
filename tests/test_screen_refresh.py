"""A wall screen checks, at every refresh, that it may still show data: its link (revoked or
expired) and, at /screen, its account's sign-in (disabled, signed out). While the store is down it
keeps its last data, marked stale with the time that data was read, and recovers by itself.

The refresh is a fragment that reruns on a timer; AppTest cannot fire that timer, so these tests
run the page script on its own (without the router, which checks the link only when a page
opens): each run is what one refresh does. tests/hostile/test_screen_hostile.py watches the real
timer in Chromium."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from data_access.accounts import (
    AccountError,
    add_account,
    add_screen_link,
    revoke_screen_link,
    set_account_active,
)
from data_access.activities import add_activity
from data_access.auth import (
    get_screen_link,
    get_session_account,
    hash_token,
    list_screen_links,
    start_session,
    utcnow,
)
from data_access.db import read_session, write_session
from data_access.models import ScreenLink
from data_access.regions import RegionInfo, get_city
from data_access.registry import PILLARS
from data_access.scoring import IndexResult, PillarScore
from data_access.store import open_store
from tests.activity_fixtures import some_place
from tests.auth_helpers import app_as
from tests.conftest import ROOT

DEFAULT_PERIOD = "2025"  # a period of the demo's data (the article's year)

PAGE = str(ROOT / "app_pages" / "screen.py")
ADMIN_PAGE = "app_pages/admin.py"
SHANGHAI = ZoneInfo("Asia/Shanghai")
LINK_GONE = "此大屏链接已失效"
SIGNED_OUT = "账户已停用或登录已失效"


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _city_id(engine) -> int:
    with read_session(engine) as s:
        return get_city(s).id


def _issue(engine, expires_at: datetime | None = None) -> tuple[int, str]:
    with write_session(engine) as s:
        issued = add_screen_link(s, None, "测试大屏", _city_id(engine), expires_at=expires_at)
    return issued.id, issued.token


def _account(session, engine) -> int:
    username = f"wall{uuid.uuid4().hex[:8]}"
    city = _city_id(engine)
    return add_account(session, None, username, "大屏", "leader", city, "wall-screen-pw")


def save_activity(engine) -> str:
    """Save an activity (today, in a community of the demo city) now; its title."""
    place = some_place(engine, 5)
    title = f"大屏测试 {uuid.uuid4().hex[:10]}"
    data = {
        "type_key": "mediation",
        "community_id": place["community_id"],
        "grid_id": place["grid_id"],
        "compound_id": place["compound_id"],
        "occurred_on": date.today(),
        "title": title,
        "participants": 2,
        "cases_resolved": 1,
    }
    with write_session(engine) as s:
        assert add_activity(s, data, uuid.uuid4().hex).status == "saved"
    return title


def _page(url: str, **state) -> AppTest:
    """The wall screen page alone, as a refresh runs it (latest activities only)."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["store_url"] = url
    for key, value in state.items():
        at.session_state[key] = value
    at.query_params["slides"] = "latest"
    return at


def _shown(at: AppTest) -> str:
    """The screen's HTML (without its style sheet)."""
    assert not at.exception
    return " ".join(h.proto.body for h in at.get("html") if "<style>" not in h.proto.body)


def _refresh(at: AppTest) -> str:
    """One refresh, on data read afresh; the screen's HTML."""
    st.cache_data.clear()
    at.run()
    return _shown(at)


# data_access: the link and the sign-in, on SQLite and PostgreSQL


def test_a_link_is_refused_once_expired_or_revoked(engine):
    now = utcnow()
    link_id, token = _issue(engine, expires_at=now + timedelta(hours=2))
    with read_session(engine) as s:
        assert get_screen_link(s, token, now=now).id == link_id
        assert get_screen_link(s, token, now=now + timedelta(hours=2, seconds=-1)) is not None
        assert get_screen_link(s, token, now=now + timedelta(hours=2)) is None
        assert get_screen_link(s, token, now=now + timedelta(days=1)) is None
    with write_session(engine) as s:
        revoke_screen_link(s, None, link_id)
    with read_session(engine) as s:
        assert get_screen_link(s, token, now=now) is None


def test_an_expiry_is_kept_in_utc_and_must_lie_ahead(engine):
    now = utcnow()
    local = (now + timedelta(days=3)).replace(tzinfo=UTC).astimezone(SHANGHAI)
    link_id, _ = _issue(engine, expires_at=local)
    with read_session(engine) as s:
        stored = s.scalar(select(ScreenLink.expires_at).where(ScreenLink.id == link_id))
        listed = next(k for k in list_screen_links(s) if k.id == link_id)
    assert stored == local.astimezone(UTC).replace(tzinfo=None)
    assert listed.expires_at == stored
    for past in (now, now - timedelta(minutes=1)):
        with pytest.raises(AccountError) as refused, write_session(engine) as s:
            add_screen_link(s, None, "过期", _city_id(engine), expires_at=past, now=now)
        assert "有效期" in refused.value.message.zh
    with read_session(engine) as s:
        assert not s.scalar(select(ScreenLink.id).where(ScreenLink.label == "过期"))


def test_a_disabled_accounts_sign_in_ends_and_stays_ended(engine):
    with write_session(engine) as s:
        account = _account(s, engine)
        token_hash = hash_token(start_session(s, account))
    with write_session(engine) as s:
        set_account_active(s, None, account, False)
    with read_session(engine) as s:
        assert get_session_account(s, token_hash) is None
    with write_session(engine) as s:
        set_account_active(s, None, account, True)
    with read_session(engine) as s:
        assert get_session_account(s, token_hash) is None


# the refresh, on a real store


def test_a_revoked_link_stops_the_screen_at_its_next_refresh(engine, write_db_url):
    link_id, token = _issue(engine)
    at = _page(write_db_url)
    at.query_params["screen"] = token
    before = save_activity(engine)
    assert before in _refresh(at)
    with write_session(engine) as s:
        revoke_screen_link(s, None, link_id)
    after = save_activity(engine)
    for _ in range(3):
        shown = _refresh(at)
        assert LINK_GONE in shown
        assert after not in shown and before not in shown and "hs-latest" not in shown


def test_an_expired_link_stops_the_screen_at_its_next_refresh(engine, write_db_url):
    link_id, token = _issue(engine, expires_at=utcnow() + timedelta(days=1))
    at = _page(write_db_url)
    at.query_params["screen"] = token
    assert "hs-latest" in _refresh(at)
    with write_session(engine) as s:
        s.execute(
            update(ScreenLink)
            .where(ScreenLink.id == link_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    after = save_activity(engine)
    shown = _refresh(at)
    assert LINK_GONE in shown and after not in shown and "hs-latest" not in shown


def test_a_disabled_account_stops_its_screen_at_the_next_refresh(engine, write_db_url):
    with write_session(engine) as s:
        account = _account(s, engine)
        token_hash = hash_token(start_session(s, account))
    at = _page(write_db_url, _auth_session=token_hash)
    assert "hs-latest" in _refresh(at)
    with write_session(engine) as s:
        set_account_active(s, None, account, False)
    after = save_activity(engine)
    shown = _refresh(at)
    assert SIGNED_OUT in shown and after not in shown and "hs-latest" not in shown


def test_while_postgres_is_stopped_the_last_data_stays_marked_with_its_time(
    write_pg_url, pg_server
):
    engine = open_store(write_pg_url)
    _, token = _issue(engine)
    engine.dispose()
    at = _page(write_pg_url)
    at.query_params["screen"] = token
    fresh = _refresh(at)
    assert "数据时间" in fresh and "数据暂未更新" not in fresh
    read_at = _shown_time(fresh)
    pg_server.pause()
    try:
        at.run()  # within the cached snapshot's life: the store's failure must still show
        stale = _shown(at)
        assert "数据暂未更新" in stale and "hs-stale" in stale and "hs-latest" in stale
        assert _shown_time(stale) == read_at
    finally:
        pg_server.resume()
    back = _refresh(at)
    assert "数据时间" in back and "数据暂未更新" not in back and "hs-latest" in back
    assert _shown_time(back) >= read_at


def _shown_time(text: str) -> str:
    """The data time in the footer (YYYY-MM-DD HH:MM:SS)."""
    import re

    found = re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text.split("hs-footer", 1)[1])
    assert found, text
    return found.group(0)


# the refresh's own logic, with a snapshot and checks made up by the test


def snapshot(read_at: datetime) -> dict:
    """A small snapshot read at `read_at`."""
    middling = IndexResult(50.0, tuple(PillarScore(p.key, 50.0, 1.0, ()) for p in PILLARS))
    region = RegionInfo(1, "210100", "city", None, "沈阳市", "Shenyang", 41.8, 123.4, 0, 0)
    return {
        "region": region,
        "index": middling,
        "index_last_year": middling,
        "ranking": [(region, 50.0)],
        "latest": [],
        "read_at": read_at,
    }


def _deck(read_at: str, period: str) -> None:
    from datetime import datetime

    import streamlit as st

    from tests.test_screen_refresh import snapshot
    from ui import screen

    def load():
        if st.session_state.get("load_fails"):
            raise ConnectionError("store down")
        return snapshot(datetime.fromisoformat(read_at))

    def check():
        if st.session_state.get("check_fails"):
            raise ConnectionError("store down")
        return st.session_state.get("notice")

    screen.run(screen.ScreenConfig(("index",), 15, None, period), load, period, check)


def test_the_footer_shows_when_the_data_was_read_in_shanghai_time():
    read_at = datetime.now(UTC) - timedelta(minutes=7, seconds=13)
    local = read_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    at = AppTest.from_function(_deck, args=(read_at.isoformat(), DEFAULT_PERIOD))
    at.run()
    text = _shown(at)
    assert f"数据时间 {local}" in text and "hs-stale" not in text
    for failing in ("check_fails", "load_fails"):
        at.session_state[failing] = True
        at.run()
        text = _shown(at)
        assert f"显示 {local} 的数据" in text and "hs-stale" in text and "幸福指数" in text
        at.session_state[failing] = False
    at.session_state["notice"] = "screen.link_invalid"
    at.run()
    text = _shown(at)
    assert LINK_GONE in text and "幸福指数" not in text and local not in text


# the Admin page's link form: an optional expiry in Beijing time, kept in UTC


def _issue_in_admin(at: AppTest, label: str, day: date | None, clock: dt_time | None) -> AppTest:
    at.text_input(key="admin_link_label").input(label)
    at.date_input(key="admin_link_expires_day").set_value(day)
    at.time_input(key="admin_link_expires_time").set_value(clock)
    next(b for b in at.button if b.label == "生成大屏链接").click().run()
    assert not at.exception
    return at


def _stored_expiry(engine, label: str) -> list[datetime | None]:
    with read_session(engine) as s:
        return list(s.scalars(select(ScreenLink.expires_at).where(ScreenLink.label == label)))


def test_the_admin_sets_an_expiry_in_beijing_time(record_env):
    engine = open_store(record_env)
    at = app_as(record_env, "admin", page=ADMIN_PAGE)
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    label = f"到期 {uuid.uuid4().hex[:6]}"
    _issue_in_admin(at, label, tomorrow, dt_time(8, 30))
    assert at.code and "screen=" in at.code[0].value
    expected = datetime.combine(tomorrow, dt_time(8, 30), tzinfo=SHANGHAI).astimezone(UTC)
    assert _stored_expiry(engine, label) == [expected.replace(tzinfo=None)]
    shown = next(d.value for d in at.dataframe if "状态" in d.value.columns)
    row = shown[shown["名称"] == label].iloc[0]
    assert row["有效期至（北京时间）"] == f"{tomorrow.isoformat()} 08:30:00"
    assert row["状态"] == "有效"

    day_only = f"当天 {uuid.uuid4().hex[:6]}"
    _issue_in_admin(at, day_only, tomorrow, None)
    end_of_day = datetime.combine(tomorrow + timedelta(days=1), dt_time(0), tzinfo=SHANGHAI)
    assert _stored_expiry(engine, day_only) == [end_of_day.astimezone(UTC).replace(tzinfo=None)]
    forever = f"长期 {uuid.uuid4().hex[:6]}"
    _issue_in_admin(at, forever, None, None)
    assert _stored_expiry(engine, forever) == [None]
    engine.dispose()


def test_an_expiry_without_a_date_or_in_the_past_is_refused_and_kept(record_env):
    engine = open_store(record_env)
    at = app_as(record_env, "admin", page=ADMIN_PAGE)
    label = f"不成 {uuid.uuid4().hex[:6]}"
    _issue_in_admin(at, label, None, dt_time(9, 0))
    assert "请同时选择日期" in at.error[0].value and not at.code
    assert at.text_input(key="admin_link_label").value == label
    assert at.time_input(key="admin_link_expires_time").value == dt_time(9, 0)
    _issue_in_admin(at, label, datetime.now(SHANGHAI).date(), dt_time(0, 0))  # already past
    assert "有效期须晚于现在" in at.error[0].value and not at.code
    assert at.text_input(key="admin_link_label").value == label
    assert _stored_expiry(engine, label) == []
    engine.dispose()
