"""Shared fixtures: a demo store on a real SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
import streamlit as st

from data_access.store import open_store
from seed_data.generator import report_months
from seed_data.loader import seed_demo
from tests.activity_fixtures import copy_sqlite
from tests.auth_helpers import ADMIN_PASSWORD, add_test_accounts
from tests.fixtures_pg import load_from_sqlite, pg_server  # noqa: F401
from ui import i18n

pytest_plugins = ["tests.browser"]  # the `browser` fixture

ROOT = Path(__file__).resolve().parent.parent
# The day the test demo stores are seeded for (seed_data: activities up to the day before,
# approved monthly reports up to the month before, with a few late ones in that month, and some
# communities' reports of its own month saved or submitted: test reports in a later month). A test
# about dates sets the clock (data_access.clock.now) and never depends on the day it runs.
DEMO_TODAY = date(2026, 1, 15)
# The demo's last month of reports (the month before DEMO_TODAY's): a few are late in it.
DEMO_LAST_MONTH = report_months(DEMO_TODAY)[-1]


@pytest.fixture(autouse=True)
def _no_run_language_left_behind() -> Iterator[None]:
    """A test that runs app code on the test thread (not through AppTest) may set the run's
    language there (ui.i18n.use_language); forget it, so that the next test reads its own."""
    yield
    vars(i18n._this_run).pop("lang", None)


@pytest.fixture(scope="session")
def sqlite_demo_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """The URL of a SQLite file seeded once for the whole run with the default demo city (for
    DEMO_TODAY) and the test accounts, and only ever copied: the test stores below are copies
    (SQLite's backup API; PostgreSQL's loaded from it), so none sees another's writes. Under
    pytest-xdist the first worker to need it builds it in the run's shared temporary folder while
    the others wait for the lock (a build is ≈ 35 s of CPU; each worker built its own before)."""
    folder = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        folder = folder.parent  # the run's folder, the same for every worker
    folder = folder / "demo-template"
    folder.mkdir(exist_ok=True)
    path, built = folder / "happy.db", folder / "built"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the worker dies
        if not built.exists():
            for leftover in folder.glob("happy.db*"):  # a build that died half-way
                leftover.unlink()
            engine = open_store(f"sqlite:///{path}")
            assert seed_demo(engine, today=DEMO_TODAY) is True
            add_test_accounts(engine)
            engine.dispose()
            built.touch()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def sqlite_url(sqlite_demo_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file holding the default demo city (tests read it, never write)."""
    return copy_sqlite(sqlite_demo_template, tmp_path_factory.mktemp("sqlite") / "happy.db")


@pytest.fixture(scope="session")
def pg_demo_template(pg_server, sqlite_demo_template: str) -> str:  # noqa: F811
    """The name of a PostgreSQL database holding the default demo city, loaded once for the
    session from the SQLite template (the same rows; a COPY instead of a second seeding) and
    only ever copied (CREATE DATABASE … TEMPLATE): nothing connects to it afterwards."""
    url = pg_server.create_database("happy_template")
    load_from_sqlite(sqlite_demo_template, url)
    return "happy_template"


@pytest.fixture(scope="session")
def pg_url(pg_server, pg_demo_template: str) -> str:  # noqa: F811
    """A PostgreSQL database holding the default demo city (tests read it, never write)."""
    return pg_server.create_database("happy_demo", template=pg_demo_template)


@pytest.fixture(params=["sqlite", "pg"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store on each backend in turn: a new SQLite file, a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_server").create_database(f"empty_{uuid4().hex[:12]}")


@pytest.fixture(scope="session", params=["sqlite", "pg"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The demo store on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[str]:
    """Point the app at the SQLite demo store; clear Streamlit caches afterwards."""
    monkeypatch.setenv("HAPPY_DB_URL", sqlite_url)
    monkeypatch.setenv("HAPPY_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.chdir(ROOT)
    yield sqlite_url
    st.cache_data.clear()
    st.cache_resource.clear()


# Writable stores for the activity-recording tests (issue 5), defined once for the session.
from tests.activity_fixtures import (  # noqa: E402, F401
    record_env,
    write_db_url,
    write_pg_url,
    write_sqlite_url,
)

# A writable store with a street reviewer for the monthly report pages' tests (issue 13).
from tests.report_fixtures import report_env, report_store  # noqa: E402, F401
