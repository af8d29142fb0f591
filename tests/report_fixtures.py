"""Fixtures of the monthly report pages' tests: a writable copy of the demo store with a street
reviewer, and the report pages' clock set to a month after the demo."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
import streamlit as st
from sqlalchemy import select

from data_access.accounts import add_account, demo_community
from data_access.db import read_session, write_session
from data_access.models import Region
from data_access.store import open_store
from tests.activity_fixtures import copy_sqlite
from tests.conftest import DEMO_TODAY, ROOT

STREET_USER = "street_reviewer"
STREET_PASSWORD = "street-reviewer-2025"
# The report pages' clock in these tests: the demo's today (its month has no reports yet).
NOW = datetime.combine(DEMO_TODAY, time(2, 0), tzinfo=UTC)
MONTH = DEMO_TODAY.year * 100 + DEMO_TODAY.month


@dataclass(frozen=True)
class Place:
    community_id: int
    community_code: str
    street_id: int
    street_code: str
    district_code: str
    siblings: tuple[int, ...]  # the other communities of the street


def add_street_reviewer(url: str) -> None:
    """A staff account scoped to the street of the demo staff's community (多福社区)."""
    engine = open_store(url)
    with write_session(engine) as session:
        community = demo_community(session)
        add_account(
            session, None, STREET_USER, "街道审核员", "staff", community.street_id, STREET_PASSWORD
        )
    engine.dispose()


def demo_place(url: str) -> Place:
    """The demo staff's community, its street and district, and its sibling communities."""
    engine = open_store(url)
    with read_session(engine) as session:
        community = demo_community(session)
        street = session.get(Region, community.street_id)
        district = session.get(Region, community.district_id)
        siblings = session.scalars(
            select(Region.id)
            .where(Region.parent_id == street.id, Region.id != community.id)
            .order_by(Region.code)
        ).all()
        place = Place(
            community.id, community.code, street.id, street.code, district.code, tuple(siblings)
        )
    engine.dispose()
    return place


@pytest.fixture(scope="module")
def report_store(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A writable copy of the demo store with a street reviewer (one per test module)."""
    url = copy_sqlite(sqlite_url, tmp_path_factory.mktemp("reports") / "happy.db")
    add_street_reviewer(url)
    return url


def app_at_now(monkeypatch: pytest.MonkeyPatch, url: str) -> Iterator[str]:
    """The app on a store, its report pages' clock at NOW; caches cleared after (the body of
    the report fixtures)."""
    monkeypatch.setenv("HAPPY_DB_URL", url)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("data_access.clock.now", lambda: NOW)
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def report_env(monkeypatch: pytest.MonkeyPatch, report_store: str) -> Iterator[str]:
    """The app on the report store, its report pages' clock at NOW; caches cleared after."""
    yield from app_at_now(monkeypatch, report_store)
