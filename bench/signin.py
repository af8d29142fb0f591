"""Signing the benchmarks in: every page needs a signed-in account. Sessions are made directly
in the store for the first admin (scope: the whole city), created if the store has none."""

from __future__ import annotations

import os

from data_access.accounts import ensure_first_admin
from data_access.auth import get_account_by_username, hash_token, start_session
from data_access.db import write_session
from data_access.store import open_store


def admin_tokens(db: str, n: int) -> list[str]:
    """N session tokens (a browser's cookie each) of the admin account."""
    engine = open_store(db)
    try:
        with write_session(engine) as session:
            ensure_first_admin(session, os.urandom(12).hex())
            admin = get_account_by_username(session, "admin")
            return [start_session(session, admin.id, 8.0) for _ in range(n)]
    finally:
        engine.dispose()


def signed_in_app(db: str, timeout: float = 600):
    """An AppTest of app.py whose session is signed in as the admin."""
    from streamlit.testing.v1 import AppTest

    from bench.run import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["_auth_session"] = hash_token(admin_tokens(db, 1)[0])
    return at
