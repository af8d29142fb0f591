"""备注 Notes on the pages: the list of a region's notes with the add, edit and delete forms
(through ui/writes.py), and the notes as marks on a trend chart (hover for the text).

Note text is what people typed: it is shown through the one escaper (ui/plain.py) in the page,
and as data (never markup) in a chart's tooltip, which Vega's tooltip handler shows as text.
The marks are layered here over the chart that ui/charts.py built, so its cached spec is read,
never changed.
"""

from __future__ import annotations

import calendar
from datetime import date

import streamlit as st

from data_access import cached, clock
from data_access.auth import PermissionDenied
from data_access.notes import TEXT_MAX, add_note, delete_note, edit_note
from data_access.periods import Period, month_label
from data_access.regions import RegionInfo
from data_access.registry import INDICATORS, PILLARS_BY_KEY
from ui.auth import signed_in
from ui.format import local_time
from ui.i18n import current_language, pick, say, t, t_text
from ui.plain import plain
from ui.writes import SIGNED_IN, write

MARKS_MAX = 60  # marks on one chart: the newest, so a city's chart stays readable
TOOLTIP_CHARS = 200  # a mark's hover text; the list shows the whole note
MARK_COLOR = "#7f8c8d"
NOTE_FIELD = "note"  # the tooltip's fields in the marks' own data
WHERE_FIELD = "where"


def _notes(url: str, region: RegionInfo, first: int, last: int, **options) -> list:
    account = signed_in()
    if account is None:
        return []
    try:
        return cached.notes(url, account.id, region.code, first, last, **options)
    except PermissionDenied:
        return []


# Marks on a trend chart


def mark_rows(notes: list, months: tuple[int, ...], month_col: str) -> list[dict]:
    """The marks' data: one row per note in the chart's months (the newest MARKS_MAX), with its
    month as the chart labels it and its text (cut for the hover) and where it was written."""
    shown = {m for m in months}
    rows = []
    for note in notes:
        month = note.on_day.year * 100 + note.on_day.month
        if month not in shown:
            continue
        text = note.text if len(note.text) <= TOOLTIP_CHARS else note.text[:TOOLTIP_CHARS] + "…"
        rows.append(
            {
                month_col: month_label(month),
                NOTE_FIELD: f"{note.on_day.isoformat()} {text}",
                WHERE_FIELD: note.region_name(current_language()),
            }
        )
    return rows[-MARKS_MAX:]


def layered(spec: dict, rows: list[dict], month_col: str) -> dict:
    """A trend chart's spec with the notes as dashed vertical rules over it (a new dict; the
    chart's own spec is left as built). Without notes, the spec itself."""
    if not rows:
        return spec
    base = {k: v for k, v in spec.items() if k not in ("$schema", "height", "width")}
    field = month_col.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")
    marks = {
        "data": {"values": rows},
        "mark": {"type": "rule", "strokeDash": [4, 3], "color": MARK_COLOR, "strokeWidth": 2},
        "encoding": {
            "x": {"field": field, "type": "ordinal"},
            "tooltip": [
                {"field": NOTE_FIELD, "type": "nominal", "title": t_text("brief.notes.mark")},
                {"field": WHERE_FIELD, "type": "nominal", "title": t_text("views.region")},
            ],
        },
    }
    out = {"layer": [base, marks]}
    for key in ("$schema", "height", "width"):
        if key in spec:
            out[key] = spec[key]
    return out


def with_marks(
    url: str,
    region: RegionInfo,
    period: Period,
    months: tuple[int, ...],
    spec: dict,
    month_col: str,
    pillar: str | None = None,
) -> dict:
    """The trend chart's spec with the notes of the region and the regions inside it (and,
    with `pillar`, only those about no pillar or that one) in the chart's months."""
    if not months:
        return spec
    notes = _notes(
        url, region, months[0], months[-1], with_children=True, with_ancestors=True, pillar=pillar
    )
    return layered(spec, mark_rows(notes, months, month_col), month_col)


# The list and the forms


def _about_options(pillar: str | None) -> dict[str, str]:
    options = {"": t_text("brief.notes.about_none")}
    pillars = [PILLARS_BY_KEY[pillar]] if pillar else list(PILLARS_BY_KEY.values())
    for p in pillars:
        options[f"p:{p.key}"] = pick(p.name_zh, p.name_en)
        for ind in INDICATORS:
            if ind.pillar == p.key:
                options[f"i:{ind.key}"] = f"{pick(p.short_zh, p.short_en)} · " + pick(
                    ind.name_zh, ind.name_en
                )
    return options


def _errors(errors) -> None:
    for error in errors:
        st.markdown(f":red[{plain(say(error.message))}]")


def _ask(name: str) -> None:
    st.session_state[name] = True


def _add_form(url: str, region: RegionInfo, period: Period, pillar: str | None) -> None:
    key = f"note_add_{region.code}_{pillar or ''}"
    opened = f"{key}_open"  # session state, not a widget's: the form stays open while in use
    if st.session_state.pop("_note_saved", None) == key:
        st.session_state.pop(f"{key}_text", None)  # saved: an empty box for the next note
        st.success(t("brief.notes.saved"))
    if not st.session_state.get(opened):
        # The form (a date, a box of every pillar and indicator, a text box) only when asked:
        # drawn on every run it was ≈ 8 % of a warm Overview's CPU (docs/performance.md).
        st.button(
            t("brief.notes.add"),
            key=f"{key}_ask",
            icon=":material/add:",
            on_click=_ask,
            args=(opened,),
        )
        return
    options = _about_options(pillar)
    with st.form(key, clear_on_submit=False):
        st.markdown(f"**{t('brief.notes.add')}**")
        year, month = divmod(period.end, 100)
        end = date(year, month, calendar.monthrange(year, month)[1])
        day = st.date_input(t("brief.notes.day"), value=min(clock.today(), end), key=f"{key}_day")
        about = st.selectbox(
            t("brief.notes.about"),
            list(options),
            index=list(options).index(f"p:{pillar}") if pillar else 0,
            format_func=options.__getitem__,
            key=f"{key}_about",
        )
        text = st.text_area(t("brief.notes.text"), max_chars=TEXT_MAX, key=f"{key}_text")
        row = st.container(horizontal=True)
        save = row.form_submit_button(t("brief.notes.save"))
        if row.form_submit_button(t("brief.notes.cancel"), type="tertiary"):
            st.session_state.pop(opened, None)
            st.rerun()
        if not save:
            return
    kind, _, what = about.partition(":")
    written = write(
        url,
        add_note,
        SIGNED_IN,
        region.code,
        day,
        text,
        pillar=what if kind == "p" else None,
        indicator=what if kind == "i" else None,
        now=clock.now(),
    )
    if not written.ok:
        st.error(written.error)
    elif not written.value.ok:
        _errors(written.value.errors)
    else:
        st.session_state.pop(opened, None)
        st.session_state["_note_saved"] = key
        st.rerun()


def _note(url: str, note, viewer: int | None, is_admin: bool) -> None:
    with st.container(border=True):
        st.caption(
            t(
                "brief.notes.by",
                author=note.author_name,
                day=note.on_day.isoformat(),
            )
            + " · "
            + plain(note.region_name(current_language()))
            + " · "
            + plain(local_time(note.updated_at or note.created_at))
        )
        st.markdown(plain(note.text))
        mine = viewer is not None and note.author_id == viewer
        if not (mine or is_admin):
            return
        left, right = st.columns(2)
        if mine:
            with left.popover(t("brief.notes.edit")), st.form(f"note_edit_{note.id}"):
                text = st.text_area(t("brief.notes.text"), value=note.text, max_chars=TEXT_MAX)
                if st.form_submit_button(t("brief.notes.save")):
                    written = write(url, edit_note, SIGNED_IN, note.id, text, now=clock.now())
                    if not written.ok:
                        st.error(written.error)
                    elif not written.value.ok:
                        _errors(written.value.errors)
                    else:
                        st.rerun()
        if right.button(t("brief.notes.delete"), key=f"note_delete_{note.id}", type="tertiary"):
            written = write(url, delete_note, SIGNED_IN, note.id, now=clock.now())
            if not written.ok:
                st.error(written.error)
            else:
                st.rerun()


def section(url: str, region: RegionInfo, period: Period, pillar: str | None = None) -> None:
    """The region's notes of the period (and those of the regions inside it), newest first, with
    the add form (behind its button) for whoever may write and edit/delete for the author
    (delete: admins too)."""
    account = signed_in()
    if account is None:
        return
    notes = _notes(url, region, period.start, period.end, with_children=True, pillar=pillar)
    with st.expander(f"{t('brief.notes')} ({len(notes)})", expanded=bool(notes)):
        if not notes:
            st.caption(t("brief.notes.none"))
        for note in reversed(notes):
            _note(url, note, account.id, account.role == "admin")
        _add_form(url, region, period, pillar)
