"""The app in AppTest: every registered page in both languages, first start, clear errors."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.auth import verify_password
from data_access.db import make_engine, read_session, write_session
from data_access.models import Account, AuditLog, Region
from tests.auth_helpers import app_as
from tests.cards_html import cards
from tests.cards_html import notes as card_notes
from tests.conftest import DEMO_TODAY, ROOT

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py"))


def _run(lang: str | None = None, page: str | None = None, **params: str) -> AppTest:
    """The app signed in as the admin (who may open every page)."""
    return app_as(os.environ["HAPPY_DB_URL"], "admin", lang, page, **params)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_both_languages(app_env, page, lang):
    # Pages for signed-in users run as the admin (who may open all); the sign-in page signed
    # out; the notice for a page outside the menu as a leader (whose /admin shows it).
    user = {"app_pages/sign_in.py": None, "app_pages/not_allowed.py": "leader"}.get(page, "admin")
    at = app_as(app_env, user, lang, page)
    assert not at.exception
    assert not at.error


def test_overview_shows_the_five_pillars_against_the_article_in_chinese(app_env):
    at = _run(period="2025")  # the article's year (the default follows the clock)
    shown = " ".join(h.proto.body for h in at.get("html"))  # the pillars' headings, ui/cards.py
    for name in ("组织有力", "治理有效", "服务有质", "邻里有爱", "平安有序"):
        assert f'class="hs-h4">{name}</h4>' in shown
    values = {label: card.value for label, card in cards(at).items()}
    assert values["人民调解化解矛盾纠纷"] == "3.1万件"
    assert values["12345热线满意率"] == "98.51%"
    assert values["每万城镇常住人口社区工作者"] == "20.0人"
    assert "文章：2.9万余件" in " ".join(card_notes(at))


def test_overview_in_english(app_env):
    at = _run("en", period="2025")
    assert cards(at)["12345 hotline requests resolved"].value == "48.5K cases"
    assert '"hs-h4">Strong organisation</h4>' in " ".join(h.proto.body for h in at.get("html"))
    assert "Article: 29K+ cases" in " ".join(card_notes(at))


def test_period_comes_from_the_url_and_a_bad_one_falls_back(app_env, monkeypatch):
    at = _run(period="2024")
    assert at.query_params["period"] == "2024"
    assert cards(at)["12345热线满意率"].value == "97.78%"
    moment = datetime(DEMO_TODAY.year, DEMO_TODAY.month, DEMO_TODAY.day, 4, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)
    bad = _run(period="2025-13")
    assert bad.query_params["period"] == str(DEMO_TODAY.year)  # the default: this year
    assert not bad.exception
    assert any("无效" in toast.value for toast in bad.toast)


def test_language_switch_changes_the_page(app_env):
    at = _run()
    at.sidebar.segmented_control[0].set_value("en").run()
    assert at.query_params["lang"] == "en"
    assert ">Quality services</h4>" in " ".join(h.proto.body for h in at.get("html"))


def test_a_bad_database_url_shows_one_clear_message(monkeypatch):
    monkeypatch.setenv("HAPPY_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    monkeypatch.chdir(ROOT)
    try:
        at = app_as(None, None)
        assert not at.exception
        assert len(at.error) == 1 and "无法连接数据库" in at.error[0].value
        assert "Traceback" not in at.error[0].value
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    at.button[0].click().run()
    return at


def _change_password(at: AppTest, current: str, new: str, again: str) -> AppTest:
    at.text_input(key="auth_pw_current").input(current)
    at.text_input(key="auth_pw_new").input(new)
    at.text_input(key="auth_pw_again").input(again)
    next(b for b in at.button if b.label == "修改密码").click().run()
    return at


def test_first_start_builds_the_default_store_then_reuses_it(monkeypatch, tmp_path, capsys):
    db_file: Path = tmp_path / "data" / "happy.db"
    monkeypatch.delenv("HAPPY_DB_URL", raising=False)
    monkeypatch.delenv("HAPPY_ADMIN_PASSWORD", raising=False)
    monkeypatch.setattr("data_access.db.DEFAULT_SQLITE_PATH", db_file)
    monkeypatch.setattr("data_access.settings.SECRETS_PATH", tmp_path / "no-secrets.toml")
    # The demo is built for the clock's today: the tests' one, never the day they run.
    monkeypatch.setattr("data_access.clock.now", lambda: datetime.combine(DEMO_TODAY, time(4), UTC))
    monkeypatch.chdir(ROOT)
    try:
        at = app_as(None, None)
        assert not at.exception and db_file.exists()
        assert any("演示数据已就绪" in toast.value for toast in at.toast)
        assert not at.info and not at.get("progress")  # no "creating…" banner left
        # The first admin's one-time password is printed to the server log, once.
        printed = re.search(r"one-time password: (\S+)", capsys.readouterr().err)
        assert printed
        one_time = printed.group(1)
        _sign_in(at, "admin", one_time)
        # The one-time password is replaced before anything else is shown.
        assert at.title[0].value == "请修改初始密码" and not cards(at)
        _change_password(at, one_time, "a-new-secret-1", "a-different-one")
        assert "不一致" in at.warning[0].value and at.title[0].value == "请修改初始密码"
        _change_password(at, "wrong-password", "a-new-secret-1", "a-new-secret-1")
        assert "当前密码不正确" in at.warning[0].value
        _change_password(at, one_time, "a-new-secret-1", "a-new-secret-1")
        assert not at.exception
        assert any("密码已修改" in toast.value for toast in at.toast)
        assert cards(at)["城乡基础网格"].value == "1.4万个"
        with read_session(make_engine(f"sqlite:///{db_file}")) as session:
            audited = session.scalars(
                select(AuditLog.action).where(AuditLog.entity == "account")
            ).all()
            admin = session.scalar(select(Account).where(Account.username == "admin"))
            assert "change_password" in audited and not admin.must_change_password
            assert verify_password(admin.password_hash, "a-new-secret-1")
        st.cache_data.clear()
        st.cache_resource.clear()
        again = app_as(None, None)
        assert not again.exception and not again.toast  # nothing rebuilt
        assert "one-time password" not in capsys.readouterr().err
        _sign_in(again, "staff", "staff-demo-2025")  # the demo accounts of README.md
        assert "多福社区" in again.subheader[0].value  # staff see their own community
        assert not [t for t in again.title if t.value == "请修改初始密码"]  # demo: not asked
        assert not again.exception
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_too_short_admin_password_on_first_start_is_one_clear_message(monkeypatch, tmp_path):
    from data_access.store import open_store

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = open_store(url)
    with write_session(engine) as session:  # a store with a city but no account yet
        session.add(
            Region(
                id=1,
                code="2101",
                level="city",
                name_zh="沈阳市",
                name_en="Shenyang",
                lat=41.8,
                lon=123.4,
                population=1,
                households=1,
            )
        )
    engine.dispose()
    monkeypatch.setenv("HAPPY_DB_URL", url)
    monkeypatch.setenv("HAPPY_ADMIN_PASSWORD", "short")
    monkeypatch.chdir(ROOT)
    try:
        at = app_as(None, None)
        assert not at.exception
        assert len(at.error) == 1 and "HAPPY_ADMIN_PASSWORD" in at.error[0].value
        assert "short" not in at.error[0].value
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
