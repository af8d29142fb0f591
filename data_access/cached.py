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


@st.cache_data(ttl=3600, show_spinner=False)
def district_boundaries(url: str, tolerance: float = 0.0) -> dict[str, dict]:
    """Each district's boundary geometry (GeoJSON, GCJ-02) by code, simplified to a tolerance."""
    from data_access.geo import get_district_boundaries

    with read_session(get_engine(url)) as session:
        return get_district_boundaries(session, tolerance)


@st.cache_data(ttl=3600, show_spinner=False)
def ancestors(url: str, code: str) -> list[dict]:
    """The region's ancestors from the city down to its parent, as dicts."""
    from data_access.regions import list_ancestors

    with read_session(get_engine(url)) as session:
        found = get_region(session, code)
        return [asdict(r) for r in list_ancestors(session, found)] if found else []


@st.cache_data(ttl=600, show_spinner=False)
def map_measures(url: str, code: str, level: str, period: str) -> dict[str, dict]:
    """For each region of a level inside a region (by code): the region as a dict under "region",
    indicator values under "ind.<key>", the index under "index" and "pillar.<key>"."""
    from data_access.geo import get_index_within, get_values_within, list_regions_within

    with read_session(get_engine(url)) as session:
        within = get_region(session, code)
        city_info = get_city(session)
        if within is None or city_info is None:
            return {}
        chosen = parse_period(period)
        values = get_values_within(session, within, level, chosen)
        scores = get_index_within(session, within, level, city_info, chosen, values)
        out: dict[str, dict] = {}
        for r in list_regions_within(session, within, level):
            row: dict = {"region": asdict(r), "index": scores[r.code].composite}
            row.update({f"pillar.{p.key}": p.score for p in scores[r.code].pillars})
            row.update({f"ind.{k}": v for k, v in values[r.code].items()})
            out[r.code] = row
        return out


@st.cache_data(ttl=600, show_spinner=False)
def region_index(url: str, code: str, period: str) -> dict | None:
    """The happiness index of one region (IndexResult as a dict), or None."""
    from data_access.scoring import get_index

    with read_session(get_engine(url)) as session:
        found, city_info = get_region(session, code), get_city(session)
        if found is None or city_info is None:
            return None
        return asdict(get_index(session, found, city_info, parse_period(period)))


@st.cache_data(ttl=600, show_spinner=False)
def activity_weights(url: str, code: str, period: str) -> list[tuple[float, float, int]]:
    """(lon, lat, activities) per community inside the region in the period."""
    from data_access.geo import get_activity_weights

    with read_session(get_engine(url)) as session:
        found = get_region(session, code)
        return get_activity_weights(session, found, parse_period(period)) if found else []


def as_region(data: dict) -> RegionInfo:
    """A region dict from a cached reader back as RegionInfo."""
    return RegionInfo(**data)


def clear_readers() -> None:
    """Forget every cached read (after a write)."""
    for reader in (
        has_regions,
        city,
        region,
        data_months,
        indicator_values,
        district_boundaries,
        ancestors,
        map_measures,
        region_index,
        activity_weights,
    ):
        reader.clear()
