"""需关注 and 进步最快 on the pages: the attention panel at the top of the Overview (each line
opens the page, region and period that shows it), the order control of the rankings (by level
or most improved), and the wall screen's two slides of them (HTML, every value escaped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st
from streamlit.errors import StreamlitAPIException

from data_access import cached, clock
from data_access.areas import ACTIVITIES, INDEX, RANK_ORDERS, rank_areas
from data_access.attention import RULES, rule_help
from data_access.periods import Period
from data_access.regions import RegionInfo
from data_access.registry import PARENT_LEVELS, PILLARS_BY_KEY, child_level
from ui.i18n import pick, say, t, t_text
from ui.plain import html_text as _e
from ui.plain import plain

if TYPE_CHECKING:  # the Overview orders plain rows (ordered_rows); a pillar page, a frame
    import pandas as pd

# Lines of the panel; the rest behind "n more", drawn only while open. Five: the most off at a
# glance above the scores, and each line is a button, the dearest element a run draws (twelve
# were a seventh of a warm Overview run's CPU: docs/performance.md, issue 15 session 13).
SHOWN = 5
SCREEN_SLIDES = ("attention", "improved")
_SCREEN_ROWS = 8
# Where each link target's page script is (the menu's url paths, app.py).
_SCRIPTS = {
    "overview": "app_pages/overview.py",
    "activity-log": "app_pages/activity_log.py",
    "report-review": "app_pages/report_review.py",
} | {key: f"app_pages/{key}.py" for key in PILLARS_BY_KEY}


def _today() -> str:
    return clock.today().isoformat()


def items(url: str, region: RegionInfo, period: Period) -> tuple:
    """What needs attention in the region and period today (cached)."""
    return cached.attention(url, region.code, str(period), _today())


def _open(item) -> None:
    """Show the item's region (and period, where it is one the filters offer) on its page."""
    st.session_state["region"] = item.link.region_code
    if item.link.page != "report-review":  # whose link names the month due, not a period
        st.session_state["period"] = item.link.period
    try:
        st.switch_page(_SCRIPTS.get(item.link.page, _SCRIPTS["overview"]))
    except StreamlitAPIException:  # a page outside this account's menu
        st.toast(t("brief.attention.cannot_open"), icon="⚠️")


def _rules_popover() -> None:
    rules = st.popover(
        t("brief.attention.rules"), icon=":material/help:", key="attention_rules", on_change="rerun"
    )
    if rules.open:  # drawn only while open: a closed popover is one element a run
        rules.markdown(
            "\n".join(
                [
                    t("brief.attention.rules_intro"),
                    "",
                    *(f"- **{plain(say(r.name))}**：{plain(say(rule_help(r)))}" for r in RULES),
                ]
            )
        )


def _line(item, n: int) -> None:
    # One element a line: the line is its own button (tertiary: it reads as a link), not a row of
    # text and a button (three elements a line, for up to twelve lines on every Overview run).
    label = t(
        "brief.attention.line",
        what=say(item.what),
        region=say(item.region_name),
        off=say(item.off_text),
    )
    if st.button(label, key=f"attention_open_{n}", type="tertiary", width="content"):
        _open(item)


def panel(url: str, region: RegionInfo, period: Period) -> None:
    """The attention panel: the list, most off first, each line opening its page, and the rules
    on a help popover."""
    found = items(url, region, period)
    with st.container(border=True):
        with st.container(
            horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"
        ):
            st.markdown(f"#### {t('brief.attention.count', n=len(found))}", width="content")
            _rules_popover()
        if not found:
            st.caption(t("brief.attention.none"))
            return
        for n, item in enumerate(found[:SHOWN]):
            _line(item, n)
        if len(found) > SHOWN:
            # The rest drawn only while open: hidden lines would cost every run.
            more = st.expander(
                t("brief.attention.more", n=len(found) - SHOWN),
                key=f"attention_more_{region.code}_{period}",
                on_change="rerun",
            )
            if more.open:
                with more:
                    for n, item in enumerate(found[SHOWN:], start=SHOWN):
                        _line(item, n)


# 进步最快: the order control of the rankings


def order_control(key: str) -> str:
    """The ranking's order: 'level' or 'change' (most improved)."""
    labels = {"level": t_text("brief.order.level"), "change": t_text("brief.order.change")}
    chosen = st.segmented_control(
        t("brief.order"),
        list(RANK_ORDERS),
        format_func=labels.__getitem__,
        default="level",
        key=f"order_{key}",
    )
    return chosen or "level"


def _order(
    url: str, region: RegionInfo, period: Period, measure: str, key: str
) -> tuple[str, dict[str, int], dict[str, float | None]]:
    """The order control drawn, and the order it asks for: 'level' or 'change', each region
    code's place, and its change (most improved; areas.rank_areas)."""
    by = order_control(key)
    if by == "level":  # the children's indexes the page has read already; no year earlier
        kids = list(cached.child_indexes(url, region.code, str(period)))
        ranked = rank_areas(kids, [], measure, by)
    else:
        ranked = cached.ranked_children(url, region.code, str(period), measure, by, _today())
    order = {r.region.code: n for n, r in enumerate(ranked)}
    change = {r.region.code: None if r.change is None else round(r.change, 2) for r in ranked}
    return by, order, change


def _change_column(value_col: str) -> str:
    return f"{t_text('brief.change')} · {value_col}"


def ordered(
    url: str,
    region: RegionInfo,
    period: Period,
    frame: pd.DataFrame,
    code_col: str,
    measure: str,
    value_col: str,
    key: str,
) -> tuple[pd.DataFrame, str]:
    """The ranking frame with its order control drawn: by level (the frame by `value_col`, best
    first) or most improved (with a change column, areas.rank_areas); returns the frame in that
    order and the column to draw."""
    by, order, change = _order(url, region, period, measure, key)
    shown = frame.assign(_order=frame[code_col].map(order)).sort_values(
        "_order", na_position="last", kind="stable"
    )
    shown = shown.drop(columns="_order")
    if by == "level":
        return shown, value_col
    column = _change_column(value_col)
    shown.insert(shown.columns.get_loc(value_col) + 1, column, shown[code_col].map(change))
    st.caption(t("brief.improved.caption"))
    return shown, column


def ordered_rows(
    url: str,
    region: RegionInfo,
    period: Period,
    rows: list[dict],
    code_col: str,
    measure: str,
    value_col: str,
    key: str,
) -> tuple[list[dict], str]:
    """`ordered` for plain rows (dicts, no pandas: the Overview's ranking): the rows in the
    chosen order (regions not ranked last), with the change column after `value_col` when
    ordered by most improved, and the column to draw."""
    by, order, change = _order(url, region, period, measure, key)
    last = len(order)
    shown = sorted(rows, key=lambda row: order.get(row[code_col], last))  # stable
    if by == "level":
        return shown, value_col
    column = _change_column(value_col)
    with_change = []
    for row in shown:
        out = {}
        for name, value in row.items():
            out[name] = value
            if name == value_col:
                out[column] = change.get(row[code_col])
        with_change.append(out)
    st.caption(t("brief.improved.caption"))
    return with_change, column


# The measures of the Overview's ranking, in the order of its columns (ui/views.ranking_rows).
MEASURES = (INDEX, *PILLARS_BY_KEY, ACTIVITIES)


# The wall screen's slides


def screen_data(url: str, region_code: str, period: str) -> dict:
    """What the two slides show, added to the screen's snapshot."""
    return {
        "attention": cached.attention(url, region_code, period, _today()),
        "improved": cached.ranked_children(url, region_code, period, INDEX, "change", _today()),
    }


def _attention_slide(snap: dict) -> str:
    found = snap.get("attention") or ()
    rows = "".join(
        f"<tr><td>{_e(say(i.what))}</td><td>{_e(say(i.region_name))}</td>"
        f"<td>{_e(say(i.off_text))}</td></tr>"
        for i in found[:_SCREEN_ROWS]
    )
    body = rows or f'<tr><td colspan="3">{_e(t_text("brief.attention.none"))}</td></tr>'
    return (
        f'<div class="hs-section-title">{_e(t_text("screen.attention"))}</div>'
        f'<table class="hs-latest">{body}</table>'
    )


def _improved_slide(snap: dict) -> str:
    region = snap["region"]
    level = child_level(region.level) if region.level in PARENT_LEVELS else "community"
    ranked = [r for r in snap.get("improved") or () if r.change is not None][:16]
    rows = "".join(
        f'<div class="hs-rank"><span class="hs-rank-n">{n}</span>'
        f'<span class="hs-rank-name">{_e(pick(r.region.name_zh, r.region.name_en))}</span>'
        f'<span></span><span class="hs-rank-score">{r.change:+.1f}</span></div>'
        for n, r in enumerate(ranked, start=1)
    )
    title = t_text("screen.improved", level=t_text(f"screen.level.{level}"))
    return f'<div class="hs-section-title">{_e(title)}</div><div class="hs-ranks">{rows}</div>'


def slide_html(slide: str, snap: dict) -> str:
    """One of this module's wall-screen slides (SCREEN_SLIDES) as HTML."""
    return _attention_slide(snap) if slide == "attention" else _improved_slide(snap)
