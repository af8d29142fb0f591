"""Signing in for tests: the demo accounts with known passwords, and AppTest runs as a role."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from data_access.accounts import DEMO_ACCOUNTS, add_demo_accounts, ensure_first_admin
from data_access.auth import get_account_by_username, hash_token, start_session
from data_access.db import make_engine, write_session

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "admin-test-password"
PASSWORDS = {"admin": ADMIN_PASSWORD} | {a[0]: a[4] for a in DEMO_ACCOUNTS}


def add_test_accounts(engine: Engine) -> None:
    """The first admin (ADMIN_PASSWORD) and the demo leader and staff."""
    with write_session(engine) as session:
        ensure_first_admin(session, ADMIN_PASSWORD)
        add_demo_accounts(session)


def session_token(url: str, username: str, hours: float = 8.0) -> str:
    """Sign the user in directly in the store; return the session token (a browser's cookie)."""
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            account = get_account_by_username(session, username)
            return start_session(session, account.id, hours)
    finally:
        engine.dispose()


def session_hash(url: str, username: str, hours: float = 8.0) -> str:
    """Sign the user in directly in the store; return the session token's hash."""
    return hash_token(session_token(url, username, hours))


def app_as(
    url: str | None,
    username: str | None = "admin",
    lang: str | None = None,
    page: str | None = None,
    **params: str,
) -> AppTest:
    """Run the app (optionally on a page) signed in as `username` (None: signed out)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if lang:
        at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    if username is not None:
        at.session_state["_auth_session"] = session_hash(url, username)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
