"""Filters shared by all pages, kept in the URL query string so that a copied link reopens the
same view. Each filter's value lives in session state under its name; the widget has its own key
(widgets' state is dropped when a page without them runs) and the URL is rewritten every run."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import streamlit as st

from data_access import cached, clock, periods
from data_access.periods import Coverage, Period, PeriodError, parse_period
from data_access.regions import RegionInfo
from data_access.registry import DATA_LEVELS
from ui.auth import SCOPE_KEY
from ui.format import period_label
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language, t, use_language
from ui.plain import plain


def _from_url(name: str, options: Sequence[str], default: str, label: str) -> None:
    """On a session's first run, take the filter's value from the URL (bad: default + notice)."""
    if name in st.session_state:
        return
    value = st.query_params.get(name)
    if value is None or value in options:
        st.session_state[name] = value if value is not None else default
    else:
        st.session_state[name] = default
        st.toast(t("filter.bad_value", name=label, value=plain(value[:40])), icon="⚠️")


def synced_select(
    name: str,
    label: str,
    options: Sequence[str],
    default: str,
    format_func: Callable[[str], str],
    container,
    widget: str = "selectbox",
) -> str:
    """A select box (or segmented control) whose value lives in session state under `name` and in
    the URL query string; returns the value."""
    _from_url(name, options, default, label)
    if st.session_state[name] not in options:
        st.session_state[name] = default
    widget_key = f"_w_{name}"
    st.session_state[widget_key] = st.session_state[name]

    def on_change() -> None:
        st.session_state[name] = st.session_state[widget_key]

    # Labels are made now, in this run's language, not whenever the widget asks.
    labels = {option: format_func(option) for option in options}
    format_func = labels.__getitem__

    if widget == "segmented":
        container.segmented_control(
            label,
            options,
            key=widget_key,
            format_func=format_func,
            on_change=on_change,
            selection_mode="single",
        )
    else:
        container.selectbox(
            label, options, key=widget_key, format_func=format_func, on_change=on_change
        )
    value = st.session_state[name]
    st.query_params[name] = value
    return value


def language_switch() -> str:
    """The language switch (sidebar); returns the active language."""
    _from_url("lang", LANGUAGES, DEFAULT_LANGUAGE, "lang")
    use_language(st.session_state["lang"])
    lang = synced_select(
        "lang",
        t("lang.label"),
        LANGUAGES,
        DEFAULT_LANGUAGE,
        lambda code: t(f"lang.{code}"),
        st.sidebar,
        widget="segmented",
    )
    use_language(lang)
    return lang


def period_options(url: str) -> list[str]:
    """The selectable periods: the years, quarters and months that have data, newest first
    (the current year alone in a store with no activity yet)."""
    months = cached.months_with_data(url)
    return periods.period_options(months) if months else [str(current_period())]


def current_period() -> Period:
    """The period a board opens on: this year to date, by the product's clock."""
    return periods.current_year(clock.today())


def default_period(url: str) -> str:
    """The current period, or where it has no data yet the latest year that has."""
    options = period_options(url)
    current = str(current_period())
    return current if current in options else options[0]


def period_coverage(url: str, period: Period) -> Coverage:
    """How much of the period has happened by today and what it is fairly compared with."""
    return cached.coverage(url, period, clock.today())


def fallback_note(url: str, period: Period) -> str | None:
    """One line when the period shown is the fallback for a current period without data."""
    current = current_period()
    if str(period) == str(current) or str(period) != default_period(url):
        return None
    return t("filter.fallback", current=period_label(current), shown=period_label(period))


def period_filter(url: str) -> Period:
    """The period selector (sidebar); returns the chosen period."""
    options = period_options(url)
    default = default_period(url)
    lang = current_language()
    return parse_period(
        synced_select(
            "period",
            t("filter.period"),
            options,
            default,
            lambda value: _period_text(value, lang),
            st.sidebar,
        )
    )


@functools.lru_cache(maxsize=1024)
def _period_text(value: str, lang: str) -> str:
    # A period's words depend on it and the language only: made once per process, not for
    # each of the fifty options on every run. (`lang` is the active language, a key here.)
    try:
        return period_label(parse_period(value))
    except PeriodError:
        return value


def scope_root(url: str) -> RegionInfo:
    """The top region this viewer may see: the account's or the screen link's scope (the city when
    no one is signed in, as in tests of single pages)."""
    code = st.session_state.get(SCOPE_KEY)
    found = cached.region(url, code) if code else None
    return found or cached.city(url)


def in_scope(url: str, code: str, root: RegionInfo) -> bool:
    """Whether the region with this code is the root or lies below it."""
    return code == root.code or root.code in {a.code for a in cached.ancestors(url, code)}


def region_filter(url: str) -> RegionInfo:
    """The region in view (URL `region`, a region code within the viewer's scope; a bad one falls
    back to the scope's top with a notice), with a sidebar box to go down one level."""
    root = scope_root(url)
    if "region" not in st.session_state:
        code = st.query_params.get("region")
        st.session_state["region"] = root.code
        if code is not None and code != root.code:
            found = cached.region(url, code)
            if found and found.level in DATA_LEVELS and in_scope(url, code, root):
                st.session_state["region"] = code
            else:
                st.toast(t("filter.bad_value", name=t("views.region"), value=code[:40]), icon="⚠️")
    code = st.session_state["region"]
    found = cached.region(url, code) if in_scope(url, code, root) else None
    region = found or root
    st.session_state["region"] = region.code
    st.query_params["region"] = region.code
    kids = cached.children(url, region.code)
    if kids:
        names = {k.code: k.name(current_language()) for k in kids}
        st.session_state["_w_region_child"] = None

        def on_change() -> None:
            chosen = st.session_state["_w_region_child"]
            if chosen:
                st.session_state["region"] = chosen

        st.sidebar.selectbox(
            t("views.drill_to"),
            list(names),
            index=None,
            key="_w_region_child",
            format_func=names.__getitem__,
            placeholder=t("views.drill_placeholder"),
            on_change=on_change,
        )
    return region


def go_to_region(code: str) -> None:
    """Show another region (drill down or up); takes effect on the next run."""
    st.session_state["region"] = code
