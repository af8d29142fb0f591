"""月报 The monthly report form: this month's standing figures of the account's own region,
grouped by pillar, pre-filled with last month's values; save a draft, submit, saved once.

Every widget has a key `rep_<indicator>`; the form's values are put into the widgets once per
(region, month, version) loaded, so that what a person types survives reruns and errors."""

from __future__ import annotations

from datetime import date

import streamlit as st

from data_access import cached, clock
from data_access.attention import report_deadline
from data_access.auth import can_write
from data_access.db import run_read
from data_access.periods import Period, month_label, month_period
from data_access.registry import INDICATORS_BY_KEY, PILLARS
from data_access.reports import (
    ReportError,
    ReportForm,
    ReportInvalid,
    ReportRow,
    get_report_form,
    save_report,
)
from data_access.validation import FieldError
from ui.auth import actor_id, signed_in
from ui.bootstrap import store_callback
from ui.filters import synced_select
from ui.format import period_label
from ui.i18n import current_language, pick, say, t, t_text
from ui.plain import plain
from ui.writes import SIGNED_IN, write

P = "rep"
STATUSES = ("not_started", "draft", "submitted", "returned", "approved")
# How far back the month chooser goes: two years of reports, the span of the demo city.
MONTHS_BACK = 24


def current_month() -> int:
    """This month (yyyymm) in the users' time zone, by the product's clock."""
    return clock.this_month()


def month_options(latest: int | None = None) -> list[str]:
    """The months a report can be chosen for, newest (this month) first, as 2025-11."""
    latest = latest or current_month()
    last = Period(latest // 100, latest % 100, 1)
    return [str(last.shift(-i)) for i in range(MONTHS_BACK + 1)]


UNSENT = ("not_started", "draft", "returned")


def opening_month(last_month_status: str | None, today: date) -> int:
    """The month the form opens on when none is chosen: last month while its report is unsent
    and not yet due (the first days of a month are when it is filled in), else this month."""
    if last_month_status in UNSENT and today <= report_deadline(last_month()):
        return last_month()
    return clock.this_month()


def last_month() -> int:
    """The month before this one (yyyymm), by the product's clock."""
    return month_period(clock.this_month()).shift(-1).start


def month_chooser(container=None, default: int | None = None) -> int:
    """The month select box (URL `month`), `default` (else this month) when none is chosen;
    returns yyyymm."""
    options = month_options()

    def label(value: str) -> str:
        year, month = value.split("-")
        return period_label(Period(int(year), int(month), 1))

    first = month_label(default) if default is not None else options[0]
    chosen = synced_select("month", t("report.month"), options, first, label, container or st)
    year, month = chosen.split("-")
    return int(year) * 100 + int(month)


def status_label(status: str) -> str:
    """A report status in words (未填报 … 已通过)."""
    return t_text(f"report.status.{status}")


def indicator_label(key: str) -> str:
    """An indicator's name with its unit."""
    ind = INDICATORS_BY_KEY[key]
    unit = pick(ind.unit_zh, ind.unit_en)
    name = pick(ind.name_zh, ind.name_en)
    return t_text("report.field_label", name=name, unit=unit) if unit else name


def format_value(value: float | None) -> str:
    """A reported value as typed: 5, 2.5; — for none."""
    return "—" if value is None else f"{value:g}"


def _state_key(key: str) -> str:
    return f"{P}_{key}"


def _load(form: ReportForm) -> None:
    """Put the form's values (this month's saved ones, else last month's) into the widgets."""
    state = st.session_state
    if (state.get(f"{P}_loaded") or (None, None))[:2] != (form.region.id, form.month):
        for key in ("errors", "warnings", "message", "last"):
            state.pop(f"{P}_{key}", None)  # another month's messages
    for row in form.rows:
        state[_state_key(row.indicator_key)] = None if row.value is None else float(row.value)
    state[f"{P}_loaded"] = (form.region.id, form.month, form.version)


def _read_form(url: str, region_id: int, month: int):
    return run_read(cached.get_engine(url), get_report_form, actor_id(), region_id, month)


def _opening_month(url: str, region_id: int) -> int | None:
    """opening_month for the account's region, read only while no month is chosen yet."""
    if "month" in st.session_state or "month" in st.query_params:
        return None
    status = _read_form(url, region_id, last_month()).status
    return opening_month(status, clock.today())


def save(url: str, region_id: int, month: int, submit: bool) -> None:
    """Save the form as a draft or submit it (callback): once for what is shown, whatever clicks
    follow, and only over the version the person saw (expected_version)."""
    state = st.session_state
    loaded = state.get(f"{P}_loaded")
    if loaded is None or loaded[:2] != (region_id, month):
        return
    keys = state.get(f"{P}_keys", ())
    values = {key: state.get(_state_key(key)) for key in keys}
    last = state.get(f"{P}_last")
    # The second click of a double click (or a click after a save that changed nothing) finds
    # the same values already saved in the same way: it repeats the answer, it saves nothing.
    if last is not None and last[0] == (region_id, month, loaded[2], submit) and last[1] == values:
        return
    for key in ("errors", "warnings", "message", "conflict"):
        state.pop(f"{P}_{key}", None)
    try:
        written = write(
            url,
            save_report,
            SIGNED_IN,
            region_id,
            month,
            values,
            submit=submit,
            expected_version=loaded[2],
            now=clock.now(),
            raising=(ReportInvalid, ReportError),
        )
    except ReportInvalid as exc:
        state[f"{P}_errors"] = list(exc.errors)
        return
    except ReportError as exc:
        if exc.kind == "conflict":
            state[f"{P}_conflict"] = True
            state.pop(f"{P}_loaded", None)  # load what is stored now
        else:
            state[f"{P}_message"] = ("error", t("report.refused", message=say(exc.message)))
        return
    if not written.ok:
        state[f"{P}_message"] = ("error", written.error)
        return
    result = written.value
    state[f"{P}_warnings"] = list(result.warnings)
    done = "report.submitted_done" if submit else "report.draft_saved"
    state[f"{P}_message"] = ("success", t(done, version=result.version))
    state[f"{P}_loaded"] = (region_id, month, result.version)
    state[f"{P}_last"] = ((region_id, month, result.version, submit), values)
    cached.clear_readers()


def _show_field_error(errors: dict[str, FieldError], key: str) -> None:
    if key in errors:
        st.markdown(f":red[{plain(say(errors[key].message))}]")


def _field(row: ReportRow, errors: dict[str, FieldError], warned: dict, locked: bool) -> None:
    key = row.indicator_key
    st.number_input(
        indicator_label(key),
        key=_state_key(key),
        # Float fields shown with %g: an integer field would round 1.5 to 1 in the browser; this
        # one sends 1.5 as typed and save_report refuses it for a count, beside the field.
        step=1.0,
        format="%g",
        disabled=locked,
        help=pick(row.definition_zh, row.definition_en) or None,
    )
    if row.previous is None:
        st.caption(t("report.no_last_month"))
    else:
        badge = f":blue-badge[{t('report.prefilled_badge')}] " if row.prefilled else ""
        last = t(
            "report.from_last_month",
            month=month_label(row.previous_month),
            value=format_value(row.previous),
        )
        st.caption(f"{badge}{last}")
    _show_field_error(errors, key)
    if key in warned:
        st.markdown(f":orange[{plain(warned[key])}]")


def _by_field(items: list[FieldError]) -> dict[str, FieldError]:
    found: dict[str, FieldError] = {}
    for item in items:
        found.setdefault(item.field, item)
    return found


def lang() -> str:
    """The active language (short name for the messages of this module)."""
    return current_language()


def page(url: str) -> None:
    """The Monthly report page: the month, the region's form and its state, the buttons."""
    st.title(t("report.page.form"))
    account = signed_in()
    if account is None or not can_write(account):
        st.info(t("report.leader_no_write"))
        return
    month = month_chooser(default=_opening_month(url, account.scope_region_id))
    form = _read_form(url, account.scope_region_id, month)
    region_name = form.region.name(lang())
    st.subheader(
        t(
            "report.region_line",
            region=region_name,
            month=period_label(Period(month // 100, month % 100, 1)),
            status=status_label(form.status),
        )
    )
    if not form.rows:
        st.info(t("report.nothing_to_report", region=region_name))
        return
    state = st.session_state
    if state.get(f"{P}_loaded") != (form.region.id, form.month, form.version):
        _load(form)
    state[f"{P}_keys"] = tuple(r.indicator_key for r in form.rows)
    _status_banner(form)
    if state.pop(f"{P}_conflict", None):
        st.warning(t("report.conflict", version=form.version))
    message = state.get(f"{P}_message")
    if message:
        getattr(st, message[0])(message[1])
    errors = _by_field(state.get(f"{P}_errors", []))
    if errors:
        st.error(t("report.has_errors", n=len(errors)))
    warned = {w.field: say(w.message) for w in state.get(f"{P}_warnings", [])}
    if warned:
        lines = "\n".join(f"- {plain(indicator_label(k))}：{plain(m)}" for k, m in warned.items())
        st.warning(f"{t('report.warnings')}\n\n{lines}")
    locked = not form.editable
    if not locked:
        st.caption(t("report.intro"))
    for pillar in PILLARS:
        rows = [r for r in form.rows if r.pillar == pillar.key]
        if not rows:
            continue
        title = t("report.pillar_count", pillar=pick(pillar.name_zh, pillar.name_en), n=len(rows))
        st.markdown(f"#### {title}")
        cols = st.columns(2)
        for i, row in enumerate(rows):
            with cols[i % 2]:
                _field(row, errors, warned, locked)
    if locked:
        return
    left, right = st.columns(2)
    left.button(
        t("report.save_draft"),
        key=f"{P}_save_draft",
        on_click=store_callback(save),
        args=(url, form.region.id, month, False),
        width="stretch",
    )
    right.button(
        t("report.submit"),
        key=f"{P}_submit",
        type="primary",
        on_click=store_callback(save),
        args=(url, form.region.id, month, True),
        width="stretch",
    )


def _status_banner(form: ReportForm) -> None:
    if form.status == "approved":
        st.success(t("report.approved_locked"))
    elif form.status == "returned":
        st.warning(t("report.returned", comment=form.comment or ""))
    elif form.status == "submitted":
        st.info(t("report.submitted_waiting"))
