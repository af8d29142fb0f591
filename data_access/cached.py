"""The one module of data_access that imports Streamlit: the cached engine and cached readers.

Readers take plain arguments (URL, codes, period strings) and return plain data, so that
`st.cache_data` can key and copy them; writes call `clear_readers()`.
"""

from __future__ import annotations

import functools
import logging
import math
import pickle
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import MappingProxyType

import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.caching import cache_data_api, cache_resource_api

from data_access import periods
from data_access.areas import AreaIndex, get_child_indexes
from data_access.db import STORE_FAILURES, read_session, store_error
from data_access.feed import list_recent_activities
from data_access.indicators import (
    get_activity_totals,
    get_indicator_values,
    get_monthly_indicator_values,
)
from data_access.periods import Coverage, Period, parse_period
from data_access.regions import RegionInfo, get_city, get_region, list_ancestors, list_children
from data_access.registry import DATA_LEVELS, PARENT_LEVELS
from data_access.scoring import (
    SETTINGS_KEY,
    IndexResult,
    Settings,
    get_index,
    get_index_trend,
    get_settings,
    mean_index,
)
from data_access.store import data_version, open_store

log = logging.getLogger(__name__)

READERS: list = []  # every cached reader, in the order defined: what clear_readers() forgets


class _Reads:
    """Whether a read was under way while the cached reads were forgotten: its result, read
    before the write, is stored just after the clear, so it must be forgotten once more."""

    generation = 0  # how many times the cached reads were forgotten in this process
    straddled = False


def reader(cache=st.cache_data, **options):
    """Cache a reader (st.cache_data; st.cache_resource for shared frozen results) and register
    it, so that clear_readers() forgets it with the others. A memo in front of Streamlit's cache
    (_memo_front) answers the calls it has seen since the last clear without hashing them."""

    def register(fn):
        @functools.wraps(fn)
        def watched(*args, **kwargs):
            began = _Reads.generation
            try:
                return fn(*args, **kwargs)
            finally:
                if _Reads.generation != began:
                    _Reads.straddled = True

        cached_fn = cache(show_spinner=False, **options)(watched)
        shared = cache is st.cache_resource
        front = _memo_front(fn, cached_fn, shared, options.get("ttl"), options.get("max_entries"))
        READERS.append(front)
        return front

    return register


MEMO_ENTRIES = 1000  # a reader's memo is emptied when it holds more (max_entries if smaller)


def _streamlit_registries() -> tuple:
    """Streamlit's registries of cached functions: st.cache_data.clear() and
    st.cache_resource.clear() replace them (a memo entry stored before is then not used)."""
    return (
        getattr(cache_data_api._data_caches, "_function_caches", None),
        getattr(cache_resource_api._resource_caches, "_function_caches", None),
    )


def _memo_front(fn, cached_fn, shared: bool, ttl: float | None, max_entries: int | None):
    """A reader answered from a plain dict keyed by its arguments, in front of Streamlit's cache
    (whose key costs an inspect.signature and a hash of every argument on each call: about 14 %
    of a warm Overview run's CPU). An entry is used only while nothing was forgotten since it
    was stored: not this process's cached reads (`_Reads.generation`: every clear, a write's,
    forget_all's or follow_store's after another process's write, moves it on), not this
    reader (its .clear()), not Streamlit's caches (st.cache_data.clear(),
    st.cache_resource.clear()); and only within the reader's ttl. A value read while the reads
    were forgotten is not stored. Like Streamlit's: a shared reader (cache_resource) gives
    everyone the same object; any other gives each call its own copy (the memo keeps the value
    pickled, as st.cache_data does). Arguments that cannot be a dict key (a dict: the activity
    log's filter) go to Streamlit's cache directly."""
    memo: dict = {}
    limit = min(MEMO_ENTRIES, max_entries or MEMO_ENTRIES)

    @functools.wraps(fn)
    def front(*args, **kwargs):
        key = (args, tuple(kwargs.items())) if kwargs else args
        try:
            hit = memo.get(key)
        except TypeError:  # unhashable arguments
            return cached_fn(*args, **kwargs)
        generation, now = _Reads.generation, time.monotonic()
        data, resource = _streamlit_registries()
        if (
            hit is not None
            and hit[0] == generation
            and hit[1] > now
            and hit[2] is data
            and hit[3] is resource
            and data is not None
        ):
            return hit[4] if shared else pickle.loads(hit[4])  # noqa: S301 - our own bytes
        value = cached_fn(*args, **kwargs)
        again = _streamlit_registries()
        if _Reads.generation == generation and again[0] is data and again[1] is resource:
            if len(memo) >= limit:
                memo.clear()
            expires = now + ttl if ttl is not None else math.inf
            memo[key] = (
                generation,
                expires,
                data,
                resource,
                value if shared else pickle.dumps(value),
            )
        return value

    def clear() -> None:
        memo.clear()
        cached_fn.clear()

    front.clear = clear
    front.cached = cached_fn  # Streamlit's cache behind the memo
    return front


_DERIVED: dict = {}  # (fn, id of a shared result, args) -> (that result, fn's value)


def derived(fn, shared, *args):
    """fn(shared, *args) made once per shared reader result (a cache_resource reader's: the
    same object on every call until the reads are forgotten) and args — e.g. a table's rows
    shaped from the children's indexes in the viewer's language — rather than on every run.
    Keyed by the result's identity (kept alive with the entry, so the id is not reused);
    emptied with the readers. The value is shared too: never change it."""
    key = (fn, id(shared), args)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is shared:
        return hit[1]
    value = fn(shared, *args)
    if len(_DERIVED) >= MEMO_ENTRIES:
        _DERIVED.clear()
    _DERIVED[key] = (shared, value)
    return value


@st.cache_resource(show_spinner=False)
def get_engine(url: str) -> Engine:
    """The migrated engine for a URL, shared by all sessions of this server process (the one
    open_engine opened, if it did)."""
    engine = _open_engines().get(url)
    return engine if engine is not None else open_engine(url)


def open_engine(url: str, on_step: Callable[[int, int], None] | None = None) -> Engine:
    """Open the store at `url` for this process, migrating it if needed (`on_step(done,
    total)`: migrate.upgrade), outside get_engine's cache, which replays at every call what its
    first call drew: a page draws its progress through a migration (ui/bootstrap.py). The
    engine is the one get_engine returns; one opened meanwhile by another session is kept
    instead."""
    engine = open_store(url, on_step)
    kept = _open_engines().setdefault(url, engine)
    if kept is not engine:
        engine.dispose()
    return kept


def engine_open(url: str) -> bool:
    """Whether this process has opened (and so migrated) the store at `url`."""
    return url in _open_engines()


@st.cache_resource(show_spinner=False)
def _open_engines() -> dict[str, Engine]:
    """By URL: the engine get_engine opened (to close it without opening one)."""
    return {}


@st.cache_resource(show_spinner=False)
def seed_lock(url: str) -> threading.Lock:
    """A lock so that only one session of this process builds the demo data."""
    return threading.Lock()


@reader(ttl=3600)
def has_regions(url: str) -> bool:
    """Whether the store holds any region."""
    from data_access.store import has_regions as _has_regions

    return _has_regions(get_engine(url))


@reader(ttl=3600)
def city(url: str) -> RegionInfo | None:
    """The city region (None in an empty store)."""
    with read_session(get_engine(url)) as session:
        return get_city(session)


@reader(ttl=3600)
def region(url: str, code: str) -> RegionInfo | None:
    """A region by code."""
    with read_session(get_engine(url)) as session:
        return get_region(session, code)


@reader(ttl=3600)
def data_months(url: str) -> tuple[int, int] | None:
    """The first and last month with recorded activities (yyyymm), or None."""
    from data_access.indicators import get_data_months

    with read_session(get_engine(url)) as session:
        return get_data_months(session)


@reader(ttl=3600)
def months_with_data(url: str) -> tuple[int, ...]:
    """The months (yyyymm) with at least one recorded activity in the city, oldest first."""
    from data_access.indicators import list_data_months

    with read_session(get_engine(url)) as session:
        return tuple(list_data_months(session))


@reader(ttl=3600)
def last_activity_day(url: str):
    """The date of the latest recorded activity, or None."""
    from data_access.indicators import get_last_activity_day

    with read_session(get_engine(url)) as session:
        return get_last_activity_day(session)


def coverage(url: str, period: Period, today: date) -> Coverage:
    """How much of the period has happened by today and its like-with-like bases
    (periods.coverage) from the cached months with data: what indicators.get_coverage reads
    from the store, for the pages and the readers that follow them."""
    return periods.coverage(period, today, months_with_data(url), last_activity_day(url))


@reader(ttl=600)
def indicator_values(url: str, region_code: str, period: str) -> dict[str, float | None]:
    """Every indicator's value for a region (by code) and period (string)."""
    found = region(url, region_code)
    if found is None:
        return {}
    with read_session(get_engine(url)) as session:
        return get_indicator_values(session, found, parse_period(period))


def _region_and_city(url: str, code: str) -> tuple[RegionInfo, RegionInfo]:
    # From the cached readers (the page has read both already): two queries fewer per reader.
    found = region(url, code)
    if found is None:
        raise LookupError(f"no region {code!r}")
    return found, city(url)


@reader(ttl=3600)
def ancestors(url: str, code: str) -> list[RegionInfo]:
    """The region's ancestors from the city down to its parent."""
    found = region(url, code)
    if found is None:
        return []
    with read_session(get_engine(url)) as session:
        return list_ancestors(session, found)


@reader(ttl=3600)
def children(url: str, code: str) -> list[RegionInfo]:
    """The region's direct children (none below community level: data stop there)."""
    found = region(url, code)
    if found is None or found.level not in PARENT_LEVELS:
        return []
    with read_session(get_engine(url)) as session:
        return list_children(session, found.id)


@reader(st.cache_resource, ttl=600)
def settings(url: str) -> Settings:
    """The targets and weights (scoring.get_settings; shared, read-only): every index a page
    shows is scored with them, so they are read once, not in each reader."""
    with read_session(get_engine(url)) as session:
        return get_settings(session)


@contextmanager
def _scoring_session(url: str):
    """A read session whose scoring.get_settings answers from the cached settings."""
    known = settings(url)
    with read_session(get_engine(url)) as session:
        session.info[SETTINGS_KEY] = known
        yield session


# The index readers return frozen results shared by every session of the process (a resource,
# not a copy per call): pages read them several times a run, and copying them cost more than the
# rest of a warm Overview's reads together. Callers must not modify what they get.
@reader(st.cache_resource, ttl=600, max_entries=2000)
def index(url: str, code: str, period: str) -> IndexResult:
    """The happiness index of a region (by code) for a period (string), from the region's cached
    indicator values (the pages show both)."""
    values = indicator_values(url, code, period)
    found, city_ = _region_and_city(url, code)
    with _scoring_session(url) as session:
        return get_index(session, found, city_, parse_period(period), values)


@reader(st.cache_resource, ttl=600, max_entries=500)
def child_indexes(url: str, code: str, period: str) -> tuple[AreaIndex, ...]:
    """The index, indicator values and activity count of each child region (shared)."""
    found, city_ = _region_and_city(url, code)
    with _scoring_session(url) as session:
        return tuple(get_child_indexes(session, found, city_, parse_period(period)))


@reader(st.cache_resource, ttl=600, max_entries=500)
def children_average(url: str, code: str, period: str) -> IndexResult | None:
    """The mean index of the region's children (shared; None without children): what the
    city's pillar chart stands beside, averaged once rather than on every run."""
    kids = child_indexes(url, code, period)
    return mean_index([k.index for k in kids]) if kids else None


@reader(st.cache_resource, ttl=600, max_entries=500)
def index_trend(url: str, code: str, months: tuple[int, ...]) -> Mapping[int, IndexResult]:
    """The region's index in each month (yyyymm), read-only (shared)."""
    found, city_ = _region_and_city(url, code)
    with _scoring_session(url) as session:
        return MappingProxyType(get_index_trend(session, found, city_, list(months)))


@reader(ttl=600)
def monthly_values(
    url: str, code: str, months: tuple[int, ...]
) -> dict[int, dict[str, float | None]]:
    """Every indicator's value for the region in each month (yyyymm)."""
    found = region(url, code)
    if found is None:
        return {}
    with read_session(get_engine(url)) as session:
        return get_monthly_indicator_values(session, found, list(months))


@reader(ttl=600)
def activity_totals(url: str, code: str, period: str) -> dict[str, dict[str, float]]:
    """Per activity type: the number of activities and each measure's sum."""
    found = region(url, code)
    if found is None:
        return {}
    with read_session(get_engine(url)) as session:
        return get_activity_totals(session, found, parse_period(period))


def _cached_values(url: str):
    """indicators.get_indicator_values through the cached reader: what a page shows and what
    its attention list weighs are read once."""

    def read(session, region: RegionInfo, period) -> dict[str, float | None]:
        return indicator_values(url, region.code, str(period))

    return read


def _cached_child_indexes(url: str):
    """areas.get_child_indexes through the cached reader (shared with the page's ranking)."""

    def read(session, region: RegionInfo, city_: RegionInfo, period) -> tuple[AreaIndex, ...]:
        return child_indexes(url, region.code, str(period))

    return read


# 需关注, 进步最快 and 备注 (issue 16): imported where used, so a page that shows none of them
# does not load them.
@reader(st.cache_resource, ttl=600, max_entries=500)
def attention(url: str, code: str, period: str, today: str) -> tuple:
    """What needs attention in the region (attention.attention_items) on `today` (ISO date),
    most off first (shared, frozen items)."""

    from data_access.attention import attention_items, year_to_date

    day, chosen = date.fromisoformat(today), parse_period(period)
    cov = coverage(url, chosen, day)
    # The figures it reads through the cached readers, read first: inside its session they are
    # found cached, so a cold run holds one connection at a time (not two per list).
    ytd, found = year_to_date(chosen, day), region(url, code)
    if ytd is not None and found is not None and found.level in DATA_LEVELS:
        for p in (ytd, cov.span, cov.year_ago):
            if p is not None:
                indicator_values(url, code, str(p))
        if found.level in PARENT_LEVELS:
            for p in (cov.span, cov.span.year_ago()):
                child_indexes(url, code, str(p))
    with _scoring_session(url) as session:
        return tuple(
            attention_items(
                session,
                code,
                chosen,
                today=day,
                coverage=cov,
                indicator_values=_cached_values(url),
                child_indexes=_cached_child_indexes(url),
            )
        )


@reader(st.cache_resource, ttl=600, max_entries=500)
def ranked_children(url: str, code: str, period: str, measure: str, by: str, today: str) -> tuple:
    """The child regions ordered by a measure's level or by its change against the same months a
    year earlier, as they stand on `today` (ISO date; areas.rank_areas; shared, frozen)."""
    from data_access.areas import get_child_changes, rank_areas

    found, city_ = _region_and_city(url, code)
    with _scoring_session(url) as session:
        if found.level not in PARENT_LEVELS:
            return ()
        now, before = get_child_changes(
            session,
            found,
            city_,
            coverage(url, parse_period(period), date.fromisoformat(today)).span,
            _cached_child_indexes(url),
        )
        return tuple(rank_areas(now, before, measure, by))


# The monthly reports on the leaders' pages (ui/report_status.py): read on every run of the
# Overview and the pillar pages, so cached like the index (shared, frozen; callers must not
# modify them). Submitting, approving and reopening a report clear them with the other readers.
@reader(st.cache_resource, ttl=600, max_entries=500)
def completeness(url: str, code: str, month: int, level: str):
    """How complete the month's reports of the regions of `level` inside the region are
    (reports.get_completeness; shared)."""
    from data_access.reports import Completeness, count_report_statuses, get_completeness

    found = region(url, code)
    with read_session(get_engine(url)) as session:
        # The counts first, in one grouped query: when every report is approved (the months
        # past), nothing is late and no region need be read one by one.
        counts = count_report_statuses(session, found, month, level)
        total = sum(counts.values())
        if counts.get("approved", 0) == total:
            return Completeness(month, level, total, counts, ())
        return get_completeness(session, found, month, level)


@reader(st.cache_resource, ttl=600, max_entries=2000)
def reported_stocks(
    url: str, code: str, period: str, include_submitted: bool = False
) -> Mapping[str, object]:
    """The region's standing figures at the period's end, each with its as-of month
    (stocks.get_reported_stocks; read-only, shared)."""
    from data_access.stocks import get_reported_stocks

    found = region(url, code)
    with read_session(get_engine(url)) as session:
        return MappingProxyType(
            get_reported_stocks(
                session, found, parse_period(period), include_submitted=include_submitted
            )
        )


@reader(ttl=600)
def notes(
    url: str,
    viewer: int | None,
    code: str,
    first: int,
    last: int,
    with_children: bool = True,
    with_ancestors: bool = False,
    pillar: str | None = None,
) -> list:
    """The notes of the months first to last (yyyymm) on the region (and below or above it)
    that the viewer may see (notes.list_notes: PermissionDenied outside the viewer's scope)."""
    from data_access.notes import list_notes

    with read_session(get_engine(url)) as session:
        return list_notes(
            session,
            viewer,
            code,
            (first, last),
            with_children=with_children,
            with_ancestors=with_ancestors,
            pillar=pillar,
        )


SCREEN_TTL_SECONDS = 60


@reader(ttl=SCREEN_TTL_SECONDS)
def screen_snapshot(url: str, region_code: str, period: str, base: str | None = None) -> dict:
    """Everything a wall screen shows for a region and period, read in one transaction, with
    the time it was read (UTC) under "read_at": the screen shows that time, not its own. The
    index is set beside the `base` period's (the same months a year earlier), if one is given;
    "index_last_year" is None otherwise."""
    read_at = datetime.now(UTC)
    with _scoring_session(url) as session:
        city = get_city(session)
        region = get_region(session, region_code) or city
        chosen = parse_period(period)
        ranked = get_child_indexes(session, region, city, chosen)
        return {
            "region": region,
            "index": get_index(session, region, city, chosen),
            "index_last_year": (
                get_index(session, region, city, parse_period(base)) if base else None
            ),
            "ranking": [(child.region, child.index.composite) for child in ranked],
            "latest": list_recent_activities(session, region, limit=8),
            "read_at": read_at,
        }


@reader(ttl=3600)
def district_boundaries(url: str, tolerance: float = 0.0) -> dict[str, dict]:
    """Each district's boundary geometry (GeoJSON, GCJ-02) by code, simplified to a tolerance."""
    from data_access.geo import get_district_boundaries

    with read_session(get_engine(url)) as session:
        return get_district_boundaries(session, tolerance)


@reader(ttl=600)
def map_measures(url: str, code: str, level: str, period: str) -> dict[str, dict]:
    """For each region of a level inside a region (by code): the RegionInfo under "region",
    indicator values under "ind.<key>", the index under "index" and "pillar.<key>"."""
    from data_access.areas import get_indexes_within

    with _scoring_session(url) as session:
        within = get_region(session, code)
        city_info = get_city(session)
        if within is None or city_info is None:
            return {}
        areas = get_indexes_within(session, within, level, city_info, parse_period(period))
    out: dict[str, dict] = {}
    for area in areas:
        row: dict = {"region": area.region, "index": area.index.composite}
        row.update({f"pillar.{p.key}": p.score for p in area.index.pillars})
        row.update({f"ind.{k}": v for k, v in area.values.items()})
        out[area.region.code] = row
    return out


@reader(ttl=600)
def activity_weights(url: str, code: str, period: str) -> list[tuple[float, float, int]]:
    """(lon, lat, activities) per community inside the region in the period."""
    from data_access.geo import get_activity_weights

    with read_session(get_engine(url)) as session:
        found = get_region(session, code)
        return get_activity_weights(session, found, parse_period(period)) if found else []


@reader(ttl=3600)
def region_by_id(url: str, region_id: int) -> RegionInfo | None:
    """A region by id."""
    from data_access.regions import get_region_by_id

    with read_session(get_engine(url)) as session:
        return get_region_by_id(session, region_id)


@reader(ttl=3600)
def children_by_id(url: str, region_id: int) -> list[dict]:
    """The direct children of a region (id, code, names), by code."""
    from data_access.regions import list_children

    with read_session(get_engine(url)) as session:
        return [
            {"id": r.id, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en}
            for r in list_children(session, region_id)
        ]


@reader(ttl=3600)
def compounds(url: str, community_id: int, grid_id: int | None) -> list[dict]:
    """The compounds of a community (of one of its grids, if given)."""
    from data_access.regions import list_compounds

    with read_session(get_engine(url)) as session:
        return list_compounds(session, community_id, grid_id)


@reader(ttl=600, max_entries=200)
def activity_page(
    url: str, flt: dict, page: int, page_size: int, lang: str, seek: tuple | None = None
) -> tuple[list[dict], int]:
    """One page of the activity log for a filter (ActivityFilter fields as a dict), read from
    the edge of a page next to it when `seek` says one (activity_log.list_activities)."""
    from data_access.activity_log import ActivityFilter, list_activities

    with read_session(get_engine(url)) as session:
        return list_activities(session, ActivityFilter(**flt), page, page_size, lang, seek)


@st.cache_resource(show_spinner=False)
def _versions_seen() -> dict[str, int]:
    """By URL: the store's data version as this process last saw it."""
    return {}


def follow_store(url: str) -> None:
    """Forget every cached read if the store changed since this process last looked: a write by
    another server process (a replica behind the load balancer, the command line) clears
    nothing here by itself. Forget them once more if a read was under way during the last
    clear (it read the store before the write and stored its result after the clear). Called
    once per script run; if the store cannot be reached the cached reads stay, and the pages
    say so when they need the store."""
    try:
        with get_engine(url).connect() as conn:
            version = data_version(conn)
    except STORE_FAILURES as exc:
        log.warning("store version not read: %s", store_error(exc, url))
        return
    seen = _versions_seen()
    if seen.get(url, version) != version or _Reads.straddled:
        clear_readers()
    seen[url] = version


def clear_after_write(url: str) -> None:
    """Forget every cached read after a write made by this process, and take the store's data
    version as seen, so that follow_store does not forget them again for this process's own
    write. The version is read before the clear: every write it counts had committed before
    the reads were forgotten."""
    try:
        with get_engine(url).connect() as conn:
            version = data_version(conn)
    except STORE_FAILURES as exc:
        log.warning("store version not read: %s", store_error(exc, url))
        version = None
    clear_readers()
    if version is not None:
        _versions_seen()[url] = version


def forget_store(url: str) -> None:
    """After the store failed (not merely busy): close this process's idle connections and
    open the store afresh on the next run, so that a database that comes back (a restarted
    server, a file restored from a backup) is used again without restarting the app."""
    engine = _open_engines().pop(url, None)
    get_engine.clear()
    has_regions.clear()
    if engine is not None:
        engine.dispose()


def clear_readers() -> None:
    """Forget every cached read (after a write): the memos in front of the readers at once
    (their entries are of an older generation), then Streamlit's caches."""
    _Reads.straddled = False
    _Reads.generation += 1
    _DERIVED.clear()
    for cached_reader in READERS:
        cached_reader.clear()
    # Once more when all are cleared: a memo entry stored meanwhile by another session, from a
    # Streamlit cache not yet cleared, is of the generation in between and never used.
    _Reads.generation += 1


def forget_all() -> None:
    """Forget every cached result of the app: the readers (shared index results too) and every
    other st.cache_data function (after targets or weights change, which feed every score)."""
    st.cache_data.clear()
    clear_readers()
