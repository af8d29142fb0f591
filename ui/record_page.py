"""The Record page's logic: saving exactly once, errors kept by the fields, record another."""

from __future__ import annotations

from uuid import uuid4

import streamlit as st

from data_access import cached
from data_access.activities import add_activity
from data_access.activity_log import get_activity
from data_access.db import run_read
from ui.activity_form import (
    activity_fields,
    clear_entry,
    collect,
    errors_by_field,
    keep_values,
    restore_values,
    show_summary,
)
from ui.auth import actor_id
from ui.i18n import t
from ui.plain import plain
from ui.writes import SIGNED_IN, write

P = "rec"
KEPT = ("type", "district", "street", "community", "grid", "compound", "date")


def record_another() -> None:
    """Start a new record keeping the region, type and date of the one just saved."""
    state = st.session_state
    restore_values(P, state.get("rec_kept", {}))
    clear_entry(P)
    state["rec_token"] = uuid4().hex
    for key in ("rec_saved", "rec_errors", "rec_duplicate"):
        state.pop(key, None)


def save(url: str, confirm: bool = False) -> None:
    """Save the form (callback of the Save button): exactly once per form token."""
    state = st.session_state
    data = collect(P)
    written = write(
        url, add_activity, data, state["rec_token"], actor=SIGNED_IN, confirm_duplicate=confirm
    )
    if not written.ok:
        state["rec_store_error"] = written.error
        return
    result = written.value
    state.pop("rec_store_error", None)
    state["rec_errors"] = result.errors
    state["rec_duplicate"] = result.other if result.status == "duplicate" else None
    if result.ok:
        state["rec_saved"] = result.activity_id
        state["rec_kept"] = keep_values(P, KEPT)


def page(url: str) -> None:
    """The Record page: the form, or the confirmation of what was just saved."""
    state = st.session_state
    # One token per filled-in form: every click, rerun or retry of this form sends the same one.
    state.setdefault("rec_token", uuid4().hex)
    st.title(t("activity.page.record"))
    if state.get("rec_saved"):
        record = run_read(cached.get_engine(url), get_activity, state["rec_saved"], actor_id())
        title = record["title"] if record else ""
        st.success(t("activity.saved", title=plain(title), id=state["rec_saved"]))
        if record:
            show_summary(url, record)
        st.button(t("activity.record_another"), type="primary", on_click=record_another)
        # Straight to the saved record: the log opens on it (and lists it first).
        st.page_link(
            "app_pages/activity_log.py",
            label=t("activity.open_log"),
            query_params={"record": str(state["rec_saved"])},
        )
        return

    errors = errors_by_field(state.get("rec_errors", []))
    if errors:
        st.error(t("activity.has_errors", n=len(errors)))
    if state.get("rec_store_error"):
        st.error(state["rec_store_error"])
    activity_fields(url, P, errors)
    duplicate = state.get("rec_duplicate")
    if duplicate:
        st.warning(t("activity.duplicate", id=duplicate["id"]))
        left, right = st.columns(2)
        left.button(t("activity.save_anyway"), on_click=save, args=(url,), kwargs={"confirm": True})
        right.button(t("activity.cancel"), on_click=state.pop, args=("rec_duplicate", None))
    else:
        st.button(t("activity.save"), type="primary", on_click=save, args=(url,), width="stretch")
