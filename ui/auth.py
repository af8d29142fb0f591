"""Who is using the app: sign-in (password or single sign-on), sign-out, wall-screen links.

A sign-in is a server-side session (data_access.auth): the browser keeps its random token in a
cookie written by a few lines of JavaScript (never in the URL), Streamlit sends the cookie with
every new connection (`st.context.cookies`), so a reload stays signed in until the session
expires (default 8 hours) or is signed out. The Streamlit session keeps only the token's hash.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Callable

import streamlit as st

from data_access import cached, settings
from data_access.accounts import (
    AccountError,
    add_demo_accounts,
    change_own_password,
    ensure_first_admin,
    password_change_due,
)
from data_access.auth import (
    AccountInfo,
    PermissionDenied,
    ScreenLinkInfo,
    authenticate,
    end_session,
    find_sso_account,
    get_screen_link,
    get_session_account,
    hash_token,
    start_session,
    utcnow,
)
from data_access.db import read_session, store_error, write_session
from seed_data.meta import get_seed_meta
from ui.bootstrap import forget_failed_store, store_callback
from ui.i18n import pick, say, t
from ui.plain import plain

log = logging.getLogger(__name__)

COOKIE = "happy_session"
SESSION_KEY = "_auth_session"  # the session token's hash
COOKIE_KEY = "_auth_cookie"  # a cookie value to write in this run (popped when written)
MESSAGE_KEY = "_auth_message"
USERNAME_KEY = "auth_username"
PASSWORD_KEY = "auth_password"
SCREEN_PARAM = "screen"
ACCOUNT_KEY = "_auth_account"
SCOPE_KEY = "_auth_scope_code"


def session_hours() -> float:
    """How long a sign-in lasts (the setting HAPPY_SESSION_HOURS, 8 by default)."""
    return settings.get(settings.SESSION_HOURS)


def proxy_hops() -> int:
    """How many trusted proxies (nginx) stand in front of the app (the setting HAPPY_PROXY_HOPS;
    0, the default: none, X-Forwarded-For is ignored)."""
    return settings.get(settings.PROXY_HOPS)


def forwarded_client(header_values: list[str], hops: int) -> str | None:
    """The client address that the nearest of `hops` trusted proxies recorded in
    X-Forwarded-For (each proxy appends the address it saw, so entries further left may be
    forged by the visitor), or None without a trusted proxy or such an entry."""
    forwarded = [a.strip() for value in header_values for a in value.split(",") if a.strip()]
    return forwarded[-hops] if 0 < hops <= len(forwarded) else None


def client_address() -> str:
    """Where this session's sign-ins come from, for counting failed ones: the address seen by
    the trusted proxy in front (proxy_hops), else the connection's own address, else 'local'
    (Streamlit gives none for a browser on the server itself, nor in tests)."""
    try:
        hops = proxy_hops()
        header = list(st.context.headers.get_all("X-Forwarded-For")) if hops else []
        address = forwarded_client([str(h) for h in header], hops) or st.context.ip_address
    except Exception:  # no browser connection (a bare script run)
        address = None
    return address if isinstance(address, str) and address else "local"


def sso_configured() -> bool:
    """Whether single sign-on (`[auth]` in secrets.toml, for st.login) is set up."""
    # Streamlit's own section, read where st.login reads it (not one of data_access/settings).
    try:
        return bool(dict(st.secrets.get("auth", {})))
    except Exception:  # no secrets file, or an unreadable one: treat as not configured
        return False


def _sso_logged_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:  # no script-run context: nobody is signed in
        return False


def ensure_accounts(url: str) -> None:
    """Create the first admin (and the demo accounts) once; a bad HAPPY_ADMIN_PASSWORD stops
    the app with one clear message."""
    try:
        _ensure_accounts_once(url)
    except AccountError as exc:
        st.error(t("auth.admin_password_bad", message=say(exc.message)))
        st.stop()


@st.cache_resource(show_spinner=False)
def _ensure_accounts_once(url: str) -> bool:
    engine = cached.get_engine(url)
    with write_session(engine) as session:
        generated = ensure_first_admin(session, settings.get(settings.ADMIN_PASSWORD))
        if get_seed_meta(session) is not None:
            add_demo_accounts(session)
    if generated:
        # The one password that is ever printed: the operator needs it to sign in the first time.
        print(
            f"幸福社区看板：已创建管理员账户 admin，一次性密码 / first admin account 'admin', "
            f"one-time password: {generated}  (请登录后修改 / change it after signing in)",
            file=sys.stderr,
            flush=True,
        )
    return True


def _read_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (e.g. a bare script run)
        return None
    return value if isinstance(value, str) and value else None


def _say(key: str, **kwargs: object) -> None:
    st.session_state[MESSAGE_KEY] = (key, kwargs)


def current_account(url: str) -> AccountInfo | None:
    """The signed-in account, checked against the store on every run (expiry, revocation)."""
    engine = cached.get_engine(url)
    token_hash = st.session_state.get(SESSION_KEY)
    if token_hash:
        with engine.connect() as conn:
            account = get_session_account(conn, token_hash)
        if account is not None:
            return account
        del st.session_state[SESSION_KEY]
        _say("auth.expired")
        return None
    cookie = _read_cookie()
    if cookie:
        with engine.connect() as conn:
            account = get_session_account(conn, hash_token(cookie))
        if account is not None:
            st.session_state[SESSION_KEY] = hash_token(cookie)
            return account
    return _sso_account(url)


def _sso_account(url: str) -> AccountInfo | None:
    if not sso_configured() or not _sso_logged_in():
        return None
    identities = [str(st.user.get("email") or ""), str(st.user.get("sub") or "")]
    with write_session(cached.get_engine(url)) as session:
        account = find_sso_account(session, identities)
        if account is None or not account.is_active:
            _say("auth.sso_unknown", identity=identities[0] or identities[1])
            return None
        token = start_session(session, account.id, session_hours(), via="sso")
    _signed_in(token)
    log.info("single sign-on as account %s", account.id)
    return account


def _signed_in(token: str) -> None:
    st.session_state[SESSION_KEY] = hash_token(token)
    st.session_state[COOKIE_KEY] = token
    st.session_state.pop(MESSAGE_KEY, None)


@store_callback
def _on_sign_in(url: str) -> None:
    username = str(st.session_state.get(USERNAME_KEY) or "").strip()
    password = str(st.session_state.get(PASSWORD_KEY) or "")
    st.session_state[PASSWORD_KEY] = ""  # the password lives no longer than this callback
    if not username or not password:
        _say("auth.missing")
        return
    with write_session(cached.get_engine(url)) as session:
        result = authenticate(session, username, password, client=client_address())
        token = (
            start_session(session, result.account.id, session_hours())
            if result.status == "ok"
            else None
        )
    log.info("sign-in %s for username %r", result.status, username[:60])
    if token is None:
        if result.status == "locked":
            minutes = math.ceil((result.locked_until - utcnow()).total_seconds() / 60)
            _say("auth.locked", minutes=max(minutes, 1))
        else:
            _say(f"auth.{result.status}")
        return
    _signed_in(token)


@store_callback
def sign_out(url: str) -> None:
    """End the session here and in the store, and forget the browser's cookie."""
    token_hash = st.session_state.pop(SESSION_KEY, None)
    if token_hash:
        with write_session(cached.get_engine(url)) as session:
            end_session(session, token_hash)
    st.session_state[COOKIE_KEY] = ""
    _say("auth.signed_out")
    if sso_configured() and _sso_logged_in():
        st.logout()


def write_cookie() -> None:
    """Hand a new (or cleared) session token to the browser, once; call on every run."""
    token = st.session_state.pop(COOKIE_KEY, None)
    if token is None:
        return
    max_age = int(session_hours() * 3600) if token else 0
    # json.dumps quotes the value for JavaScript; tokens are URL-safe and need no escaping.
    script = (
        "<script>document.cookie = "
        f"{json.dumps(COOKIE)} + '=' + {json.dumps(token)} + "
        f"'; path=/; max-age={max_age}; SameSite=Strict' + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>"
    )
    with st.sidebar:
        st.html(script, unsafe_allow_javascript=True, width="content")


def sign_in_page(url: str) -> None:
    """The sign-in form (and the single-sign-on button when configured)."""
    st.title(t("auth.heading"))
    message = st.session_state.get(MESSAGE_KEY)
    if message:
        key, kwargs = message
        (st.info if key in ("auth.signed_out",) else st.warning)(t(key, **kwargs))
    with st.form("sign_in", enter_to_submit=True):
        st.text_input(t("auth.username"), key=USERNAME_KEY, max_chars=60, autocomplete="username")
        st.text_input(
            t("auth.password"),
            key=PASSWORD_KEY,
            type="password",
            max_chars=128,
            autocomplete="current-password",
        )
        st.form_submit_button(t("auth.submit"), type="primary", on_click=_on_sign_in, args=(url,))
    st.caption(t("auth.lasts", hours=f"{session_hours():g}"))
    if sso_configured():
        if _sso_logged_in():
            st.button(t("auth.sso_out"), on_click=st.logout)
        else:
            st.button(t("auth.sso"), on_click=st.login)


PASSWORD_OK_KEY = "_auth_password_ok"  # the account whose password needs no change (asked once)
NEW_PASSWORD_KEYS = ("auth_pw_current", "auth_pw_new", "auth_pw_again")


def must_change_password(url: str, account: AccountInfo) -> bool:
    """Whether this account must replace its password before anything else (the first admin's
    one-time password); asked of the store once per session, until it is changed."""
    if st.session_state.get(PASSWORD_OK_KEY) == account.id:
        return False
    with read_session(cached.get_engine(url)) as session:
        due = password_change_due(session, account.id)
    if not due:
        st.session_state[PASSWORD_OK_KEY] = account.id
    return due


@store_callback
def _on_change_password(url: str, account_id: int) -> None:
    s = st.session_state
    current, new, again = (str(s.get(k) or "") for k in NEW_PASSWORD_KEYS)
    for key in NEW_PASSWORD_KEYS:
        s[key] = ""  # passwords live no longer than this callback
    if new != again:
        _say("auth.change.mismatch")
        return
    try:
        with write_session(cached.get_engine(url)) as session:
            change_own_password(session, account_id, current, new)
            # Every session of the account ended (the one-time password was printed to the
            # log); this browser goes on with a new one.
            token = start_session(session, account_id, session_hours())
    except AccountError as exc:
        s[MESSAGE_KEY] = ("auth.change.refused", {"message": say(exc.message)})
        return
    log.info("account %s changed its password", account_id)
    _signed_in(token)
    s[PASSWORD_OK_KEY] = account_id
    s[MESSAGE_KEY] = ("auth.change.done", {})


def change_password_page(url: str, account: AccountInfo) -> None:
    """The only page an account with a one-time password sees: replace it."""
    st.title(t("auth.change.heading"))
    st.info(t("auth.change.why", name=plain(account.username)))
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        key, kwargs = message
        st.warning(t(key, **kwargs))
    with st.form("change_password", enter_to_submit=True):
        labels = ("auth.change.current", "auth.change.new", "auth.change.again")
        modes = ("current-password", "new-password", "new-password")
        for key, label, mode in zip(NEW_PASSWORD_KEYS, labels, modes, strict=True):
            st.text_input(t(label), key=key, type="password", max_chars=128, autocomplete=mode)
        st.form_submit_button(
            t("auth.change.submit"),
            type="primary",
            on_click=_on_change_password,
            args=(url, account.id),
        )
    st.button(t("auth.sign_out"), on_click=sign_out, args=(url,), key="auth_sign_out")


def password_changed_notice() -> None:
    """Say once, on the first page after the change, that the new password is in use."""
    message = st.session_state.get(MESSAGE_KEY)
    if message and message[0] == "auth.change.done":
        st.session_state.pop(MESSAGE_KEY)
        st.toast(t("auth.change.done"), icon=":material/check_circle:")


def account_sidebar(url: str, account: AccountInfo) -> None:
    """Who is signed in, their role and scope, and the sign-out button (sidebar)."""
    scope = pick(account.scope_name_zh, account.scope_name_en)
    with st.sidebar:
        st.caption(
            f"{t('auth.signed_in_as')}: **{plain(account.display_name)}** · "
            f"{t('role.' + account.role)}  \n{t('auth.scope', region=plain(scope))}"
        )
        st.button(t("auth.sign_out"), on_click=sign_out, args=(url,), key="auth_sign_out")


def screen_link(url: str) -> ScreenLinkInfo | None | bool:
    """The wall-screen link in the URL: its info, None when invalid, False when there is none."""
    token = st.query_params.get(SCREEN_PARAM)
    if not token:
        return False
    with read_session(cached.get_engine(url)) as session:
        return get_screen_link(session, token)


def screen_viewer_check(url: str) -> Callable[[], str | None]:
    """For a wall screen's every refresh: a check, against the store each time (no cache), that
    this viewer may still see data. It returns None, or the key of the notice to show instead
    (a revoked or expired link; a disabled account or an ended sign-in), and raises when the
    store cannot be reached. The link and the session are those this page run opened with."""
    token = st.query_params.get(SCREEN_PARAM) or None
    token_hash = st.session_state.get(SESSION_KEY)

    def check() -> str | None:
        try:
            with read_session(cached.get_engine(url)) as session:
                if token is not None:
                    return None if get_screen_link(session, token) else "screen.link_invalid"
                if token_hash and get_session_account(session, token_hash) is not None:
                    return None
                return "screen.signed_out"
        except Exception as exc:
            # Open the store afresh at the next refresh (a restored file, a restarted server).
            forget_failed_store(store_error(exc, url))
            raise

    return check


def signed_in() -> AccountInfo | None:
    """The account the router found signed in for this run (None on a wall screen)."""
    return st.session_state.get(ACCOUNT_KEY)


def actor_id() -> int:
    """The signed-in account's id for a write (PermissionDenied when nobody is signed in, as on a
    wall screen: data_access treats a missing actor as a trusted operator)."""
    account = signed_in()
    if account is None:
        raise PermissionDenied("请先登录", "Please sign in first")
    return account.id


def scope_code() -> str:
    """The code of the region this run may show: the account's or the screen link's scope."""
    return st.session_state[SCOPE_KEY]


def set_viewer(account: AccountInfo | None, region_code: str) -> None:
    """Record for the pages of this run who is viewing and which region they may see."""
    st.session_state[ACCOUNT_KEY] = account
    st.session_state[SCOPE_KEY] = region_code
