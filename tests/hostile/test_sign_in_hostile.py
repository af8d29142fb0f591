"""Sign-in cannot be used to find usernames or to lock the real owner out (issue 11, item 12).

Failures are counted per (username, client address): an unknown username is answered exactly
like a known one (same statuses, same lock, one argon2 verification on every path), a lock
from one address leaves every other address free, and an admin lifts a username's locks from
every address at once. On SQLite and PostgreSQL; the sign-in page in AppTest.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

import data_access.auth as auth
from data_access.accounts import add_account, set_account_active, unlock_account
from data_access.auth import (
    LOCK_MINUTES,
    MAX_FAILED_ATTEMPTS,
    authenticate,
    list_sign_in_locks,
    utcnow,
)
from data_access.db import make_engine, read_session, write_session
from data_access.models import AuditLog, Region, SignInFailure
from tests.auth_helpers import ROOT, app_as
from tests.hostile.payloads import MARKDOWN
from ui.auth import forwarded_client
from ui.plain import plain

PASSWORD = "correct-horse-battery"
HERE, THERE = "198.51.100.1", "198.51.100.2"


@pytest.fixture(scope="module")
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def new_account(engine, active: bool = True, password: str | None = PASSWORD) -> str:
    username = f"h{uuid.uuid4().hex[:10]}"
    with write_session(engine) as s:
        city = s.scalar(select(Region.id).where(Region.level == "city"))
        account = add_account(
            s, None, username, "测试", "admin", city, password, None if password else username
        )
        if not active:
            set_account_active(s, None, account, False)
    return username


def attempt(engine, username: str, password: str, client: str = HERE, now=None):
    with write_session(engine) as s:
        return authenticate(s, username, password, client=client, now=now)


def test_an_unknown_username_is_answered_like_a_known_one(engine):
    now = utcnow()
    answers = {}
    for name in (new_account(engine), f"nobody-{uuid.uuid4().hex[:8]}"):
        results = [attempt(engine, name, "wrong", now=now) for _ in range(MAX_FAILED_ATTEMPTS + 1)]
        answers[name] = [(r.status, r.locked_until, r.account) for r in results]
    known, unknown = answers.values()
    assert known == unknown
    assert [status for status, _, _ in known] == ["invalid"] * 4 + ["locked"] * 2
    assert known[-1][1] == now + timedelta(minutes=LOCK_MINUTES)


def test_every_path_verifies_the_password_exactly_once(engine, monkeypatch):
    calls = []
    verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify", lambda *a: calls.append(1) or verify(*a))
    known, disabled = new_account(engine), new_account(engine, active=False)
    sso_only = new_account(engine, password=None)
    locked, unknown_locked = new_account(engine), f"nobody-{uuid.uuid4().hex[:8]}"
    for name in (locked, unknown_locked):
        for _ in range(MAX_FAILED_ATTEMPTS):
            attempt(engine, name, "wrong")
    paths = {
        "unknown": (f"nobody-{uuid.uuid4().hex[:8]}", PASSWORD, "invalid"),
        "wrong password": (known, "wrong", "invalid"),
        "right password": (known, PASSWORD, "ok"),
        "disabled": (disabled, PASSWORD, "disabled"),
        "no password (single sign-on only)": (sso_only, PASSWORD, "invalid"),
        "locked, right password": (locked, PASSWORD, "locked"),
        "locked, unknown username": (unknown_locked, PASSWORD, "locked"),
    }
    for path, (name, password, status) in paths.items():
        calls.clear()
        assert attempt(engine, name, password).status == status, path
        assert len(calls) == 1, path


def test_a_lock_from_one_address_leaves_the_others_free(engine):
    name = new_account(engine)
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(engine, name, "wrong", client=THERE)  # someone else, guessing
    assert attempt(engine, name, PASSWORD, client=THERE).status == "locked"
    assert attempt(engine, name, PASSWORD, client=HERE).status == "ok"  # the owner
    assert attempt(engine, name, PASSWORD, client=THERE).status == "locked"  # still


def test_an_admin_lifts_a_usernames_locks_from_every_address(engine):
    name = new_account(engine)
    for client in (HERE, THERE):
        for _ in range(MAX_FAILED_ATTEMPTS):
            attempt(engine, name, "wrong", client=client)
    with read_session(engine) as s:
        assert [client for client, _ in list_sign_in_locks(s, name)] == [HERE, THERE]
        account_id = auth.get_account_by_username(s, name).id
        assert auth.get_account(s, account_id).locked_until is not None  # the Admin page's column
    with write_session(engine) as s:
        unlock_account(s, None, account_id)
    with read_session(engine) as s:
        assert not list_sign_in_locks(s, name)
        assert auth.get_account(s, account_id).locked_until is None
        audit = s.scalars(
            select(AuditLog).where(
                AuditLog.action == "unlock", AuditLog.entity_id == str(account_id)
            )
        ).one()
        assert HERE in audit.before_json and THERE in audit.before_json
    assert attempt(engine, name, PASSWORD, client=THERE).status == "ok"


def test_operators_unlock_from_the_command_line(sqlite_url):
    engine = make_engine(sqlite_url)
    name = new_account(engine)
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(engine, name, "wrong", client=THERE)
    command = [sys.executable, "-m", "data_access", "users", "unlock", name, "--db", sqlite_url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert attempt(engine, name, PASSWORD, client=THERE).status == "ok"
    engine.dispose()


def test_a_lock_ends_and_a_sign_in_forgets_the_failures(engine):
    name, now = new_account(engine), utcnow()
    for _ in range(MAX_FAILED_ATTEMPTS):
        attempt(engine, name, "wrong", now=now)
    later = now + timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert attempt(engine, name, "wrong", now=later).status == "invalid"  # a new count
    assert attempt(engine, name, PASSWORD, now=later).status == "ok"
    with read_session(engine) as s:
        assert not s.scalars(select(SignInFailure).where(SignInFailure.username == name)).all()


def test_simultaneous_failures_are_all_counted(engine):
    name = f"nobody-{uuid.uuid4().hex[:8]}"
    statuses: list[str] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(attempt(engine, name, "wrong").status))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == sorted(["invalid"] * 4 + ["locked"] * 4)


# Markdown, characters a store refuses (NUL in PostgreSQL, a lone surrogate), overlong text.
HOSTILE_NAMES = (
    MARKDOWN[0],
    "<script>alert(1)</script>",
    "admin\x00",
    "\ud800",
    "\u202e",
    "x" * 5000,
)


def test_hostile_usernames_and_addresses_are_just_wrong(engine):
    for name in HOSTILE_NAMES:
        assert attempt(engine, name, "wrong", client=name).status == "invalid", repr(name)


def test_only_the_trusted_proxys_entry_names_the_client():
    spoofed = ["10.9.9.9, 203.0.113.50", "198.51.100.7"]  # the visitor wrote the first two
    assert forwarded_client(spoofed, 1) == "198.51.100.7"
    assert forwarded_client(spoofed, 2) == "203.0.113.50"
    assert forwarded_client(spoofed, 0) is None  # no proxy declared: the header means nothing
    assert forwarded_client(["198.51.100.7"], 2) is None  # fewer entries than proxies
    assert forwarded_client([], 1) is None


# The sign-in page (AppTest): unknown and known usernames read the same, Markdown typed as a
# username stays text and stays in the box.


def _sign_in(at: AppTest, username: str, password: str) -> str:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == "登录").click().run()
    assert not at.exception
    return " ".join(w.value for w in at.warning)


def test_the_sign_in_page_answers_unknown_and_known_names_alike(app_env):
    engine = make_engine(app_env)
    known = new_account(engine)
    engine.dispose()
    unknown = MARKDOWN[0]  # a username that is also a link
    answers = {}
    for name in (known, unknown):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        answers[name] = [_sign_in(at, name, "wrong") for _ in range(MAX_FAILED_ATTEMPTS + 1)]
        assert at.text_input(key="auth_username").value == name  # kept for the next try
    assert answers[known] == answers[unknown]
    assert "用户名或密码不正确" in answers[known][0]
    assert "已锁定" in answers[known][-1] and "15 分钟" in answers[known][-1]


def test_the_admin_page_shows_a_usernames_locks_and_lifts_them(app_env):
    engine = make_engine(app_env)
    name = new_account(engine)
    for client in (HERE, THERE):
        for _ in range(MAX_FAILED_ATTEMPTS):
            attempt(engine, name, "wrong", client=client)
    with read_session(engine) as s:
        account_id = auth.get_account_by_username(s, name).id
    at = app_as(app_env, "admin", page="app_pages/admin.py")
    at.selectbox(key="admin_account").set_value(account_id).run()
    locks = next(c.value for c in at.caption if "被锁定" in c.value)
    assert "2 个地址" in locks and plain(HERE) in locks and plain(THERE) in locks
    unlock = next(b for b in at.button if b.label == "解除锁定")
    assert "所有地址" in unlock.help
    unlock.click().run()
    assert not at.exception and not any("被锁定" in c.value for c in at.caption)
    with read_session(engine) as s:
        assert not list_sign_in_locks(s, name)
    engine.dispose()
