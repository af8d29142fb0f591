"""The store: URL resolution, SQLite settings, write transactions, migrations, clear errors."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, insert, inspect, select, text

from data_access.db import StoreError, make_engine, read_session, resolve_url, write_session
from data_access.migrate import check_schema_known, current_revision, head_revision, upgrade
from data_access.models import AppMeta, Base
from data_access.store import open_store
from tests.conftest import ROOT


def test_url_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("HAPPY_DB_URL", raising=False)
    monkeypatch.setattr("data_access.settings.SECRETS_PATH", tmp_path / "secrets.toml")
    assert resolve_url().startswith("sqlite:///") and resolve_url().endswith("data/happy.db")
    (tmp_path / "secrets.toml").write_text(
        '[connections.happy]\nurl = "sqlite:///from-secrets.db"\n'
    )
    assert resolve_url() == "sqlite:///from-secrets.db"
    monkeypatch.setenv("HAPPY_DB_URL", "sqlite:///from-env.db")
    assert resolve_url() == "sqlite:///from-env.db"
    assert resolve_url("sqlite:///explicit.db") == "sqlite:///explicit.db"


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_write_transactions_begin_immediate(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    seen: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda conn, cur, stmt, *a: seen.append(stmt) if stmt.startswith("BEGIN") else None,
    )
    with write_session(engine) as s:
        s.execute(text("SELECT 1"))
    with read_session(engine) as s:
        s.execute(text("SELECT 1"))
    assert seen == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    Base.metadata.create_all(engine, tables=[AppMeta.__table__])
    errors: list[Exception] = []

    def writer(i: int) -> None:
        try:
            with write_session(engine) as s:
                s.scalar(select(func.count()).select_from(AppMeta))
                time.sleep(0.2)  # hold the transaction while the others try theirs
                s.execute(insert(AppMeta).values(key=f"k{i}", value="v"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AppMeta)) == 4


def test_migrations_upgrade_an_empty_database(empty_url):
    engine = make_engine(empty_url)
    assert current_revision(engine) is None
    assert upgrade(engine) == head_revision()
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    # Running it again is a no-op.
    assert upgrade(engine) == head_revision()
    engine.dispose()


def _store_at(url: str, revision: str) -> None:
    """An empty store whose schema stops at `revision` (an older program's)."""
    from alembic import command

    from data_access.migrate import _config

    engine = make_engine(url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    engine.dispose()


def test_a_migration_tells_its_progress_revision_by_revision(empty_url):
    """A store an older program made is brought forward with its progress told before the first
    revision and after each (the page's bar, ui/bootstrap.py); an empty store's schema is made
    at once, without steps; a store at the newest schema has nothing pending."""
    from data_access.migrate import newest_revision, pending_revisions, stored_revision

    calls: list[tuple[int, int]] = []
    open_store(empty_url, lambda done, total: calls.append((done, total))).dispose()
    assert calls == []
    engine = make_engine(empty_url)
    assert stored_revision(engine) == newest_revision() == head_revision()
    assert pending_revisions(engine) == []
    engine.dispose()


def test_a_store_two_revisions_behind_has_them_pending_and_applies_them_in_order(tmp_path):
    from data_access.migrate import _parents, pending_revisions, stored_revision

    head = head_revision()
    (before,) = _parents()[head]
    (older,) = _parents()[before]
    url = f"sqlite:///{tmp_path / 'older.db'}"
    _store_at(url, older)
    engine = make_engine(url)
    assert pending_revisions(engine) == [before, head]
    calls: list[tuple[int, int]] = []
    open_store(url, lambda done, total: calls.append((done, total))).dispose()
    assert calls == [(0, 2), (1, 2), (2, 2)]
    assert stored_revision(engine) == head and pending_revisions(engine) == []
    engine.dispose()


def test_migrations_build_exactly_the_models_schema(empty_url):
    engine = open_store(empty_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_newer_schema_is_refused_with_a_clear_error(empty_url):
    engine = open_store(empty_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dface9999'"))
    with pytest.raises(StoreError, match="比本程序新"):
        check_schema_known(engine)
    with pytest.raises(StoreError, match="newer than this program"):
        open_store(empty_url)
    engine.dispose()


BAD_URLS = [
    "postgresql+psycopg://nobody@127.0.0.1:9/nowhere",
    "not a url at all",
    "nosuchdriver://x/y",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_url_gives_one_line_error_on_the_command_line(url):
    for args in (["migrate"], ["indicators", "--level", "city", "--period", "2025"]):
        out = subprocess.run(
            [sys.executable, "-m", "data_access", *args, "--db", url],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert out.returncode == 2
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("错误 / error:")


def test_command_line_rejects_bad_arguments_clearly(sqlite_url):
    cases = [
        (["--level", "district", "--period", "2025"], "--region"),
        (["--level", "district", "--region", "999999", "--period", "2025"], "找不到地区"),
        (["--level", "street", "--region", "210102", "--period", "2025"], "level mismatch"),
        (["--level", "city", "--period", "2025-13"], "invalid period"),
    ]
    for args, message in cases:
        out = subprocess.run(
            [sys.executable, "-m", "data_access", "indicators", "--db", sqlite_url, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
