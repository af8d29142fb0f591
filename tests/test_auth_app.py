"""Sign-in, roles, pages and admin writes in the app (AppTest), in both languages."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access.accounts import add_account, add_screen_link, revoke_screen_link
from data_access.auth import (
    authenticate,
    get_account_by_username,
    hash_token,
    start_session,
    utcnow,
)
from data_access.db import make_engine, read_session, write_session
from data_access.models import Account, AuditLog, AuthSession, IndicatorRow, Region
from data_access.registry import INDICATORS
from tests.auth_helpers import PASSWORDS, ROOT, app_as
from tests.cards_html import cards, shown_html

ADMIN_PAGE = "app_pages/admin.py"
OVERVIEW = "app_pages/overview.py"
APP = str(ROOT / "app.py")
CLIENT = "203.0.113.7"  # the address sign-ins come from (a documentation address)


@pytest.fixture
def engine(app_env):
    engine = make_engine(app_env)
    yield engine
    engine.dispose()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    _button(at, "登录" if at.query_params.get("lang", "zh") == "zh" else "Sign in").click().run()
    return at


def _text(at: AppTest) -> str:
    parts = [
        e.value for kind in ("markdown", "caption", "title", "subheader") for e in at.get(kind)
    ]
    parts += [e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)]
    return " ".join(str(p) for p in parts)


def _new_account(engine, role: str, scope: int, name: str = "测试") -> tuple[str, str]:
    username, password = f"t{uuid.uuid4().hex[:8]}", "app-test-password"
    with write_session(engine) as s:
        add_account(s, None, username, name, role, scope, password)
    return username, password


def _region_id(engine, **where) -> int:
    with read_session(engine) as s:
        return s.scalar(select(Region.id).filter_by(**where).order_by(Region.code).limit(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_signed_out_only_the_sign_in_page_opens(app_env, lang):
    at = app_as(app_env, None, lang)
    assert not at.exception
    assert at.title[0].value == (
        "登录幸福社区看板" if lang == "zh" else "Sign in to the Happy Community Dashboard"
    )
    assert not cards(at)
    for page in (OVERVIEW, ADMIN_PAGE):
        with pytest.raises(ValueError):  # not registered for a signed-out visitor
            at.switch_page(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_in_with_a_password_shows_the_dashboards(app_env, lang, caplog):
    caplog.set_level(logging.DEBUG)
    at = app_as(app_env, None, lang)
    _sign_in(at, "admin", PASSWORDS["admin"])
    assert not at.exception
    assert cards(at), "the overview after signing in"
    # The password is nowhere: URL, session state, logs; the session token is not in the URL.
    dump = repr({k: at.session_state[k] for k in at.session_state})
    assert PASSWORDS["admin"] not in dump
    assert PASSWORDS["admin"] not in caplog.text
    assert at.session_state["auth_password"] == ""
    assert set(at.query_params) <= {"lang", "period", "region"}
    token_hash = at.session_state["_auth_session"]
    assert token_hash not in repr(dict(at.query_params))
    # The browser receives the token in a cookie script, once; the store keeps only its hash.
    scripts = [h.proto.body for h in at.get("html")]
    assert any("happy_session" in body and "max-age=28800" in body for body in scripts)
    token = next(b for b in scripts if "happy_session" in b).split("'=' + \"")[1].split('"')[0]
    assert hash_token(token) == token_hash and token not in caplog.text
    at.run()
    assert not any("happy_session" in h.proto.body for h in at.get("html"))  # written once


def test_wrong_passwords_then_lockout_in_the_app(app_env, engine):
    username, password = _new_account(engine, "staff", _region_id(engine, level="city"))
    at = app_as(app_env, None)
    _sign_in(at, username, "wrong-password")
    assert "用户名或密码不正确" in _text(at)
    assert at.text_input(key="auth_username").value == username  # kept for the next try
    for _ in range(4):
        _sign_in(at, username, "wrong-password")
    assert "已锁定" in _text(at) and "15 分钟" in _text(at)
    _sign_in(at, username, password)
    assert "已锁定" in _text(at) and not cards(at)
    _sign_in(at, "", "")
    assert "请输入用户名和密码" in _text(at)


def test_the_overview_is_scoped_to_the_account(app_env, engine):
    leader = app_as(app_env, "leader")
    assert not leader.exception
    with read_session(engine) as s:
        account = get_account_by_username(s, "leader")
    assert account.scope_name_zh in leader.subheader[0].value
    staff = app_as(app_env, "staff")
    assert "多福社区" in staff.subheader[0].value
    admin = app_as(app_env, "admin", "en")
    assert "Shenyang" in admin.subheader[0].value


@pytest.mark.parametrize(
    ("user", "pages"),
    [("leader", {OVERVIEW}), ("staff", {OVERVIEW}), ("admin", {OVERVIEW, ADMIN_PAGE})],
)
def test_each_role_sees_only_its_pages(app_env, user, pages):
    at = app_as(app_env, user)
    assert not at.exception
    for page in (OVERVIEW, ADMIN_PAGE):
        if page in pages:
            at.switch_page(page)
            at.run()
            assert not at.exception and not at.error
        else:
            with pytest.raises(ValueError):
                at.switch_page(page)


def test_the_admin_page_refuses_anyone_but_admins_even_if_reached(app_env):
    at = AppTest.from_file(str(ROOT / ADMIN_PAGE), default_timeout=60)
    at.session_state["store_url"] = app_env
    at.session_state["_auth_account"] = None
    at.run()
    assert at.error and "没有权限" in at.error[0].value
    assert not at.get("tab")


def test_expired_and_revoked_sessions_sign_out(app_env, engine):
    with write_session(engine) as s:
        admin = get_account_by_username(s, "admin")
        expired = start_session(s, admin.id, hours=1, now=utcnow() - timedelta(hours=2))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_auth_session"] = hash_token(expired)
    at.run()
    assert not cards(at) and "登录已过期" in _text(at)

    at = app_as(app_env, "admin")
    assert cards(at)
    with write_session(engine) as s:
        s.query(AuthSession).filter_by(token_hash=at.session_state["_auth_session"]).update(
            {"revoked_at": utcnow()}
        )
    at.run()
    assert not cards(at) and at.text_input(key="auth_password")


def test_sign_out_ends_the_session_and_clears_the_cookie(app_env, engine):
    at = app_as(app_env, "staff", "en")
    token_hash = at.session_state["_auth_session"]
    _button(at, "Sign out").click().run()
    assert not at.exception and not cards(at)
    assert "You have signed out" in _text(at)
    assert any("max-age=0" in h.proto.body for h in at.get("html"))
    with read_session(engine) as s:
        revoked = s.scalar(select(AuthSession.revoked_at).filter_by(token_hash=token_hash))
    assert revoked is not None


def test_a_reload_with_the_cookie_stays_signed_in(app_env, engine, monkeypatch):
    with write_session(engine) as s:
        token = start_session(s, get_account_by_username(s, "leader").id)
    monkeypatch.setattr("ui.auth._read_cookie", lambda: token)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert cards(at) and at.session_state["_auth_session"] == hash_token(token)
    monkeypatch.setattr("ui.auth._read_cookie", lambda: "forged-" + token)
    assert not cards(AppTest.from_file(APP, default_timeout=120).run())


def test_single_sign_on_maps_the_identity_to_an_account(app_env, engine, monkeypatch):
    email = f"{uuid.uuid4().hex[:8]}@example.gov.cn"
    with write_session(engine) as s:
        city = s.scalar(select(Region.id).where(Region.level == "city"))
        add_account(s, None, f"sso{uuid.uuid4().hex[:6]}", "单点领导", "leader", city, None, email)
    monkeypatch.setattr("ui.auth.sso_configured", lambda: True)
    at = AppTest.from_file(APP, default_timeout=120)
    at.user = {"is_logged_in": True, "email": email.upper(), "sub": "x"}
    at.run()
    assert not at.exception and cards(at)
    stranger = AppTest.from_file(APP, default_timeout=120)
    stranger.user = {"is_logged_in": True, "email": "<b>who@else</b>", "sub": "y"}
    stranger.run()
    assert not cards(stranger) and "尚未对应本系统账户" in _text(stranger)
    assert "<b>" not in _text(stranger)  # the identity is shown as text
    signed_out = AppTest.from_file(APP, default_timeout=120).run()
    assert any(b.label == "使用单位统一身份认证登录" for b in signed_out.button)


def test_html_in_names_is_shown_as_text(app_env, engine):
    city = _region_id(engine, level="city")
    username, password = _new_account(engine, "leader", city, "<script>alert(1)</script>**x**")
    at = app_as(app_env, None)
    _sign_in(at, username, password)
    caption = next(c.value for c in at.sidebar.caption if "alert" in c.value)
    assert "<script>" not in caption and r"\<script\>" in caption and r"\*\*x\*\*" in caption
    admin = app_as(app_env, "admin", page=ADMIN_PAGE)
    names = [str(v) for df in admin.dataframe for v in df.value.to_numpy().ravel()]
    assert "<script>alert(1)</script>**x**" in names  # a dataframe cell: plain text


def test_admin_creates_rescopes_disables_and_resets_accounts(app_env, engine):
    at = app_as(app_env, "admin", page=ADMIN_PAGE)
    username = f"new{uuid.uuid4().hex[:6]}"
    at.text_input(key="admin_new_username").input(username)
    at.text_input(key="admin_new_name").input("新同事")
    at.selectbox(key="admin_new_role").set_value("staff")
    at.text_input(key="admin_new_password").input("a-good-password")
    _button(at, "创建账户").click().run()
    assert not at.exception and any(username in s.value for s in at.success)
    assert at.text_input(key="admin_new_password").value == ""
    assert "a-good-password" not in repr({k: at.session_state[k] for k in at.session_state})
    with read_session(engine) as s:
        account = get_account_by_username(s, username)
    assert account.role == "staff" and account.scope_level == "city"

    # Re-scope to a district, disable, enable, reset (generated password shown once).
    district = _region_id(engine, level="district")
    at.selectbox(key="admin_account").set_value(account.id).run()
    at.selectbox(key="admin_edit_scope").set_value(district)
    at.selectbox(key="admin_edit_role").set_value("leader")
    _button(at, "保存角色和范围").click().run()
    _button(at, "停用账户").click().run()
    with read_session(engine) as s:
        changed = get_account_by_username(s, username)
        actions = set(
            s.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(account.id)))
        )
    assert changed.scope_region_id == district and changed.role == "leader"
    assert not changed.is_active and {"create", "update", "disable"} <= actions
    _button(at, "启用账户").click().run()
    _button(at, "重置密码").click().run()
    generated = at.code[0].value
    assert len(generated) >= 12
    at.run()
    assert not at.code  # shown only once
    with write_session(engine) as s:
        assert authenticate(s, username, generated, client=CLIENT).status == "ok"


def test_a_password_an_admin_set_is_replaced_at_the_next_sign_in(app_env, engine):
    """The admin knows a password they chose or reset: its owner must set their own first."""
    admin = app_as(app_env, "admin", page=ADMIN_PAGE)
    username = f"new{uuid.uuid4().hex[:6]}"
    admin.text_input(key="admin_new_username").input(username)
    admin.text_input(key="admin_new_name").input("新同事")
    admin.selectbox(key="admin_new_role").set_value("staff")
    admin.text_input(key="admin_new_password").input("admin-chose-this")
    _button(admin, "创建账户").click().run()
    assert not admin.exception

    def first_sign_in(password: str) -> AppTest:
        at = app_as(app_env, None)
        _sign_in(at, username, password)
        assert not at.exception
        assert at.title[0].value == "请修改初始密码" and not cards(at)
        return at

    at = first_sign_in("admin-chose-this")
    for key, value in zip(
        ("auth_pw_current", "auth_pw_new", "auth_pw_again"),
        ("admin-chose-this", "only-i-know-it", "only-i-know-it"),
        strict=True,
    ):
        at.text_input(key=key).input(value)
    _button(at, "修改密码").click().run()
    assert not at.exception and any("密码已修改" in toast.value for toast in at.toast)
    assert "请修改初始密码" not in [title.value for title in at.title]
    again = _sign_in(app_as(app_env, None), username, "only-i-know-it")
    assert not again.exception and "请修改初始密码" not in [title.value for title in again.title]

    # A reset by the admin asks again; the generated password is shown to the admin once.
    with read_session(engine) as s:
        account_id = get_account_by_username(s, username).id
    admin.selectbox(key="admin_account").set_value(account_id).run()
    _button(admin, "重置密码").click().run()
    first_sign_in(admin.code[0].value)


def test_admin_input_errors_show_one_message_and_save_nothing(app_env, engine):
    at = app_as(app_env, "admin", "en", page=ADMIN_PAGE)
    at.text_input(key="admin_new_username").input("bad name!")
    at.text_input(key="admin_new_name").input("x")
    at.text_input(key="admin_new_password").input("a-good-password")
    _button(at, "Create account").click().run()
    assert not at.exception and len(at.error) == 1 and "username" in at.error[0].value
    with read_session(engine) as s:
        assert s.scalar(select(Account.id).where(Account.username == "bad name!")) is None


def test_admin_edits_a_target_audited_and_applied_at_once(app_env, engine):
    ind = next(i for i in INDICATORS if i.key == "hotline_requests_resolved")
    at = app_as(app_env, "admin", page=ADMIN_PAGE)
    at.selectbox(key="admin_indicator").set_value(ind.key).run()
    assert at.number_input(key="admin_target").value == ind.target
    at.number_input(key="admin_target").set_value(60000.0)
    at.number_input(key="admin_weight").set_value(2.0)
    _button(at, "保存指标设置").click().run()
    try:
        assert not at.exception and any("已保存" in s.value for s in at.success)
        with read_session(engine) as s:
            row = s.get(IndicatorRow, ind.key)
            assert (row.target, row.weight) == (60000.0, 2.0)
            audited = s.scalar(
                select(AuditLog.after_json)
                .where(AuditLog.entity == "indicator", AuditLog.entity_id == ind.key)
                .order_by(AuditLog.id.desc())
            )
        assert "60000" in audited
    finally:
        with write_session(engine) as s:
            row = s.get(IndicatorRow, ind.key)
            row.target, row.weight = ind.target, ind.weight


def test_screen_links_open_one_read_only_page_until_revoked(app_env, engine):
    at = app_as(app_env, "admin", page=ADMIN_PAGE)
    district = _region_id(engine, level="district")
    at.text_input(key="admin_link_label").input("指挥中心")
    at.selectbox(key="admin_link_region").set_value(district)
    _button(at, "生成大屏链接").click().run()
    link = at.code[0].value
    token = link.split("screen=")[1]
    assert len(token) >= 40

    screen = AppTest.from_file(APP, default_timeout=120)
    screen.query_params["screen"] = token
    screen.run()
    slides = " ".join(h.proto.body for h in screen.get("html"))
    assert not screen.exception and "幸福指数" in slides  # the wall screen is a link's default page
    with read_session(engine) as s:
        name = s.get(Region, district).name_zh
    assert name in slides
    assert not any(b.label == "退出登录" for b in screen.button)  # no account, no menus
    with pytest.raises(ValueError):
        screen.switch_page(ADMIN_PAGE)

    with write_session(engine) as s:
        link_id = add_screen_link(s, None, "temp", district).id
        revoke_screen_link(s, None, link_id)
    at.run()
    at.selectbox(key="admin_revoke_link").set_value(_link_id(engine, token))
    _button(at, "撤销链接").click().run()
    screen.run()
    assert not shown_html(screen) and "无效或已被撤销" in screen.error[0].value
    forged = AppTest.from_file(APP, default_timeout=120)
    forged.query_params["screen"] = "not-a-token"
    forged.run()
    assert not forged.exception and forged.error and not cards(forged)


def _link_id(engine, token: str) -> int:
    from data_access.models import ScreenLink

    with read_session(engine) as s:
        return s.scalar(select(ScreenLink.id).where(ScreenLink.token_hash == hash_token(token)))


def test_the_session_length_is_configurable(app_env, engine, monkeypatch):
    monkeypatch.setenv("HAPPY_SESSION_HOURS", "2")
    at = app_as(app_env, None, "en")
    assert "for 2 hours" in _text(at)
    _sign_in(at, "staff", PASSWORDS["staff"])
    assert any("max-age=7200" in h.proto.body for h in at.get("html"))
    with read_session(engine) as s:
        created, expires = s.execute(
            select(AuthSession.created_at, AuthSession.expires_at).where(
                AuthSession.token_hash == at.session_state["_auth_session"]
            )
        ).one()
    assert expires - created == timedelta(hours=2)


def _tab_containers(node) -> list:
    """Every st.tabs block under `node` (AppTest shows their selected tab as default_tab_index)."""
    found = []
    for child in getattr(node, "children", {}).values():
        proto = getattr(child, "proto", None)
        block = proto is not None and proto.DESCRIPTOR.name == "Block"
        if block and proto.HasField("tab_container"):
            found.append(proto.tab_container)
        found += _tab_containers(child)
    return found


def test_after_issuing_a_screen_link_the_admin_page_stays_on_the_links_tab(app_env):
    at = app_as(app_env, "admin", page=ADMIN_PAGE)
    at.text_input(key="admin_link_label").input("会议室")
    _button(at, "生成大屏链接").click().run()
    assert not at.exception and "screen=" in at.code[0].value
    (tabs,) = _tab_containers(at.main)
    assert tabs.default_tab_index == 1  # 账户 · 大屏链接 · 目标与权重
    at.run()  # and on the next run, when the one-time link is gone
    (tabs,) = _tab_containers(at.main)
    assert tabs.default_tab_index == 1
