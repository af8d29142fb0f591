"""The cached readers: every one registers itself, so clear_readers() cannot forget one, and the
admin's "forget all" clears the shared index results too."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.runtime.caching.cache_utils import CachedFunc

from data_access import cached
from data_access.db import make_engine, write_session
from data_access.models import IndicatorRow
from data_access.registry import INDICATORS_BY_KEY
from tests.auth_helpers import app_as

# The process's own resources, not reads of the data: kept when the data change.
NOT_READERS = {"get_engine", "_open_engines", "seed_lock", "_versions_seen"}


def _cached_functions() -> dict[str, object]:
    """Every function of the module with a Streamlit cache: cached itself, or a reader's memo in
    front of one (.cached)."""
    return {
        name: obj
        for name, obj in vars(cached).items()
        if isinstance(obj, CachedFunc) or isinstance(getattr(obj, "cached", None), CachedFunc)
    }


def test_every_cached_function_of_the_module_is_a_registered_reader():
    found = _cached_functions()
    readers = {name for name, obj in found.items() if obj in cached.READERS}
    assert set(found) - readers == NOT_READERS
    assert len(readers) == len(cached.READERS) >= 20
    # Streamlit's caches are reached only through the registered readers' memos.
    assert not any(isinstance(obj, CachedFunc) for obj in cached.READERS)


def test_a_reader_registered_later_is_cleared_with_the_others():
    calls: list[str] = []

    @cached.reader(ttl=60)
    def copied(x: int) -> int:
        calls.append("data")
        return x

    @cached.reader(st.cache_resource, ttl=60)
    def shared(x: int) -> int:
        calls.append("resource")
        return x

    try:
        copied(1), copied(1), shared(1), shared(1)
        assert calls == ["data", "resource"]
        cached.clear_readers()
        copied(1), shared(1)
        assert calls == ["data", "resource", "data", "resource"]
    finally:
        cached.READERS.remove(copied)
        cached.READERS.remove(shared)


def _target(result, key: str) -> float | None:
    ind = INDICATORS_BY_KEY[key]
    return next(s.target for s in result.pillar(ind.pillar).indicators if s.key == key)


def test_admin_forget_all_clears_the_shared_index_results(app_env, monkeypatch):
    # The admin's own write must forget what it changed: not rely on the next run noticing
    # the store's data version (a check meant for other processes' writes).
    monkeypatch.setattr(cached, "follow_store", lambda url: None)
    ind = INDICATORS_BY_KEY["hotline_requests_resolved"]
    city = cached.city(app_env).code
    assert _target(cached.index(app_env, city, "2025"), ind.key) == pytest.approx(ind.target)
    at = app_as(app_env, "admin", page="app_pages/admin.py")
    at.selectbox(key="admin_indicator").set_value(ind.key).run()
    at.number_input(key="admin_target").set_value(ind.target * 2)
    next(b for b in at.button if b.label == "保存指标设置").click().run()
    engine = make_engine(app_env)
    try:
        assert not at.exception and any("已保存" in s.value for s in at.success)
        now = cached.index(app_env, city, "2025")
        assert _target(now, ind.key) == pytest.approx(ind.target * 2)
    finally:
        with write_session(engine) as s:
            row = s.get(IndicatorRow, ind.key)
            row.target, row.weight = ind.target, ind.weight
        engine.dispose()
        cached.forget_all()


def test_forget_all_clears_other_cached_data_too():
    calls: list[int] = []

    @st.cache_data
    def elsewhere() -> int:
        calls.append(1)
        return len(calls)

    elsewhere()
    cached.forget_all()
    assert elsewhere() == 2


def test_a_read_under_way_during_a_clear_is_forgotten_at_the_next_run(sqlite_url):
    """A read that began before a write and ended after the write's clear stores the old value
    after the clear: the next run forgets the cached reads once more, and only then."""
    import threading

    from data_access import cached

    values = iter(["before the write", "after the write"])
    started, release = threading.Event(), threading.Event()

    @cached.reader()
    def slow_reader(key: str) -> str:
        started.set()
        release.wait(10)
        return next(values)

    try:
        cached.follow_store(sqlite_url)
        out: list[str] = []
        thread = threading.Thread(target=lambda: out.append(slow_reader("k")))
        thread.start()
        assert started.wait(10)
        cached.clear_readers()  # a write's clear while the read is under way
        release.set()
        thread.join(10)
        assert out == ["before the write"]
        assert slow_reader("k") == "before the write"  # stored after the clear: stale
        cached.follow_store(sqlite_url)  # the next run
        assert slow_reader("k") == "after the write"
        cached.follow_store(sqlite_url)  # and the one after: nothing more to forget
        assert slow_reader("k") == "after the write"
    finally:
        cached.READERS.remove(slow_reader)


# The memo in front of the readers (a plain dict, no hashing by Streamlit): never stale.


@pytest.fixture
def counting_readers():
    """Two readers (copied and shared) of a changeable source, counting their reads."""
    source = {"value": "first"}
    reads: list[str] = []

    @cached.reader(ttl=60)
    def copied(key: str) -> dict:
        reads.append("copied")
        return {"key": key, "value": source["value"]}

    @cached.reader(st.cache_resource, ttl=60)
    def shared(key: str) -> tuple:
        reads.append("shared")
        return (key, source["value"])

    try:
        yield source, reads, copied, shared
    finally:
        copied.clear(), shared.clear()  # the next test's readers are these to Streamlit
        cached.READERS.remove(copied)
        cached.READERS.remove(shared)


def test_the_memo_answers_a_call_seen_before_without_reading(counting_readers):
    source, reads, copied, shared = counting_readers
    assert copied("k") == {"key": "k", "value": "first"} == copied("k")
    assert shared("k") == ("k", "first") == shared("k")
    assert shared("k") is shared("k")  # a shared reader's one object, as st.cache_resource
    assert reads == ["copied", "shared"]
    assert copied(key="k") == copied("k")  # another spelling of the call: read through


def test_a_copied_readers_memo_gives_each_call_its_own_copy(counting_readers):
    _source, _reads, copied, _shared = counting_readers
    first = copied("k")
    first["value"] = "changed by a caller"
    assert copied("k")["value"] == "first"
    assert copied("k") is not copied("k")


FORGETS = {
    "clear_readers": (lambda: cached.clear_readers(), "second", "second"),
    "forget_all": (lambda: cached.forget_all(), "second", "second"),
    # Streamlit's own clears forget one kind of cache: its memo may not answer from before.
    "st.cache_data.clear": (lambda: st.cache_data.clear(), "second", "first"),
    "st.cache_resource.clear": (lambda: st.cache_resource.clear(), "first", "second"),
}


@pytest.mark.parametrize("forget", FORGETS)
def test_the_memo_is_not_used_after_a_clear(counting_readers, forget):
    source, reads, copied, shared = counting_readers
    assert copied("k")["value"] == shared("k")[1] == "first"
    source["value"] = "second"  # the store changed; the clear that follows a write:
    clear, expect_copied, expect_shared = FORGETS[forget]
    clear()
    assert copied("k")["value"] == expect_copied
    assert shared("k")[1] == expect_shared


def test_one_readers_clear_forgets_its_memo(counting_readers):
    source, reads, copied, _shared = counting_readers
    copied("k")
    source["value"] = "second"
    copied.clear()  # as forget_store does for has_regions
    assert copied("k")["value"] == "second"


def test_the_memo_follows_another_process_write(sqlite_url, counting_readers):
    """follow_store, at the start of each run: another process's write (the store's data
    version moved) makes the next read fresh, memo or not."""
    from data_access.audit import add_audit_row

    source, reads, copied, shared = counting_readers
    cached.follow_store(sqlite_url)
    assert copied("k")["value"] == shared("k")[1] == "first"
    cached.follow_store(sqlite_url)  # nothing written: still answered from the memo
    assert copied("k")["value"] == "first" and reads == ["copied", "shared"]
    source["value"] = "second"
    engine = make_engine(sqlite_url)
    try:
        with write_session(engine) as session:  # "another process": not through this one's cache
            add_audit_row(session, None, "test", "memo", None, None, None)
    finally:
        engine.dispose()
    cached.follow_store(sqlite_url)
    assert copied("k")["value"] == shared("k")[1] == "second"


def test_a_value_read_across_a_clear_is_not_kept_by_the_memo(counting_readers):
    """A read that began before a clear and ended after it returns what it read, but the memo
    does not keep it (Streamlit's cache may: the next follow_store forgets it, as before)."""
    source, reads, _copied, _shared = counting_readers

    @cached.reader(st.cache_resource, ttl=60)
    def clearing(key: str) -> str:
        value = source["value"]
        cached.clear_readers()  # a write's clear while this read is under way
        return value

    try:
        assert clearing("k") == "first"
        source["value"] = "second"
        cached._Reads.straddled = False  # what follow_store would clear once more, done here
        for r in cached.READERS:
            r.cached.clear()  # Streamlit's caches alone
        assert clearing("k") == "second"
    finally:
        clearing.clear()
        cached.READERS.remove(clearing)


def test_the_memo_keeps_an_entry_no_longer_than_the_readers_ttl(counting_readers, monkeypatch):
    source, reads, copied, shared = counting_readers
    now = [1000.0]
    monkeypatch.setattr(cached.time, "monotonic", lambda: now[0])
    copied("k"), shared("k")
    source["value"] = "second"
    copied.cached.clear(), shared.cached.clear()  # Streamlit's caches alone, not the memos
    now[0] += 59  # within the readers' ttl of 60 s: the memo answers
    assert copied("k")["value"] == shared("k")[1] == "first"
    now[0] += 2  # past it: read again
    assert copied("k")["value"] == shared("k")[1] == "second"


def test_the_cached_completeness_is_the_completeness(sqlite_url):
    """cached.completeness counts first and lists the regions only when some are late: the
    same Completeness as reports.get_completeness, months all approved and months with late
    reports alike."""
    from data_access.db import read_session
    from data_access.regions import get_city, list_children
    from data_access.reports import get_completeness
    from data_access.store import open_store

    engine = open_store(sqlite_url)
    seen = set()
    try:
        with read_session(engine) as session:
            city = get_city(session)
            district = list_children(session, city.id)[0]
            street = list_children(session, district.id)[0]
            for region in (city, district, street):
                for level in ("community", "street", "district"):
                    for month in (202511, 202512, 202601):
                        done = get_completeness(session, region, month, level)
                        assert cached.completeness(sqlite_url, region.code, month, level) == done
                        seen.add(bool(done.late))
    finally:
        engine.dispose()
        cached.clear_readers()
    assert seen == {True, False}


def test_a_derived_value_is_made_once_per_shared_result_and_forgotten_with_the_readers():
    made: list[tuple] = []

    def shape(shared, lang):
        made.append((shared, lang))
        return [len(shared), lang]

    first, second = (1, 2), (1, 2, 3)
    assert cached.derived(shape, first, "zh") == [2, "zh"]
    assert cached.derived(shape, first, "zh") is cached.derived(shape, first, "zh")
    assert cached.derived(shape, first, "en") == [2, "en"]  # other arguments: made again
    assert cached.derived(shape, second, "zh") == [3, "zh"]  # another result: made again
    assert len(made) == 3
    cached.clear_readers()
    cached.derived(shape, first, "zh")
    assert len(made) == 4


def test_the_children_average_is_the_mean_of_the_child_indexes(sqlite_url):
    from data_access.scoring import mean_index

    city = cached.city(sqlite_url)
    try:
        kids = cached.child_indexes(sqlite_url, city.code, "2025")
        average = cached.children_average(sqlite_url, city.code, "2025")
        assert average == mean_index([k.index for k in kids])
        assert cached.children_average(sqlite_url, city.code, "2025") is average  # shared
    finally:
        cached.clear_readers()
