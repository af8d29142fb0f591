"""Fixtures for the activity-recording tests: stores these tests may write to.

The shared demo stores (sqlite_url, pg_url) must keep the article's figures for other tests, so
writes go to a copy of the SQLite demo and to a separate PostgreSQL database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import select
from sqlalchemy.engine import make_url

from data_access.db import read_session
from data_access.models import CompoundGrid, Region

ROOT = Path(__file__).resolve().parent.parent


def copy_sqlite(source_url: str, target_path) -> str:
    """A consistent copy of a SQLite store (through SQLite's backup API); its URL."""
    source = sqlite3.connect(make_url(source_url).database)
    target = sqlite3.connect(str(target_path))
    with target:
        source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{target_path}"


@pytest.fixture(scope="session")
def write_sqlite_url(sqlite_demo_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A writable copy of the SQLite demo store."""
    return copy_sqlite(sqlite_demo_template, tmp_path_factory.mktemp("write") / "happy.db")


@pytest.fixture(scope="session")
def write_pg_url(pg_server, pg_demo_template: str) -> str:
    """A writable PostgreSQL copy of the demo store (as write_sqlite_url is of SQLite's)."""
    return pg_server.create_database("happy_write", template=pg_demo_template)


@pytest.fixture(scope="session", params=["sqlite", "pg"])
def write_db_url(request: pytest.FixtureRequest) -> str:
    """A writable store on each backend in turn."""
    return request.getfixturevalue(f"write_{request.param}_url")


@pytest.fixture
def record_env(monkeypatch: pytest.MonkeyPatch, write_sqlite_url: str) -> Iterator[str]:
    """Point the app at the writable SQLite store; clear Streamlit caches afterwards."""
    monkeypatch.setenv("HAPPY_DB_URL", write_sqlite_url)
    monkeypatch.chdir(ROOT)
    yield write_sqlite_url
    st.cache_data.clear()
    st.cache_resource.clear()


def some_place(engine, index: int = 0) -> dict[str, int]:
    """A community with one of its grids and a compound in that grid (ids), and its parents."""
    with read_session(engine) as session:
        community = session.execute(
            select(Region.id, Region.street_id, Region.district_id)
            .where(Region.level == "community")
            .order_by(Region.id)
            .offset(index)
            .limit(1)
        ).one()
        grid = session.scalar(
            select(Region.id).where(Region.parent_id == community.id).order_by(Region.id).limit(1)
        )
        compound = session.scalar(
            select(CompoundGrid.compound_id).where(CompoundGrid.grid_id == grid).limit(1)
        )
    return {
        "community_id": community.id,
        "street_id": community.street_id,
        "district_id": community.district_id,
        "grid_id": grid,
        "compound_id": compound,
    }
