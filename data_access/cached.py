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
from data_access.indicators import get_indicator_values
from data_access.models import Rollup
from data_access.periods import parse_period
from data_access.regions import RegionInfo, get_city, get_region
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


def as_region(data: dict) -> RegionInfo:
    """A region dict from a cached reader back as RegionInfo."""
    return RegionInfo(**data)


@st.cache_data(ttl=3600, show_spinner=False)
def region_by_id(url: str, region_id: int) -> dict | None:
    """A region by id, as a dict."""
    from data_access.regions import get_region_by_id

    with read_session(get_engine(url)) as session:
        found = get_region_by_id(session, region_id)
    return asdict(found) if found else None


@st.cache_data(ttl=3600, show_spinner=False)
def children(url: str, region_id: int) -> list[dict]:
    """The direct children of a region (id, code, names), by code."""
    from data_access.regions import list_children

    with read_session(get_engine(url)) as session:
        return [
            {"id": r.id, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en}
            for r in list_children(session, region_id)
        ]


@st.cache_data(ttl=3600, show_spinner=False)
def compounds(url: str, community_id: int, grid_id: int | None) -> list[dict]:
    """The compounds of a community (of one of its grids, if given)."""
    from data_access.models import Compound, CompoundGrid

    query = select(Compound.id, Compound.code, Compound.name_zh, Compound.name_en).where(
        Compound.community_id == community_id
    )
    if grid_id is not None:
        query = query.join(CompoundGrid, CompoundGrid.compound_id == Compound.id).where(
            CompoundGrid.grid_id == grid_id
        )
    with read_session(get_engine(url)) as session:
        return [dict(r._mapping) for r in session.execute(query.order_by(Compound.code))]


@st.cache_data(ttl=600, show_spinner=False, max_entries=200)
def activity_page(
    url: str, flt: dict, page: int, page_size: int, lang: str
) -> tuple[list[dict], int]:
    """One page of the activity log for a filter (ActivityFilter fields as a dict)."""
    from data_access.activities import ActivityFilter, list_activities

    with read_session(get_engine(url)) as session:
        return list_activities(session, ActivityFilter(**flt), page, page_size, lang)


def clear_readers() -> None:
    """Forget every cached read (after a write)."""
    for reader in (has_regions, city, region, data_months, indicator_values, activity_page):
        reader.clear()
