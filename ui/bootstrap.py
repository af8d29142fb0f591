"""Getting the store ready before any page runs (connect, migrate, on first start seed), and the
one guard that turns a store failure into a line in the user's language instead of a crash page."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from data_access import cached, settings
from data_access.db import STORE_FAILURES, StoreError, is_default_store, resolve_url, store_error
from ui.i18n import say, t, t_text
from ui.plain import plain

log = logging.getLogger(__name__)

T = TypeVar("T")
FAILURE_KEY = "_store_failure"  # a failure met in a widget callback, for the next guard to show
RETRY_KEY = "store_retry"


def guarded(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call `fn` so that a store failure (ours, SQLAlchemy's or the driver's) shows one line in
    the user's language with a retry button and stops this run, never Streamlit's crash page.
    The run stops early, so Streamlit keeps every widget's value for the retry; and unless the
    store was merely busy, the next run opens it afresh, so the app recovers by itself."""
    failed = st.session_state.pop(FAILURE_KEY, None)
    if failed is not None:
        _stop_with(failed)
    try:
        return fn(*args, **kwargs)
    except STORE_FAILURES as exc:
        _stop_with(note_failure(exc))
    raise AssertionError("unreachable: _stop_with stops the run")


def store_callback(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a widget callback that uses the store: callbacks run before the script, outside any
    guard, so a store failure in one is kept and shown by the next guarded call of this run."""

    @functools.wraps(fn)
    def callback(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except STORE_FAILURES as exc:
            st.session_state[FAILURE_KEY] = note_failure(exc)
            return None

    return callback


def note_failure(exc: BaseException) -> StoreError:
    """The one-line StoreError for a failure of the store, logged; unless the store was merely
    busy, the next run opens it afresh."""
    error = store_error(exc, _store_url())
    log.warning("store failure (%s): %s", error.kind, error)
    forget_failed_store(error)
    return error


def _store_url() -> str | None:
    url = st.session_state.get("store_url")
    if url:
        return url
    try:
        return resolve_url()
    except StoreError:
        return None


def forget_failed_store(error: StoreError) -> None:
    """After a store failure: open the store afresh at the next run (not when merely busy)."""
    # A busy store is working: opening it afresh would only add connections.
    url = _store_url()
    if error.kind not in ("busy", "config") and url:
        cached.forget_store(url)


def _stop_with(error: StoreError) -> None:
    st.error(t("store.error", message=say(error.message)))
    st.button(t("store.retry"), key=RETRY_KEY, icon=":material/refresh:")
    st.stop()


def ensure_store() -> str:
    """Return the store URL once it is usable; otherwise show why in the page and stop."""
    require_settings()
    return guarded(_ensure_store)


def require_settings() -> None:
    """Stop the run with one line naming a setting (data_access/settings.py) that is not valid,
    before anything uses it."""
    try:
        settings.current().check()
    except settings.SettingError as exc:
        st.error(plain(say(exc.message)))
        st.stop()


def _ensure_store() -> str:
    url = resolve_url()
    if not cached.engine_open(url):  # this process's first run on the store
        _migrate_with_progress(url)
    engine = cached.get_engine(url)
    if cached.has_regions(url):
        cached.follow_store(url)
        return url
    if not is_default_store(url):
        st.warning(t("store.empty"))
        st.stop()
    with cached.seed_lock(url):
        cached.has_regions.clear()
        if not cached.has_regions(url):
            _seed_with_progress(engine)
            cached.clear_readers()
    return url


# The demo loader's steps (seed_data/loader.py says them in English, for its command line) as
# the first-start page shows them; a step it may add later shows as the general label.
_STEP = re.compile(r"(?P<name>[a-z][a-z ]*?)(?: (?P<count>[0-9,]+/[0-9,]+))?")
_STEPS = {
    "regions": "store.step.regions",
    "activities": "store.step.activities",
    "monthly reports": "store.step.reports",
    "indexes": "store.step.indexes",
    "done": "store.step.done",
    "demo data already present": "store.step.done",
}


def progress_label(step: str) -> str:
    """A demo-loader step in the user's language: 'activities 1,000/5,000' → 正在生成：活动记录
    1,000/5,000."""
    match = _STEP.fullmatch(step)
    key = _STEPS.get(match["name"], "store.step.other") if match else "store.step.other"
    count = match["count"] if match and match["count"] else ""
    return t("store.progress", step=t_text(key, count=count).strip())


def _migrate_with_progress(url: str) -> None:
    """This process's first opening of the store, with a banner and a bar through a migration
    if it needs one: after an upgrade of the program that can take minutes on a big store
    (indexes built over millions of records). Opened by cached.open_engine, not in the cached
    get_engine: what a cached function draws is replayed at every later call of it. If another
    server process is migrating meanwhile, the bar waits at 0 and the page opens when it is
    done."""
    shown: dict[str, Any] = {}

    def step(done: int, total: int) -> None:
        if not shown:
            shown["banner"] = st.empty()
            with shown["banner"].container():
                st.info(t("store.migrating"))
                shown["bar"] = st.progress(0.0)
            log.info("migrating the store: %d revisions", total)
        text = t("store.migrating_step", done=done, total=total)
        shown["bar"].progress(done / total, text=text)

    cached.open_engine(url, step)
    if shown:
        shown["banner"].empty()
        st.toast(t("store.migrated"), icon=":material/check_circle:")


def _seed_with_progress(engine) -> None:
    from seed_data.loader import seed_demo  # here: the demo generator costs 0.1 s at start

    # The banner and the bar live in one placeholder, emptied when the store is ready: the
    # sign-in form that follows shows alone, with a toast that the demo data is ready.
    banner = st.empty()
    with banner.container():
        st.info(t("store.preparing"))
        bar = st.progress(0.0, text=progress_label("regions"))

    def progress(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=progress_label(step))

    seed_demo(engine, progress=progress)
    log.info("demo data built in the default store")
    banner.empty()
    st.toast(t("store.ready"), icon=":material/check_circle:")
