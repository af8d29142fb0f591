"""月报审核 The review queue: the month's reports of the regions the account reviews, each with
its status and its changes against last month; approve one or every submitted one at once,
return one with a comment; an administrator reopens an approved one with a reason."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import cached, clock, reports
from data_access.db import run_read
from data_access.periods import Period
from data_access.reports import (
    ReviewRow,
    approve_reports,
    get_report_form,
    list_review_queue,
    reopen_report,
    return_report,
)
from ui.auth import actor_id, signed_in
from ui.bootstrap import store_callback
from ui.exports import download_buttons
from ui.format import EMPTY, local_time, period_label
from ui.i18n import current_language, pick, t, t_text
from ui.monthly_report import (
    STATUSES,
    format_value,
    indicator_label,
    month_chooser,
    status_label,
)
from ui.writes import SIGNED_IN, write

P = "rv"
MESSAGE = f"{P}_message"


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def approve(url: str, month: int, region_ids: list[int]) -> None:
    """Approve these submitted reports (callback of "approve" and "approve all"). More than one
    part of them (APPROVE_PART, each committed on its own) shows a bar of the parts done."""
    n, bar = len(region_ids), None
    if n > reports.APPROVE_PART:  # read when called: a test makes the parts small
        bar = st.progress(0.0, text=t("report.review.approving", done=0, n=n))

    def progress(done: list[int]) -> None:
        bar.progress(len(done) / n, text=t("report.review.approving", done=len(done), n=n))

    written = write(
        url,
        approve_reports,
        SIGNED_IN,
        month,
        region_ids,
        clock.now(),
        progress=None if bar is None else progress,
    )
    if bar is not None:
        bar.empty()  # drawn by the callback, it would stay above the page for this whole run
    if written.committed:
        done = len(written.committed)
        _say("warning", t("report.review.approved_part", n=done, error=written.error))
    elif not written.ok:
        _say("error", written.error)
    else:
        _say("success", t("report.review.approved_n", n=len(written.value)))


def send_back(url: str, month: int, region_id: int, name: str) -> None:
    """Return one submitted report with the comment typed beside it (required)."""
    comment = (st.session_state.get(f"{P}_comment_{region_id}") or "").strip()
    if not comment:
        st.session_state[f"{P}_comment_missing"] = region_id
        return
    written = write(url, return_report, SIGNED_IN, region_id, month, comment, clock.now())
    if not written.ok:
        _say("error", written.error)
        return
    st.session_state[f"{P}_comment_{region_id}"] = ""
    _say("success", t("report.review.returned_one", region=name))


def reopen(url: str, month: int, region_id: int, name: str) -> None:
    """Reopen an approved report (administrators), with the reason typed beside it."""
    reason = (st.session_state.get(f"{P}_reason_{region_id}") or "").strip()
    if not reason:
        st.session_state[f"{P}_reason_missing"] = region_id
        return
    written = write(url, reopen_report, SIGNED_IN, region_id, month, reason, clock.now())
    if not written.ok:
        _say("error", written.error)
        return
    st.session_state[f"{P}_reason_{region_id}"] = ""
    _say("success", t("report.review.reopened", region=name))


def _changes_text(row: ReviewRow) -> str:
    return "；".join(
        f"{indicator_label(c.indicator_key)} {format_value(c.previous)}→{format_value(c.value)}"
        for c in row.changes
    )


def queue_frame(rows: list[ReviewRow]) -> pd.DataFrame:
    """The queue as a table: region, code, status, changes against last month, when, comment."""
    lang = current_language()
    return pd.DataFrame(
        [
            {
                t_text("report.review.col.region"): r.name(lang),
                t_text("report.review.col.code"): r.code,
                t_text("report.review.col.status"): status_label(r.status),
                t_text("report.review.col.changes"): _changes_text(r),
                t_text("report.review.col.submitted_at"): local_time(r.submitted_at)
                if r.submitted_at
                else "",
                t_text("report.review.col.comment"): r.comment or "",
            }
            for r in rows
        ],
        columns=[
            t_text(f"report.review.col.{c}")
            for c in ("region", "code", "status", "changes", "submitted_at", "comment")
        ],
    )


def _highlight_changes(frame: pd.DataFrame, status_col: str, changes_col: str):
    """Changed rows stand out (the reviewer's eye goes to them first)."""

    def style(row: pd.Series) -> list[str]:
        changed = bool(row[changes_col])
        return ["background-color: #fff3cd" if changed else "" for _ in row]

    return frame.style.apply(style, axis=1)


def detail_frame(url: str, row: ReviewRow, month: int) -> pd.DataFrame:
    """The selected report's every value beside last month's, with the change."""
    form = run_read(cached.get_engine(url), get_report_form, actor_id(), row.region_id, month)
    records = []
    for r in form.rows:
        value = None if r.prefilled else r.value
        change = (
            None
            if value is None or r.previous is None or value == r.previous
            else f"{value - r.previous:+g}"
        )
        records.append(
            {
                t_text("report.review.col.indicator"): indicator_label(r.indicator_key),
                t_text("report.review.col.previous"): format_value(r.previous),
                t_text("report.review.col.value"): format_value(value),
                t_text("report.review.col.change"): change or "",
            }
        )
    return pd.DataFrame(records)


def _detail(url: str, row: ReviewRow, month: int, is_admin: bool) -> None:
    lang = current_language()
    name = row.name(lang)
    st.markdown(
        "#### "
        + t(
            "report.review.detail",
            region=name,
            month=period_label(Period(month // 100, month % 100, 1)),
            status=status_label(row.status),
        )
    )
    if row.status == "not_started":
        st.caption(t("report.review.no_report"))
        return
    frame = detail_frame(url, row, month)
    change_col = t_text("report.review.col.change")
    st.dataframe(
        frame.style.apply(
            lambda r: ["background-color: #fff3cd" if r[change_col] else "" for _ in r], axis=1
        ),
        hide_index=True,
        placeholder=EMPTY,
        width="stretch",
    )
    if row.comment and row.status in ("returned", "draft"):
        st.caption(t("report.returned", comment=row.comment))
    if row.status == "submitted":
        missing = st.session_state.pop(f"{P}_comment_missing", None) == row.region_id
        st.text_area(t("report.review.comment"), key=f"{P}_comment_{row.region_id}", max_chars=500)
        if missing:
            st.markdown(f":red[{t('report.review.comment_required')}]")
        left, right = st.columns(2)
        left.button(
            t("report.review.approve"),
            key=f"{P}_approve_{row.region_id}",
            type="primary",
            on_click=store_callback(approve),
            args=(url, month, [row.region_id]),
            width="stretch",
        )
        right.button(
            t("report.review.return"),
            key=f"{P}_return_{row.region_id}",
            on_click=store_callback(send_back),
            args=(url, month, row.region_id, name),
            width="stretch",
        )
    elif row.status == "approved" and is_admin:
        missing = st.session_state.pop(f"{P}_reason_missing", None) == row.region_id
        st.text_input(
            t("report.review.reopen_reason"), key=f"{P}_reason_{row.region_id}", max_chars=500
        )
        if missing:
            st.markdown(f":red[{t('report.review.reason_required')}]")
        st.button(
            t("report.review.reopen"),
            key=f"{P}_reopen_{row.region_id}",
            on_click=store_callback(reopen),
            args=(url, month, row.region_id, name),
        )
    elif row.status != "submitted":
        st.caption(t("report.review.not_submitted"))


def _parent(url: str, account) -> int | None:
    """For reviewers above the street (a district's staff, administrators): which district or
    street's reports to show (None: the account's own queue)."""
    if account is None or account.scope_level not in ("city", "district"):
        return None
    cols = st.columns(2)
    parent = account.scope_region_id
    chosen = None
    levels = ("district", "street") if account.scope_level == "city" else ("street",)
    for col, level in zip(cols, levels, strict=False):
        options = cached.children_by_id(url, parent)
        names = {o["id"]: pick(o["name_zh"], o["name_en"]) for o in options}
        key = f"{P}_{level}"
        if st.session_state.get(key) not in names:
            st.session_state[key] = None
        picked = col.selectbox(
            t(f"activity.{level}"),
            list(names),
            key=key,
            index=None,
            format_func=names.__getitem__,
            placeholder=t_text("report.review.all"),
        )
        if picked is None:
            break
        chosen = parent = picked
    return chosen


def page(url: str) -> None:
    """The review page: month, counts, the queue, approve all; pick a report to review it."""
    st.title(t("report.page.review"))
    account = signed_in()
    month = month_chooser()
    parent = _parent(url, account)
    rows = run_read(cached.get_engine(url), list_review_queue, actor_id(), month, parent)
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(message[1])
    if not rows:
        st.info(t("report.review.nothing"))
        return
    st.caption(t("report.review.intro"))
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    st.markdown(t("report.review.counts", total=len(rows), **counts))
    submitted = [r.region_id for r in rows if r.status == "submitted"]
    if submitted:
        st.button(
            t("report.review.approve_all", n=len(submitted)),
            key=f"{P}_approve_all",
            type="primary",
            on_click=store_callback(approve),
            args=(url, month, submitted),
        )
    else:
        st.caption(t("report.review.none_submitted"))
    frame = queue_frame(rows)
    cols = frame.columns
    st.dataframe(
        _highlight_changes(frame, cols[2], cols[3]),
        hide_index=True,
        width="stretch",
        placeholder=EMPTY,
    )
    download_buttons(frame, t_text("report.review.export"), "report_review")
    lang = current_language()
    by_id = {r.region_id: r for r in rows}
    labels = {i: f"{r.name(lang)} · {status_label(r.status)}" for i, r in by_id.items()}
    if st.session_state.get(f"{P}_pick") not in by_id:
        st.session_state[f"{P}_pick"] = None
    picked = st.selectbox(
        t("report.review.pick"),
        list(by_id),
        key=f"{P}_pick",
        index=None,
        format_func=labels.__getitem__,
        placeholder=t_text("report.review.pick_placeholder"),
    )
    if picked is not None:
        _detail(url, by_id[picked], month, account is not None and account.role == "admin")
