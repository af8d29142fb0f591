"""The activity log's pieces: the filter bar, the table, exports, the record panel."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from data_access import cached, clock
from data_access.activities import delete_activity, restore_activity, update_activity
from data_access.activity_log import (
    ActivityFilter,
    export_activities,
    get_activity,
    list_history,
    page_key,
)
from data_access.auth import can_write
from data_access.db import StoreError, run_read
from data_access.registry import ACTIVITY_TYPES, ACTIVITY_TYPES_BY_KEY, MEASURE_KEYS, PILLARS
from data_access.validation import EARLIEST_DATE, FIELDS, parse_date
from ui import format as fmt
from ui.activity_form import (
    activity_fields,
    collect,
    display_value,
    errors_by_field,
    field_title,
    load_record,
    measure_label,
    region_cascade,
    type_label,
)
from ui.auth import actor_id, signed_in
from ui.bootstrap import store_callback
from ui.exports import About, to_csv, to_xlsx
from ui.filters import scope_root
from ui.format import local_time
from ui.i18n import current_language, pick, say, t, t_text
from ui.writes import SIGNED_IN, write

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
E = "edit"


ORDERS = ("entered", "date")


def filter_bar(url: str) -> dict[str, Any]:
    """The log's filters (region, pillar, type, text, its own dates: every period unless
    narrowed, not the dashboards' period), deleted, and the order (the latest entered first,
    so that what was just saved is at the top); returns ActivityFilter fields, limited to the
    signed-in viewer's scope."""
    box = st.container()
    chosen = region_cascade(
        url, "logf", {}, grid=False, none_label=t("activity.all"), container=box
    )
    left, middle, right = st.columns(3)
    pillars = [None, *(p.key for p in PILLARS)]
    # Labels are made now, in this run's language, not whenever the widget asks.
    pillar_names = {None: t("activity.all")} | {p.key: pick(p.name_zh, p.name_en) for p in PILLARS}
    pillar = left.selectbox(
        t("log.pillar"),
        pillars,
        key="logf_pillar",
        format_func=pillar_names.__getitem__,
        placeholder=t("activity.all"),
    )
    types = [None, *(a.key for a in ACTIVITY_TYPES if pillar in (None, a.pillar))]
    if st.session_state.get("logf_type") not in types:
        st.session_state["logf_type"] = None
    type_names = {None: t("activity.all")} | {k: type_label(k) for k in types if k}
    type_key = middle.selectbox(
        t("activity.type"),
        types,
        key="logf_type",
        format_func=type_names.__getitem__,
        placeholder=t("activity.all"),
    )
    text = right.text_input(t("log.text"), key="logf_text", max_chars=100)
    today = clock.today()
    first, last, order_box = st.columns(3)
    start = first.date_input(
        t("log.from"),
        value=None,
        min_value=EARLIEST_DATE,
        max_value=today,
        key="logf_from",
        format="YYYY-MM-DD",
    )
    end = last.date_input(
        t("log.to"),
        value=None,
        min_value=EARLIEST_DATE,
        max_value=today,
        key="logf_to",
        format="YYYY-MM-DD",
    )
    orders = {key: t(f"log.order.{key}") for key in ORDERS}
    order = order_box.selectbox(
        t("log.order"), list(orders), key="logf_order", format_func=orders.__getitem__
    )
    deleted = st.toggle(t("log.deleted"), key="logf_deleted")
    level, region_id = None, None
    for name in ("community", "street", "district"):
        if chosen.get(name):
            level, region_id = name, chosen[name]
            break
    return {
        "start": start,
        "end": end,
        "level": level,
        "region_id": region_id,
        "pillar": pillar,
        "type_key": type_key,
        "text": text or None,
        "deleted": deleted,
        "viewer": actor_id(),
        "order": order,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    types = (ACTIVITY_TYPES_BY_KEY[k] for k in frame["type_key"])
    frame["type_key"] = [pick(a.name_zh, a.name_en) for a in types]
    frame["source"] = [
        t(f"activity.source.{s}") if s in ("form", "import", "demo") else s for s in frame["source"]
    ]
    names = {
        "id": t("activity.col.id"),
        "occurred_on": t("activity.col.occurred_on"),
        "type_key": t("activity.col.type"),
        "district": t("activity.col.district"),
        "street": t("activity.col.street"),
        "community": t("activity.col.community"),
        "grid": t("activity.col.grid"),
        "title": t("activity.col.title"),
        "source": t("activity.col.source"),
        "created_at": t("activity.col.created_at"),
        "updated_at": t("activity.col.updated_at"),
        "version": t("activity.col.version"),
        **{m: measure_label(m) for m in MEASURE_KEYS},
    }
    # Measures no listed record uses would only widen the table.
    unused = [m for m in MEASURE_KEYS if frame[m].isna().all()]
    frame = frame.drop(columns=unused)
    return frame.rename(columns=names)


def table(url: str, flt: dict[str, Any]) -> int | None:
    """The paged table; returns the id of the selected record, if any."""
    signature = repr(sorted(flt.items()))
    if st.session_state.get("log_signature") != signature:
        st.session_state["log_signature"] = signature
        st.session_state["log_page"] = 1
        st.session_state["log_edges"] = {}
    page = st.session_state.setdefault("log_page", 1)
    edges = st.session_state.setdefault("log_edges", {})
    try:
        rows, total = cached.activity_page(
            url, flt, page, PAGE_SIZE, current_language(), _seek(edges, page)
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if page > pages:
            st.session_state["log_page"] = page = pages
            rows, total = cached.activity_page(url, flt, page, PAGE_SIZE, current_language())
    except StoreError as exc:
        st.error(t("store.error", message=say(exc.message)))
        return None
    if rows:
        _remember_edges(edges, page, rows, flt["order"])
    st.caption(t("log.total", n=f"{total:,}", page=page, pages=pages))
    if not rows:
        st.info(t("log.empty"))
        return opened_record()
    st.caption(t("log.open_hint"))
    event = st.dataframe(
        fmt.table(_frame(rows)),  # "—" for an empty cell (a record without a grid), never None
        hide_index=True,
        placeholder=fmt.EMPTY,
        on_select="rerun",
        selection_mode="single-row",
        key=f"log_table_{page}",
        width="stretch",
    )
    prev, info, nxt = st.columns([1, 2, 1])
    prev.button(
        "‹", key="log_prev", disabled=page <= 1, on_click=_go, args=(page - 1,), width="stretch"
    )
    info.number_input(
        t("log.page"), min_value=1, max_value=pages, key="log_page", label_visibility="collapsed"
    )
    nxt.button(
        "›", key="log_next", disabled=page >= pages, on_click=_go, args=(page + 1,), width="stretch"
    )
    selected = event.selection.rows if event and event.selection else []
    if selected:
        st.query_params["record"] = str(rows[selected[0]]["id"])
    return opened_record()


def opened_record() -> int | None:
    """The record opened in the URL (?record=ID), so that a link reopens it."""
    value = st.query_params.get("record", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _close() -> None:
    st.query_params.pop("record", None)
    for key in [k for k in st.session_state if str(k).startswith("log_table_")]:
        del st.session_state[key]
    st.session_state.pop("edit_id", None)


def _go(page: int) -> None:
    st.session_state["log_page"] = page


# The pages of the log this session has shown, for the filter shown: page number → the log
# order's keys of its first and last record, so that the page before or after one of them is
# read from its edge (a seek at any depth, data_access.activity_log.list_activities) and shows
# the records next to those seen, even when new ones were entered since.
EDGES_KEPT = 200


def _seek(edges: dict[int, tuple], page: int) -> tuple[str, tuple] | None:
    if page == 1:
        return None  # the newest records, whatever was entered since
    if page - 1 in edges:
        return ("after", edges[page - 1][1])
    if page + 1 in edges:
        return ("before", edges[page + 1][0])
    return None


def _remember_edges(edges: dict[int, tuple], page: int, rows: list[dict], order: str) -> None:
    edges.pop(page, None)
    edges[page] = (page_key(rows[0], order), page_key(rows[-1], order))
    while len(edges) > EDGES_KEPT:
        del edges[next(iter(edges))]


def export_frame(url: str, flt: dict[str, Any], lang: str) -> pd.DataFrame:
    """The filtered records as the exports write them (at most EXPORT_LIMIT, newest first)."""
    rows = run_read(
        cached.get_engine(url), export_activities, ActivityFilter(**flt), EXPORT_LIMIT, lang
    )
    return _frame(rows)


def export_about(url: str, flt: dict[str, Any], lang: str) -> About:
    """What a download of the log is: its title, the region filtered on (else the viewer's
    scope), the dates filtered on, made now; in the file's name and above its table."""
    chosen = cached.region_by_id(url, flt["region_id"]) if flt.get("region_id") else None
    region = (chosen or scope_root(url)).name(lang)
    start, end = flt.get("start"), flt.get("end")
    if start and end:
        dates = t_text("export.dates.range", start=start.isoformat(), end=end.isoformat())
    elif start or end:
        which = "from" if start else "to"
        dates = t_text(f"export.dates.{which}", start=str(start), end=str(end))
    else:
        dates = t_text("export.dates.all")
    return About(t_text("activity.page.log"), region, dates, clock.now())


def exports(url: str, flt: dict[str, Any]) -> None:
    """CSV and Excel downloads of the filtered records, made when clicked (by the one writer of
    every export, which neutralises formulas), saying what they are of and when they were made."""
    lang = current_language()
    about = export_about(url, flt, lang)
    left, right = st.columns(2)
    left.download_button(
        t("log.export_csv"),
        lambda: to_csv(export_frame(url, flt, lang), about),
        file_name=about.file_name("csv"),
        mime="text/csv",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        t("log.export_xlsx"),
        lambda: to_xlsx(export_frame(url, flt, lang), about),
        file_name=about.file_name("xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
        on_click="ignore",
    )
    st.caption(t("log.export_note", n=f"{EXPORT_LIMIT:,}"))


def _open(url: str, activity_id: int) -> dict[str, Any] | None:
    # data_access answers None alike for an unknown id and one outside the viewer's scope.
    record = run_read(cached.get_engine(url), get_activity, activity_id, actor_id())
    state = st.session_state
    if record is not None:
        load_record(E, record)
        state["edit_id"] = activity_id
        state["edit_version"] = record["version"]
        state["edit_original"] = record
    for key in ("edit_errors", "edit_conflict", "edit_message", "edit_duplicate"):
        state.pop(key, None)
    return record


def _write(url: str, fn, *args: Any, **kwargs: Any):
    """Run a write as the signed-in account; a refusal or a store failure becomes a message."""
    written = write(url, fn, *args, actor=SIGNED_IN, **kwargs)
    if not written.ok:
        st.session_state["edit_message"] = ("error", written.error)
    return written.value


# Callbacks run outside the page's guard: a store failure in their reads is kept and shown by
# the next guarded call (ui.bootstrap.store_callback), a failed write by `write` itself.
@store_callback
def _save(url: str, version: int, confirm: bool = False) -> None:
    state = st.session_state
    result = _write(
        url,
        update_activity,
        state["edit_id"],
        collect(E),
        version,
        confirm_duplicate=confirm,
    )
    if result is None:
        return
    state["edit_errors"] = result.errors
    state.pop("edit_duplicate", None)
    if result.status == "saved":
        state["edit_version"] = result.version
        state["edit_original"] = run_read(
            cached.get_engine(url), get_activity, state["edit_id"], actor_id()
        )
        state.pop("edit_conflict", None)
        state["edit_message"] = ("success", t("log.updated", version=result.version))
    elif result.status == "conflict":
        state["edit_conflict"] = result.other
    elif result.status == "duplicate":
        state["edit_duplicate"] = result.other
    elif result.status == "not_found":
        state["edit_message"] = ("error", t("log.not_found"))


@store_callback
def _take_theirs(url: str) -> None:
    other = st.session_state.pop("edit_conflict")
    _open(url, other["id"])


@store_callback
def _delete(url: str, restore: bool = False) -> None:
    state = st.session_state
    fn = restore_activity if restore else delete_activity
    result = _write(url, fn, state["edit_id"], state["edit_version"])
    if result is None:
        return
    if result.status == "conflict":
        state["edit_conflict"] = result.other
        return
    if result.ok:
        _open(url, state["edit_id"])
        key = "log.restored" if restore else "log.deleted_done"
        state["edit_message"] = ("success", t(key, id=state["edit_id"]))
    else:
        state["edit_message"] = ("error", t("log.not_found"))


def record_panel(url: str, activity_id: int) -> None:
    """View, edit, delete or restore one record, with its history."""
    state = st.session_state
    if state.get("edit_id") != activity_id and _open(url, activity_id) is None:
        st.error(t("log.no_access", id=activity_id))
        return
    original = state["edit_original"]
    with st.container(border=True):
        st.subheader(t("log.record", id=activity_id))
        message = state.get("edit_message")
        if message:
            getattr(st, message[0])(message[1])
        if original.get("deleted_at"):
            st.warning(t("log.is_deleted", at=original["deleted_at"].replace("T", " ")))
            viewer = signed_in()
            if viewer is not None and viewer.role == "admin":  # only administrators restore
                st.button(
                    t("log.restore"),
                    on_click=_delete,
                    args=(url,),
                    kwargs={"restore": True},
                    key="edit_restore",
                )
        elif can_write(signed_in()):
            _edit_form(url)
        with st.expander(t("log.history")):
            history(url, activity_id)
        st.button(t("log.close"), on_click=_close, key="edit_close")


def _edit_form(url: str) -> None:
    state = st.session_state
    errors = errors_by_field(state.get("edit_errors", []))
    if errors:
        st.error(t("activity.has_errors", n=len(errors)))
    conflict = state.get("edit_conflict")
    if conflict:
        conflict_view(url, conflict)
    activity_fields(url, E, errors)
    duplicate = state.get("edit_duplicate")
    if duplicate:
        st.warning(t("activity.duplicate", id=duplicate["id"]))
        st.button(
            t("activity.save_anyway"),
            on_click=_save,
            args=(url, state["edit_version"]),
            kwargs={"confirm": True},
            key="edit_dup",
        )
    if not conflict:
        st.button(
            t("log.save_changes"),
            type="primary",
            on_click=_save,
            args=(url, state["edit_version"]),
            key="edit_save",
        )
    with st.popover(t("log.delete")):
        st.write(t("log.delete_confirm"))
        st.button(t("log.delete"), on_click=_delete, args=(url,), key="edit_delete", type="primary")


def conflict_view(url: str, other: dict[str, Any]) -> None:
    """What the other person saved against what this user typed, and the two ways out."""
    state = st.session_state
    st.error(t("log.conflict", version=other["version"]))
    mine = collect(E)
    original = state["edit_original"]
    rows = []
    for name in FIELDS:
        theirs_value = other.get(name)
        mine_value = mine.get(name)
        if name == "occurred_on" and parse_date(mine_value) is not None:
            mine_value = parse_date(mine_value).isoformat()  # 2025/6/1 is the same day
        if mine_value == "":
            mine_value = None
        if theirs_value != original.get(name) or (
            mine_value != theirs_value and (mine_value is not None or theirs_value is not None)
        ):
            label = field_title(name)
            rows.append(
                {
                    t("log.conflict.field"): label,
                    t("log.conflict.theirs"): display_value(url, name, theirs_value),
                    t("log.conflict.mine"): display_value(url, name, mine_value),
                }
            )
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder=fmt.EMPTY)
    left, right = st.columns(2)
    left.button(
        t("log.conflict.take_theirs"),
        on_click=_take_theirs,
        args=(url,),
        key="edit_take_theirs",
        width="stretch",
    )
    right.button(
        t("log.conflict.keep_mine"),
        on_click=_keep_mine,
        args=(url, other["version"]),
        key="edit_keep_mine",
        width="stretch",
    )


def _keep_mine(url: str, their_version: int) -> None:
    # Overwriting is the user's explicit choice after seeing the other change, never silent.
    st.session_state.pop("edit_conflict", None)
    _save(url, their_version)


def history(url: str, activity_id: int) -> None:
    """The record's audit trail: who did what, when, and which fields changed."""
    entries = run_read(cached.get_engine(url), list_history, activity_id, actor_id())
    if not entries:
        st.caption(t("log.history.none"))
        return
    for entry in reversed(entries):
        who = (
            t("log.history.account", id=entry["account_id"])
            if entry["account_id"]
            else t("log.history.someone")
        )
        line = t(
            "log.history.entry",
            at=local_time(entry["at"]),  # audit times are UTC
            action=t(f"log.action.{entry['action']}"),
            who=who,
        )
        changed = _changed(entry)
        if changed:
            line += " · " + t("log.history.changed", fields=", ".join(changed))
        st.markdown(f"- {line}")


def _changed(entry: dict[str, Any]) -> list[str]:
    before, after = entry["before"], entry["after"]
    if not before or not after or entry["action"] != "update":
        return []
    out = []
    for name in FIELDS:
        if before.get(name) != after.get(name):
            out.append(field_title(name))
    return out
