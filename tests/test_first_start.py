"""First start as a person sees it: the seeding progress in the user's language, and no banner
left once the store is ready."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.cards_html import cards
from ui import bootstrap
from ui.i18n import use_language

# Every step seed_data/loader.py reports (its command line prints them in English).
LOADER_STEPS = [
    "regions",
    "activities",
    "activities 1,000/50,000",
    "monthly reports",
    "indexes",
    "done",
    "demo data already present",
]


@pytest.mark.parametrize("step", LOADER_STEPS)
def test_progress_labels_are_chinese(step):
    use_language("zh")
    label = bootstrap.progress_label(step)
    assert label.startswith("正在生成：")
    words = ("regions", "activities", "rollups", "reports", "done", "demo", "present", "indexes")
    assert not any(word in label for word in words), label


def test_progress_label_keeps_the_count_and_speaks_english_in_english():
    use_language("en")
    try:
        assert bootstrap.progress_label("activities 1,000/50,000").replace("\\", "") == (
            "Building: activities 1,000/50,000"
        )
    finally:
        use_language("zh")


def _first_start_page() -> None:
    import streamlit as st

    from seed_data import loader
    from ui import bootstrap

    labels = st.session_state.setdefault("labels", [])

    def fake_seed(engine, progress):
        for fraction, step in ((0.0, "regions"), (0.5, "activities 5/10"), (1.0, "done")):
            labels.append(bootstrap.progress_label(step))
            progress(fraction, step)

    # The first start imports the demo loader when it needs it: replace it there.
    loader.seed_demo = fake_seed
    bootstrap._seed_with_progress(engine=None)
    st.text_input("用户名", key="auth_username")  # what the sign-in form shows next


def test_the_creating_banner_is_gone_once_the_sign_in_form_shows():
    from seed_data import loader

    real = loader.seed_demo
    try:
        at = AppTest.from_function(_first_start_page).run()
    finally:
        loader.seed_demo = real
    assert not at.exception
    assert not at.info and not at.success and not at.get("progress")
    assert at.text_input(key="auth_username")
    assert any("演示数据已就绪" in toast.value for toast in at.toast)
    assert at.session_state["labels"][1].startswith("正在生成：活动记录")


def _city_store(path) -> str:
    """A store with a city and no account yet (the first admin is made at the app's start)."""
    from data_access.db import write_session
    from data_access.models import Region
    from data_access.store import open_store

    url = f"sqlite:///{path}"
    engine = open_store(url)
    with write_session(engine) as session:
        session.add(
            Region(id=1, code="2101", level="city", name_zh="沈阳市", name_en="Shenyang",
                   lat=41.8, lon=123.4, population=1, households=1)
        )  # fmt: skip
    engine.dispose()
    return url


def _change(at: AppTest, current: str, new: str, again: str) -> AppTest:
    at.text_input(key="auth_pw_current").input(current)
    at.text_input(key="auth_pw_new").input(new)
    at.text_input(key="auth_pw_again").input(again)
    next(b for b in at.button if b.label == "修改密码").click().run()
    return at


def test_the_first_admin_replaces_the_one_time_password_at_first_sign_in(
    monkeypatch, tmp_path, capsys
):
    import re

    import streamlit as st
    from sqlalchemy import select

    from data_access.auth import verify_password
    from data_access.db import make_engine, read_session
    from data_access.models import Account, AuditLog, AuthSession
    from tests.conftest import ROOT

    url = _city_store(tmp_path / "fresh.db")
    monkeypatch.setenv("HAPPY_DB_URL", url)
    monkeypatch.delenv("HAPPY_ADMIN_PASSWORD", raising=False)
    monkeypatch.chdir(ROOT)
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        one_time = re.search(r"one-time password: (\S+)", capsys.readouterr().err).group(1)
        at.text_input(key="auth_username").input("admin")
        at.text_input(key="auth_password").input(one_time)
        at.button[0].click().run()
        # Nothing but the change form, until the password is replaced.
        assert at.title[0].value == "请修改初始密码" and not cards(at) and not at.exception
        _change(at, one_time, "a-new-secret-1", "a-different-one")
        assert "不一致" in at.warning[0].value
        _change(at, "not-the-password", "a-new-secret-1", "a-new-secret-1")
        assert "当前密码不正确" in at.warning[0].value
        _change(at, one_time, "short", "short")
        assert "8" in at.warning[0].value
        assert at.title[0].value == "请修改初始密码"
        _change(at, one_time, "a-new-secret-1", "a-new-secret-1")
        assert any("密码已修改" in toast.value for toast in at.toast)
        assert not [t for t in at.title if t.value == "请修改初始密码"]
        assert any(b.key == "auth_sign_out" for b in at.sidebar.button)  # the app, signed in
        engine = make_engine(url)
        with read_session(engine) as session:
            admin = session.scalar(select(Account).where(Account.username == "admin"))
            must_change, password_hash = admin.must_change_password, admin.password_hash
            admin_id = admin.id
            rows = session.execute(
                select(AuditLog.action, AuditLog.account_id).where(AuditLog.entity == "account")
            ).all()
            live = session.scalars(
                select(AuthSession.id).where(
                    AuthSession.account_id == admin.id, AuthSession.revoked_at.is_(None)
                )
            ).all()
        engine.dispose()
        assert not must_change
        assert verify_password(password_hash, "a-new-secret-1")
        assert not verify_password(password_hash, one_time)
        assert ("change_password", admin_id) in rows
        assert len(live) == 1  # the session of the one-time password ended; this one goes on
        # The next visit of the same browser session is not asked again.
        at.run()
        assert not [t for t in at.title if t.value == "请修改初始密码"] and not at.exception
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_store_an_older_program_made_is_upgraded_with_a_banner_then_a_toast(
    monkeypatch, tmp_path
):
    """The first page after an upgrade of the program migrates the store in the page's run with
    a banner and a bar (ui/bootstrap._migrate_with_progress) and says when it is done; the
    banner does not stay. A store with no region then says so, as before."""
    from data_access.db import make_engine
    from data_access.migrate import _parents, head_revision, stored_revision
    from tests.conftest import ROOT
    from tests.test_store import _store_at

    url = f"sqlite:///{tmp_path / 'older.db'}"
    (before,) = _parents()[head_revision()]
    _store_at(url, before)
    monkeypatch.setenv("HAPPY_DB_URL", url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert [toast.value for toast in at.toast] == ["数据库结构已升级"]
    assert not [i for i in at.info if "正在升级数据库结构" in i.value]
    assert any("还没有地区数据" in w.value for w in at.warning), at.warning
    engine = make_engine(url)
    assert stored_revision(engine) == head_revision()
    engine.dispose()
    again = at.run()
    assert not again.exception and not again.toast  # opened once a process: nothing again
