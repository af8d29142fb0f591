"""The activity form's widgets, shared by the Record page and the activity log's edit panel.

Every widget has a key `<prefix>_<field>`, so that its value survives a rerun, an error, or
being hidden for a moment (`keep_values`/`restore_values`)."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from typing import Any

import streamlit as st

from data_access import cached, clock
from data_access.registry import (
    ACTIVITY_TYPES,
    ACTIVITY_TYPES_BY_KEY,
    DATA_LEVELS,
    MEASURE_KEYS,
    MEASURES_BY_KEY,
    PILLARS,
    PILLARS_BY_KEY,
)
from data_access.validation import EARLIEST_DATE, FieldError
from ui.filters import scope_root
from ui.i18n import current_language, pick, say, t, t_text
from ui.plain import plain

REGION_KEYS = ("district", "street", "community", "grid", "compound")
TEXT_KEYS = ("title", "description", "location")


def type_label(key: str | None) -> str:
    """An activity type's name with its pillar (组织 · 党建联席会议)."""
    if key is None:
        return t("activity.choose")
    at = ACTIVITY_TYPES_BY_KEY[key]
    pillar = PILLARS_BY_KEY[at.pillar]
    return f"{pick(pillar.short_zh, pillar.short_en)} · {pick(at.name_zh, at.name_en)}"


def measure_label(key: str) -> str:
    """A measure's name with its unit, in the active language."""
    m = MEASURES_BY_KEY[key]
    return t_text(
        "activity.measure_label", name=pick(m.name_zh, m.name_en), unit=pick(m.unit_zh, m.unit_en)
    )


def _show_error(errors: dict[str, FieldError], name: str) -> None:
    if name in errors:
        st.markdown(f":red[{plain(say(errors[name].message))}]")


def _region_select(
    label: str,
    key: str,
    options: list[dict],
    optional: bool,
    disabled: bool = False,
    none_label: str | None = None,
) -> int | None:
    ids: list[int | None] = [None, *(o["id"] for o in options)]
    names = {o["id"]: pick(o["name_zh"], o["name_en"]) for o in options}
    names[None] = none_label or (t("activity.none") if optional else t("activity.choose"))
    if st.session_state.get(key) not in ids:
        st.session_state[key] = None
    return st.selectbox(
        label,
        ids,
        key=key,
        format_func=names.__getitem__,
        disabled=disabled,
        placeholder=names[None],
    )


def _fix_to_scope(url: str, prefix: str) -> set[str]:
    # An account scoped to a district, street or community works there: its levels are preset.
    root = scope_root(url)
    chain = [*cached.ancestors(url, root.code), root]
    fixed = set()
    for region in chain:
        if region.level in DATA_LEVELS[1:]:
            st.session_state[f"{prefix}_{region.level}"] = region.id
            fixed.add(region.level)
    return fixed


def region_cascade(
    url: str,
    prefix: str,
    errors: dict[str, FieldError],
    grid: bool = True,
    none_label: str | None = None,
    container=None,
):
    """District → street → community (→ grid → compound) selects; returns the chosen ids. The
    levels down to the viewer's scope are set to it and cannot be changed."""
    city = cached.city(url)
    fixed = _fix_to_scope(url, prefix)
    chosen: dict[str, int | None] = {}
    cols = container.columns(3) if container is not None else [nullcontext()] * 3
    parent: int | None = city.id
    for col, level in zip(cols, DATA_LEVELS[1:], strict=True):
        with col:
            chosen[level] = parent = _region_select(
                t(f"activity.{level}"),
                f"{prefix}_{level}",
                cached.children_by_id(url, parent) if parent else [],
                False,
                disabled=parent is None or level in fixed,
                none_label=none_label,
            )
    community = chosen["community"]
    _show_error(errors, "community_id")
    if grid:
        chosen["grid"] = _region_select(
            t("activity.grid"),
            f"{prefix}_grid",
            cached.children_by_id(url, community) if community else [],
            True,
            disabled=community is None,
        )
        _show_error(errors, "grid_id")
        chosen["compound"] = _region_select(
            t("activity.compound"),
            f"{prefix}_compound",
            cached.compounds(url, community, chosen["grid"]) if community else [],
            True,
            disabled=community is None,
        )
        _show_error(errors, "compound_id")
    return chosen


def activity_fields(url: str, prefix: str, errors: dict[str, FieldError]) -> dict[str, Any]:
    """Draw the form's fields; return what they hold, keyed like validate_activity expects."""
    options: list[str | None] = [None, *(a.key for a in _types_by_pillar())]
    if st.session_state.get(f"{prefix}_type") not in options:
        st.session_state[f"{prefix}_type"] = None
    # Labels are made now, in this run's language, not whenever the widget asks.
    labels = {key: type_label(key) for key in options}
    type_key = st.selectbox(
        t("activity.type"),
        options,
        key=f"{prefix}_type",
        format_func=labels.__getitem__,
        placeholder=labels[None],
    )
    _show_error(errors, "type_key")
    chosen = region_cascade(url, prefix, errors)
    # A text field, not st.date_input: the browser's date field turns 2025-02-30 into 02-28 and
    # Streamlit replaces a date out of its bounds by the default (today) while the field still
    # shows what was typed. Here the server sees exactly what is shown and validate_activity
    # refuses what is not a date of the allowed range, with the reason beside the field.
    today = clock.today()
    st.session_state.setdefault(f"{prefix}_date", today.isoformat())
    st.text_input(
        t("activity.date"),
        key=f"{prefix}_date",
        max_chars=20,
        placeholder=t("activity.date_placeholder"),
        help=t(
            "activity.date_help",
            example=today.isoformat(),
            slashed=f"{today.year}/{today.month}/{today.day}",
            compact=today.strftime("%Y%m%d"),
            first=EARLIEST_DATE.isoformat(),
        ),
    )
    _show_error(errors, "occurred_on")
    st.text_input(t("activity.title"), key=f"{prefix}_title", max_chars=100)
    _show_error(errors, "title")
    st.text_area(t("activity.description"), key=f"{prefix}_description", max_chars=2000, height=100)
    _show_error(errors, "description")
    st.text_input(t("activity.location"), key=f"{prefix}_location", max_chars=200)
    _show_error(errors, "location")
    measures: dict[str, Any] = {}
    if type_key is None:
        st.caption(t("activity.pick_type_first"))
    else:
        st.markdown(f"**{t('activity.measures')}**")
        for key in ACTIVITY_TYPES_BY_KEY[type_key].measures:
            integer = MEASURES_BY_KEY[key].integer
            state_key = f"{prefix}_m_{key}"
            st.session_state.setdefault(state_key, None)
            # Float fields shown with %g even for counts: an integer field would round 1.5 to 1
            # in the browser; this one sends 1.5 as typed and validation refuses it. No bounds
            # either: the browser would clamp to them; validation says what the bound is.
            measures[key] = st.number_input(
                measure_label(key),
                key=state_key,
                step=1.0 if integer else 0.5,
                format="%g",
            )
            _show_error(errors, key)
    return {
        "type_key": type_key,
        "community_id": chosen["community"],
        "grid_id": chosen.get("grid"),
        "compound_id": chosen.get("compound"),
        "occurred_on": st.session_state.get(f"{prefix}_date"),
        "title": st.session_state.get(f"{prefix}_title"),
        "description": st.session_state.get(f"{prefix}_description"),
        "location": st.session_state.get(f"{prefix}_location"),
        **measures,
    }


def collect(prefix: str) -> dict[str, Any]:
    """The form's values from session state (what callbacks see of the latest input)."""
    state = st.session_state
    type_key = state.get(f"{prefix}_type")
    measures = ACTIVITY_TYPES_BY_KEY[type_key].measures if type_key in ACTIVITY_TYPES_BY_KEY else ()
    return {
        "type_key": type_key,
        "community_id": state.get(f"{prefix}_community"),
        "grid_id": state.get(f"{prefix}_grid"),
        "compound_id": state.get(f"{prefix}_compound"),
        "occurred_on": state.get(f"{prefix}_date"),
        **{key: state.get(f"{prefix}_{key}") for key in TEXT_KEYS},
        **{key: state.get(f"{prefix}_m_{key}") for key in measures},
    }


def show_summary(url: str, record: dict[str, Any]) -> None:
    """A stored record as label: value lines."""
    sep = "：" if current_language() == "zh" else ": "
    lines = [f"**{label}**{sep}{plain(value)}" for label, value in record_summary(url, record)]
    st.markdown("  \n".join(lines))


def _types_by_pillar():
    order = {p.key: i for i, p in enumerate(PILLARS)}
    return sorted(ACTIVITY_TYPES, key=lambda a: order[a.pillar])


def load_record(prefix: str, record: dict[str, Any]) -> None:
    """Put a stored record's values into the form's widgets."""
    state = st.session_state
    state[f"{prefix}_type"] = record["type_key"]
    state[f"{prefix}_district"] = record["district_id"]
    state[f"{prefix}_street"] = record["street_id"]
    state[f"{prefix}_community"] = record["community_id"]
    state[f"{prefix}_grid"] = record["grid_id"]
    state[f"{prefix}_compound"] = record["compound_id"]
    occurred = record["occurred_on"]
    state[f"{prefix}_date"] = occurred.isoformat() if isinstance(occurred, date) else occurred
    for key in TEXT_KEYS:
        state[f"{prefix}_{key}"] = record.get(key) or ""
    for key in MEASURE_KEYS:
        value = record.get(key)
        state[f"{prefix}_m_{key}"] = None if value is None else float(value)


def keep_values(prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    """Copy some widgets' values (they are dropped while their widgets are not drawn)."""
    return {name: st.session_state.get(f"{prefix}_{name}") for name in names}


def restore_values(prefix: str, values: dict[str, Any]) -> None:
    """Put copied values back into their widgets."""
    for name, value in values.items():
        st.session_state[f"{prefix}_{name}"] = value


def clear_entry(prefix: str) -> None:
    """Empty the fields of one activity (title, texts, figures), keeping region, type, date."""
    for key in TEXT_KEYS:
        st.session_state[f"{prefix}_{key}"] = ""
    for key in MEASURE_KEYS:
        st.session_state[f"{prefix}_m_{key}"] = None


def errors_by_field(errors: list[FieldError]) -> dict[str, FieldError]:
    """The first error of each field."""
    found: dict[str, FieldError] = {}
    for error in errors:
        found.setdefault(error.field, error)
    return found


def record_summary(url: str, record: dict[str, Any]) -> list[tuple[str, str]]:
    """A stored record as (label, value) pairs in the active language."""
    place = [cached.region_by_id(url, record[f"{level}_id"]) for level in REGION_KEYS[:3]]
    if record.get("grid_id"):
        place.append(cached.region_by_id(url, record["grid_id"]))
    rows = [
        (t("activity.type"), type_label(record["type_key"])),
        (t("activity.community"), " / ".join(pick(p.name_zh, p.name_en) for p in place if p)),
        (t("activity.date"), str(record["occurred_on"])),
        (t("activity.title"), record["title"]),
    ]
    if record.get("description"):
        rows.append((t("activity.description"), record["description"]))
    if record.get("location"):
        rows.append((t("activity.location"), record["location"]))
    for key in ACTIVITY_TYPES_BY_KEY[record["type_key"]].measures:
        value = record.get(key)
        rows.append((measure_label(key), "" if value is None else f"{value:g}"))
    return rows


def display_value(url: str, name: str, value: Any) -> str:
    """A record field's value as people read it (names for ids and types)."""
    if value is None or value == "":
        return "—"
    if name == "type_key":
        return type_label(value) if value in ACTIVITY_TYPES_BY_KEY else str(value)
    if name in ("community_id", "grid_id", "street_id", "district_id"):
        region = cached.region_by_id(url, int(value))
        return pick(region.name_zh, region.name_en) if region else str(value)
    if name == "compound_id":
        return f"#{value}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def field_title(name: str) -> str:
    """A record field's label in the active language."""
    if name in MEASURES_BY_KEY:
        return measure_label(name)
    key = {
        "type_key": "activity.type",
        "community_id": "activity.community",
        "grid_id": "activity.grid",
        "compound_id": "activity.compound",
        "occurred_on": "activity.date",
        "title": "activity.title",
        "description": "activity.description",
        "location": "activity.location",
    }[name]
    return t(key)
