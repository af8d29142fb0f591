"""Getting the store ready before any page runs: connect, migrate, and on first start seed."""

from __future__ import annotations

import logging

import streamlit as st

from data_access import cached
from data_access.db import StoreError, is_default_store, resolve_url
from seed_data.loader import seed_demo
from ui.i18n import t

log = logging.getLogger(__name__)


def ensure_store() -> str:
    """Return the store URL once it is usable; otherwise show why in the page and stop."""
    try:
        url = resolve_url()
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
    except StoreError as exc:
        st.error(t("store.error", message=str(exc)))
        st.stop()


def _seed_with_progress(engine) -> None:
    st.info(t("store.preparing"))
    bar = st.progress(0.0)

    def progress(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=t("store.progress", step=step))

    seed_demo(engine, progress=progress)
    log.info("demo data built in the default store")
    bar.empty()
    st.success(t("store.ready"))
