"""A store that fails after start, a mistyped URL, a pool that runs out (issue 11, items 6, 7, 10).

Every page shows one line in the user's language with a retry button, never Streamlit's crash
page; the half-typed form survives the failed run; the app recovers by itself when the store
returns; no credential of the URL ever reaches a message, a log line or a page; a save that
cannot get a connection or a lock in time says "busy" in one line instead of failing with a pool
error after 30 s.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import string
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from bench.activity_inserts import community_ids, sample_activity
from data_access.activities import add_activity
from data_access.db import (
    StoreError,
    _WriterQueue,
    check_connection,
    make_engine,
    read_session,
    redact,
    run_write,
    store_error,
)
from data_access.models import Activity, PillarRow, Region
from data_access.settings import STORE_SETTINGS
from tests.activity_fixtures import copy_sqlite
from tests.auth_helpers import ADMIN_PASSWORD, PASSWORDS, ROOT, app_as
from tests.cards_html import cards
from tests.markdown import shown
from tests.pgserver import PostgresServer
from ui.i18n import STRINGS

APP = str(ROOT / "app.py")
PREFIX = {"zh": "数据库不可用：", "en": "The database cannot be used: "}
RETRY = {"zh": "重试", "en": "Try again"}
SIGN_IN = {"zh": "登录", "en": "Sign in"}
BUSY = {"zh": "繁忙", "en": "busy"}


@pytest.fixture
def clean_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HAPPY_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def sqlite_copy(sqlite_url, tmp_path, monkeypatch, clean_caches) -> str:
    """A private copy of the SQLite demo store that a test may damage; the app points at it."""
    url = copy_sqlite(sqlite_url, tmp_path / "happy.db")
    monkeypatch.setenv("HAPPY_DB_URL", url)
    return url


def _page_text(at: AppTest) -> str:
    """Everything the page holds, element by element (values, labels, bodies)."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def _assert_store_message(at: AppTest, lang: str, *, contains: str | None = None) -> None:
    """The page shows the store message (one line, the user's language) and a retry button,
    and no crash page."""
    assert not at.exception, [e.message for e in at.exception]
    errors = [shown(e.value) for e in at.error]  # as the reader sees it (t() escapes values)
    assert len(errors) == 1, errors
    assert errors[0].startswith(PREFIX[lang]), errors
    assert "\n" not in errors[0] and "Traceback" not in errors[0]
    other = PREFIX["en" if lang == "zh" else "zh"]
    assert other not in errors[0]
    if contains:
        assert contains in errors[0], errors
    assert any(b.label == RETRY[lang] for b in at.button)


def _retry(at: AppTest, lang: str) -> AppTest:
    return next(b for b in at.button if b.label == RETRY[lang]).click().run()


def _assert_page_works(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not [e.value for e in at.error if e.value.startswith(tuple(PREFIX.values()))]


@contextmanager
def _damaged(path: Path) -> Iterator[None]:
    """The database file and its shared-memory index overwritten in place with noise (a failing
    disk, a stray copy over a live file), then put back as they were."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in (path, Path(f"{path}-shm")) if p.exists()]
    saved = {p: p.read_bytes() for p in files}
    noise = random.Random(11)
    for p, data in saved.items():
        with open(p, "r+b") as f:
            # In blocks: the demo file is hundreds of MB, too many bits for one random number.
            for start in range(0, len(data), 1 << 22):
                f.write(noise.randbytes(min(1 << 22, len(data) - start)))
    try:
        yield
    finally:
        for p, data in saved.items():
            with open(p, "r+b") as f:
                f.write(data)


# -- item 6: a store error after start --------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_damaged_sqlite_file_shows_one_line_and_the_app_recovers(sqlite_copy, lang):
    at = app_as(sqlite_copy, "admin", lang)
    _assert_page_works(at)
    assert cards(at)
    with _damaged(Path(make_url(sqlite_copy).database)):
        at.run()
        _assert_store_message(at, lang)
        # A new visitor (a new session of the same process) gets the same line, not a crash.
        other = AppTest.from_file(APP)
        other.query_params["lang"] = lang
        other.run(timeout=120)
        _assert_store_message(other, lang)
    _retry(at, lang)
    _assert_page_works(at)
    assert cards(at)


def test_the_half_typed_form_survives_the_failed_run_and_the_retry(sqlite_copy):
    at = app_as(sqlite_copy, "admin", "zh", "app_pages/record.py")
    _assert_page_works(at)
    at.text_input(key="rec_title").input("半填的标题 half-typed")
    with _damaged(Path(make_url(sqlite_copy).database)):
        at.run()
        _assert_store_message(at, "zh")
    _retry(at, "zh")
    _assert_page_works(at)
    assert at.text_input(key="rec_title").value == "半填的标题 half-typed"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sign_in_on_a_read_only_store_is_one_line_and_keeps_the_username(
    sqlite_url, tmp_path, monkeypatch, clean_caches, lang
):
    # As root a chmod does not stop writes; SQLite's read-only open mode fails the same way
    # ("attempt to write a readonly database").
    path = make_url(copy_sqlite(sqlite_url, tmp_path / "happy.db")).database
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    monkeypatch.setenv("HAPPY_DB_URL", url)
    at = app_as(url, None, lang)
    _assert_page_works(at)
    at.text_input(key="auth_username").input("admin")
    at.text_input(key="auth_password").input(ADMIN_PASSWORD)
    next(b for b in at.button if b.label == SIGN_IN[lang]).click().run()
    _assert_store_message(at, lang, contains="只读" if lang == "zh" else "read-only")
    _retry(at, lang)
    _assert_page_works(at)
    assert at.text_input(key="auth_username").value == "admin"
    assert not (ROOT / "file:").exists()  # the URI form is not taken for a folder to create


@contextmanager
def _stopped(server: PostgresServer) -> Iterator[None]:
    """The test session's PostgreSQL server stopped (its data kept), then started again."""
    server.pause()
    try:
        yield
    finally:
        server.resume()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_postgres_going_away_and_coming_back(
    pg_server, write_pg_url, monkeypatch, clean_caches, lang
):
    server, url = pg_server, write_pg_url
    monkeypatch.setenv("HAPPY_DB_URL", url)
    signed_in = app_as(url, "admin", lang)
    _assert_page_works(signed_in)
    visitor = app_as(url, None, lang)
    _assert_page_works(visitor)
    visitor.text_input(key="auth_username").input("staff")
    visitor.text_input(key="auth_password").input(PASSWORDS["staff"])
    with _stopped(server):
        signed_in.run()
        _assert_store_message(signed_in, lang)
        next(b for b in visitor.button if b.label == SIGN_IN[lang]).click().run()
        _assert_store_message(visitor, lang)
        _retry(visitor, lang)  # still down: the same line again
        _assert_store_message(visitor, lang)
    _retry(signed_in, lang)
    _assert_page_works(signed_in)
    assert cards(signed_in)
    _retry(visitor, lang)
    _assert_page_works(visitor)
    assert visitor.text_input(key="auth_username").value == "staff"  # kept through it all
    visitor.text_input(key="auth_password").input(PASSWORDS["staff"])
    next(b for b in visitor.button if b.label == SIGN_IN[lang]).click().run()
    _assert_page_works(visitor)
    assert cards(visitor)  # signed in: the Overview


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_url_with_a_non_numeric_port_is_one_line(monkeypatch, clean_caches, lang):
    monkeypatch.setenv("HAPPY_DB_URL", "postgresql+psycopg://app:S3cretPort@127.0.0.1:abc/db")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    _assert_store_message(at, lang)
    assert "S3cretPort" not in _page_text(at)


# -- item 7: no credential in any message, log line or page ------------------------------------

SECRET_CHARS = string.ascii_letters + string.digits + "!$%^&*()-_=+[]{};,.<>~#?/:@"
secrets_ = hs.text(alphabet=SECRET_CHARS, min_size=6, max_size=16).map(lambda s: "Zq9" + s)
schemes = hs.sampled_from(
    ["postgresql+psycopg", "postgresql", "postgres", "sqlite", "mysql", "oracle+x", "", "pg sql"]
)
separators = hs.sampled_from(["://", "//", ":/", ":", ":///", "", " ://", "://:"])
users = hs.text(alphabet=string.ascii_lowercase + "._-", max_size=6)
hosts = hs.sampled_from(
    ["127.0.0.1:1", "127.0.0.1:abc", "localhost:1", "[::1]:1", "", "127.0.0.1:99999", "@"]
)
paths = hs.sampled_from(["/db", "", "/", "/a b", "/db#frag"])


@hs.composite
def urls_with_a_secret(draw) -> tuple[str, str]:
    """A URL-ish string that holds a secret where credentials go (or in a password= parameter)."""
    secret = draw(secrets_)
    where = draw(hs.sampled_from(["userinfo", "query", "both", "password-only"]))
    user = draw(users)
    auth = {
        "userinfo": f"{user}:{secret}@",
        "both": f"{user}:{secret}@",
        "password-only": f":{secret}@",
        "query": f"{user}@" if user else "",
    }[where]
    query = ""
    if where in ("query", "both"):
        key = draw(hs.sampled_from(["password", "PASSWORD", "sslpassword", "Password"]))
        query = draw(hs.sampled_from(["?{k}={s}", "?sslmode=disable&{k}={s}", "?{k}={s}&x=1"]))
        query = query.format(k=key, s=secret)
    url = draw(schemes) + draw(separators) + auth + draw(hosts) + draw(paths) + query
    return url, secret


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=urls_with_a_secret())
def test_no_credential_in_any_store_message_or_log_line(case, caplog):
    url, secret = case
    caplog.clear()
    messages = [redact(url)]
    with tempfile.TemporaryDirectory() as here, _chdir(here), caplog.at_level(logging.DEBUG):
        try:
            engine = make_engine(url)
            try:
                check_connection(engine)
            finally:
                engine.dispose()
        except StoreError as exc:
            messages += [str(exc), exc.message.zh, exc.message.en]
        # A driver error whose text carries the URL (as some do) is scrubbed the same way.
        driver = OperationalError("SELECT 1", {}, Exception(f"could not use {url}; pw {secret}"))
        mapped = store_error(driver, url)
        messages += [str(mapped), mapped.message.zh, mapped.message.en]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for text in [*messages, logged]:
        assert secret not in text, text
    assert all("\n" not in m for m in messages)


@contextmanager
def _chdir(path: str) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg//app:S3cretX1@host/db",  # the issue's: a colon missing
        "postgresql+psycopg://app:S3cretX1@127.0.0.1:abc/db",
        "postgresql+psycopg://app@127.0.0.1:1/db?password=S3cretX1",
        "postgresql+psycopg://app:S3c@retX1@127.0.0.1:1/db",
        "postgres ql://app:S3cretX1@127.0.0.1:1/db",
        "S3cretX1",
    ],
)
def test_no_credential_on_the_page_before_sign_in(url, monkeypatch, clean_caches, caplog):
    secret = "S3cretX1" if "S3cretX1" in url else "S3c@retX1"
    monkeypatch.setenv("HAPPY_DB_URL", url)
    with caplog.at_level(logging.DEBUG):
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
    assert not at.exception
    assert len(at.error) == 1
    assert secret not in _page_text(at)
    assert secret not in "\n".join(r.getMessage() for r in caplog.records)


def test_redaction_keeps_what_helps_and_hides_the_rest():
    assert redact("postgresql+psycopg://app:pw@db-host:5432/happy") == (
        "postgresql+psycopg://***@db-host:5432/happy"
    )
    assert redact("postgresql+psycopg://db-host/happy?password=pw&sslmode=require") == (
        "postgresql+psycopg://db-host/happy?password=***&sslmode=require"
    )
    assert redact("sqlite:////srv/happy/data/happy.db") == "sqlite:////srv/happy/data/happy.db"
    assert redact("postgresql+psycopg//app:pw@host/db") == "postgresql+psycopg…"
    assert redact("app:pw@host/db") == "…"


# -- item 10: the pool and the locks ------------------------------------------------------------


def _one_save(url_or_engine, communities, title: str):
    engine = url_or_engine
    data = sample_activity(random.Random(title), communities, title)
    return run_write(engine, add_activity, data, uuid4().hex)


@pytest.fixture
def small_pool(monkeypatch):
    """A pool of two connections (one kept, one overflow) and a 1 s wait for one."""
    monkeypatch.setenv("HAPPY_DB_POOL_SIZE", "1")
    monkeypatch.setenv("HAPPY_DB_MAX_OVERFLOW", "1")
    monkeypatch.setenv("HAPPY_DB_POOL_TIMEOUT", "1")
    monkeypatch.setenv("HAPPY_DB_LOCK_TIMEOUT", "1")


def test_no_free_connection_is_a_clear_busy_message(write_db_url, small_pool):
    engine = make_engine(write_db_url)
    communities = community_ids(write_db_url, limit=20)
    held = [engine.connect(), engine.connect()]  # every connection the pool may open
    try:
        with pytest.raises(StoreError) as caught:
            _one_save(engine, communities, f"池满 {uuid4().hex[:8]}")
    finally:
        for conn in held:
            conn.close()
        engine.dispose()
    error = caught.value
    assert error.kind == "busy"
    assert BUSY["zh"] in error.message.zh and BUSY["en"] in error.message.en
    assert "QueuePool" not in str(error) and "\n" not in str(error)


def test_a_held_sqlite_write_lock_is_a_clear_busy_message(write_sqlite_url, small_pool):
    engine = make_engine(write_sqlite_url)
    communities = community_ids(write_sqlite_url, limit=20)
    blocker = sqlite3.connect(make_url(write_sqlite_url).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError) as caught:
            _one_save(engine, communities, f"锁住 {uuid4().hex[:8]}")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        engine.dispose()
    assert caught.value.kind == "busy"
    assert BUSY["zh"] in caught.value.message.zh
    assert "database is locked" not in str(caught.value)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_save_on_a_busy_store_says_so_in_one_line_and_keeps_the_form(
    sqlite_copy, monkeypatch, lang
):
    monkeypatch.setenv("HAPPY_DB_LOCK_TIMEOUT", "0.2")
    with read_session(make_engine(sqlite_copy)) as session:
        community = session.scalars(
            select(Region).where(Region.level == "community").order_by(Region.id).limit(1)
        ).one()
        place = (community.district_id, community.street_id, community.id)
    at = app_as(sqlite_copy, "admin", lang, "app_pages/record.py")
    at.selectbox(key="rec_type").set_value("mediation").run()
    for key, value in zip(("rec_district", "rec_street", "rec_community"), place, strict=True):
        at.selectbox(key=key).set_value(value).run()
    title = f"繁忙 {uuid4().hex[:8]}"
    at.text_input(key="rec_title").input(title)
    at.number_input(key="rec_m_participants").set_value(4)
    at.number_input(key="rec_m_cases_resolved").set_value(1)
    save = STRINGS["activity.save"][0 if lang == "zh" else 1]
    blocker = sqlite3.connect(make_url(sqlite_copy).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock longer than we wait
    try:
        next(b for b in at.button if b.label == save).click().run()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert BUSY[lang] in shown and BUSY["en" if lang == "zh" else "zh"] not in shown
    assert "locked" not in shown and "\n" not in shown
    assert at.text_input(key="rec_title").value == title
    assert _saved(sqlite_copy, title) == 0
    next(b for b in at.button if b.label == save).click().run()  # the lock is free again
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _saved(sqlite_copy, title) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_admin_change_on_a_busy_store_says_so_in_one_line_and_keeps_the_page(
    sqlite_copy, monkeypatch, lang
):
    """Admin changes go the one write path: a held lock is one line in the page (which stays,
    with what was typed), nothing is written, and the same click works once the lock is free."""
    monkeypatch.setenv("HAPPY_DB_LOCK_TIMEOUT", "0.2")
    i = 0 if lang == "zh" else 1
    at = app_as(sqlite_copy, "admin", lang, "app_pages/admin.py")
    before = _pillar_weight(sqlite_copy, "safety")
    at.selectbox(key="admin_pillar").set_value("safety").run()
    at.number_input(key="admin_pillar_weight").set_value(before + 1)
    save = next(b for b in at.button if b.label == STRINGS["admin.save_pillar"][i])
    blocker = sqlite3.connect(make_url(sqlite_copy).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock longer than we wait
    try:
        save.click().run()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == [STRINGS["admin.title"][i]]  # the page is still there
    shown_errors = [e.value for e in at.error]
    assert len(shown_errors) == 1, shown_errors
    assert (
        BUSY[lang] in shown_errors[0]
        and BUSY["en" if lang == "zh" else "zh"] not in shown_errors[0]
    )
    assert "locked" not in shown_errors[0] and "\n" not in shown_errors[0]
    assert at.number_input(key="admin_pillar_weight").value == before + 1
    assert _pillar_weight(sqlite_copy, "safety") == before
    next(b for b in at.button if b.label == STRINGS["admin.save_pillar"][i]).click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _pillar_weight(sqlite_copy, "safety") == before + 1


def _pillar_weight(url: str, key: str) -> float:
    engine = make_engine(url)
    with read_session(engine) as session:
        weight = session.scalar(select(PillarRow.weight).where(PillarRow.key == key))
    engine.dispose()
    return weight


def _saved(url: str, title: str) -> int:
    engine = make_engine(url)
    with read_session(engine) as session:
        count = session.scalar(select(func.count()).where(Activity.title == title))
    engine.dispose()
    return count


def test_more_threads_than_connections_save_without_pool_errors(write_pg_url, monkeypatch):
    # 8 script threads (as 8 sessions of one Streamlit process) share a pool of 3 connections.
    monkeypatch.setenv("HAPPY_DB_POOL_SIZE", "2")
    monkeypatch.setenv("HAPPY_DB_MAX_OVERFLOW", "1")
    engine = make_engine(write_pg_url)
    communities = community_ids(write_pg_url, limit=50)
    marker = f"线程 {uuid4().hex[:8]}"
    saved: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def writer(index: int) -> None:
        for i in range(30):
            title = f"{marker} {index}-{i}"
            try:
                result = _one_save(engine, communities, title)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                with lock:
                    failures.append(exc)
                continue
            with lock:
                if result.status == "saved":
                    saved.append(title)
                else:
                    failures.append(AssertionError(result.status))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with read_session(engine) as session:
        stored = session.scalar(select(func.count()).where(Activity.title.like(f"{marker} %")))
    engine.dispose()
    unclear = [f for f in failures if not (isinstance(f, StoreError) and f.kind == "busy")]
    assert unclear == []
    assert stored == len(saved) == 240 - len(failures)


def test_writers_of_one_process_take_turns_in_the_order_they_came():
    queue = _WriterQueue()
    assert queue.acquire(1)
    order: list[int] = []
    gave_up = threading.Event()

    def writer(index: int) -> None:
        if queue.acquire(60):
            order.append(index)
            queue.release()

    def impatient() -> None:
        if not queue.acquire(0.05):
            gave_up.set()

    threads = []
    for index in range(6):
        if index == 3:  # one that gives up must not stall the ones behind it
            late = threading.Thread(target=impatient)
            late.start()
            late.join()
        threads.append(threading.Thread(target=writer, args=(index,)))
        threads[-1].start()
        while len(queue._waiting) < len(threads):  # wait until it stands in the queue
            threading.Event().wait(0.001)
    queue.release()
    for thread in threads:
        thread.join()
    assert gave_up.is_set()
    assert order == list(range(6))


def test_pool_settings_reach_the_engine_and_are_documented(write_pg_url, monkeypatch):
    monkeypatch.setenv("HAPPY_DB_POOL_SIZE", "7")
    monkeypatch.setenv("HAPPY_DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("HAPPY_DB_POOL_TIMEOUT", "4")
    engine = make_engine(write_pg_url)
    try:
        assert engine.pool.size() == 7
        assert engine.pool._max_overflow == 3
        assert engine.pool._timeout == 4
    finally:
        engine.dispose()
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for setting in STORE_SETTINGS:  # each documented with its secrets.toml key and default
        row = f"| `{setting.env}` | `{setting.secrets_key}` | {setting.default:g}"
        assert row in operations, setting.name
    monkeypatch.setenv("HAPPY_DB_POOL_SIZE", "many")
    with pytest.raises(StoreError, match="HAPPY_DB_POOL_SIZE"):
        make_engine(write_pg_url)
