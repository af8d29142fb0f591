"""The one module of data_access that imports Streamlit: the cached engine and cached readers.

Readers take plain arguments (URL, codes, period strings) and return plain data, so that
`st.cache_data` can key and copy them; writes call `clear_readers()`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict

import streamlit as st
from sqlalchemy import Engine, func, select

from data_access.db import read_session
from data_access.feed import list_recent_activities
from data_access.indicators import get_indicator_values
from data_access.models import Rollup
from data_access.periods import parse_period
from data_access.regions import RegionInfo, get_city, get_region, list_children
from data_access.scoring import get_index
from data_access.store import open_store


@st.cache_resource(show_spinner=False)
def get_engine(url: str) -> Engine:
    """The migrated engine for a URL, shared by all sessions of this server process."""
    return open_store(url)


@st.cache_resource(show_spinner=False)
def seed_lock(url: str) -> threading.Lock:
    """A lock so that only one session of this process builds the demo data."""
    return threading.Lock()


@st.cache_data(ttl=3600, show_spinner=False)
def has_regions(url: str) -> bool:
    """Whether the store holds any region."""
    from data_access.store import has_regions as _has_regions

    return _has_regions(get_engine(url))


@st.cache_data(ttl=3600, show_spinner=False)
def city(url: str) -> dict | None:
    """The city region as a dict."""
    with read_session(get_engine(url)) as session:
        region = get_city(session)
    return asdict(region) if region else None


@st.cache_data(ttl=3600, show_spinner=False)
def region(url: str, code: str) -> dict | None:
    """A region by code, as a dict."""
    with read_session(get_engine(url)) as session:
        found = get_region(session, code)
    return asdict(found) if found else None


@st.cache_data(ttl=3600, show_spinner=False)
def data_months(url: str) -> tuple[int, int] | None:
    """The first and last month with recorded activities (yyyymm), or None."""
    with read_session(get_engine(url)) as session:
        low, high = session.execute(select(func.min(Rollup.month), func.max(Rollup.month))).one()
    return (low, high) if low is not None else None


@st.cache_data(ttl=600, show_spinner=False)
def indicator_values(url: str, region_code: str, period: str) -> dict[str, float | None]:
    """Every indicator's value for a region (by code) and period (string)."""
    with read_session(get_engine(url)) as session:
        found = get_region(session, region_code)
        if found is None:
            return {}
        return get_indicator_values(session, found, parse_period(period))


SCREEN_TTL_SECONDS = 60


@st.cache_data(ttl=SCREEN_TTL_SECONDS, show_spinner=False)
def screen_snapshot(url: str, region_code: str, period: str) -> dict:
    """Everything a wall screen shows for a region and period, read in one transaction."""
    with read_session(get_engine(url)) as session:
        city = get_city(session)
        region = get_region(session, region_code) or city
        chosen = parse_period(period)
        children = list_children(session, region.id) if region.level != "community" else []
        return {
            "region": asdict(region),
            "index": get_index(session, region, city, chosen),
            "index_last_year": get_index(session, region, city, chosen.year_ago()),
            "ranking": [
                (asdict(child), get_index(session, child, city, chosen).composite)
                for child in children
                if child.level != "grid"
            ],
            "latest": list_recent_activities(session, region, limit=8),
        }


def as_region(data: dict) -> RegionInfo:
    """A region dict from a cached reader back as RegionInfo."""
    return RegionInfo(**data)


def clear_readers() -> None:
    """Forget every cached read (after a write)."""
    for reader in (has_regions, city, region, data_months, indicator_values, screen_snapshot):
        reader.clear()
