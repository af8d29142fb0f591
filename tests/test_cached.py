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


def _cached_functions() -> dict[str, CachedFunc]:
    return {name: obj for name, obj in vars(cached).items() if isinstance(obj, CachedFunc)}


def test_every_cached_function_of_the_module_is_a_registered_reader():
    found = _cached_functions()
    readers = {name for name, obj in found.items() if obj in cached.READERS}
    assert set(found) - readers == NOT_READERS
    assert len(readers) == len(cached.READERS) >= 20


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
