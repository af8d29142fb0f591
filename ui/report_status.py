"""The monthly report on the leaders' pages: how complete the chosen period's reports are in
the region in view (late ones listed with their street, exportable), the month each standing
figure stands at ("截至 2025-11", marked when some parts are older), and a switch showing what
would change if submitted-but-unapproved values were counted.

The pages (ui/views.py, ui/cards.py) call the functions here; each reads the store itself, so
that those pages' own code stays as it was."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import streamlit as st

from data_access import cached, clock
from data_access.attention import completeness_month
from data_access.periods import Period, month_label
from data_access.regions import RegionInfo
from data_access.registry import INDICATORS, INDICATORS_BY_KEY, PerPopulation, Reported
from data_access.reports import Completeness
from data_access.stocks import Stock
from ui import cards
from ui import format as fmt
from ui.exports import download_buttons
from ui.i18n import current_language, pick, t, t_text
from ui.monthly_report import status_label

# The reporting levels below each level whose completeness a leader sees, most numerous first.
LEVELS_BELOW = {
    "city": ("community", "street", "district"),
    "district": ("community", "street"),
    "street": ("community",),
    "community": ("community",),
}
if TYPE_CHECKING:  # a frame only where a table is drawn: the Overview's run needs no pandas
    import pandas as pd

STANDING = {i.key for i in INDICATORS if isinstance(i.computation, Reported)}


def _url() -> str:
    return st.session_state["store_url"]


def stocks(
    region: RegionInfo, period: Period, include_submitted: bool = False
) -> Mapping[str, Stock]:
    """The region's standing figures at the period's end, each with its as-of month (cached:
    read on every run of the Overview and the pillar pages)."""
    return cached.reported_stocks(_url(), region.code, str(period), include_submitted)


def _stock_of(key: str, found: dict[str, Stock]) -> Stock | None:
    # A figure per residents of a standing figure stands where that figure stands.
    if key in found:
        return found[key]
    computation = INDICATORS_BY_KEY[key].computation
    if isinstance(computation, PerPopulation):
        return found.get(computation.indicator)
    return None


def is_standing(key: str) -> bool:
    """Whether the indicator is a standing figure (or one per residents of a standing figure)."""
    computation = INDICATORS_BY_KEY[key].computation
    return key in STANDING or (
        isinstance(computation, PerPopulation) and computation.indicator in STANDING
    )


def as_of_note(key: str, found: dict[str, Stock], period: Period) -> str | None:
    """ "截至 2025-11" for a standing figure, with "some parts older" when its oldest part is
    older than the period's last month; "未填报" when no region inside ever reported it; None
    for a figure that is not a standing one."""
    if not is_standing(key):
        return None
    stock = _stock_of(key, found)
    if stock is None:
        return t_text("report.never_reported")
    # Every part is carried forward to the period's last month: the total stands there.
    note = t_text("report.as_of", month=month_label(period.end))
    if stock.as_of < period.end:
        older = t_text(
            "report.as_of_older", period=month_label(period.end), oldest=month_label(stock.as_of)
        )
        note = f"{note} · ⚠ {older}"
    return note


def as_of_notes(region: RegionInfo, period: Period) -> Mapping[str, str]:
    """The as-of note of every standing figure of the region for the period, by indicator key
    (made once per cached figures and language: read-only)."""
    return cached.derived(_as_of_notes, stocks(region, period), period, current_language())


def _as_of_notes(found: Mapping[str, Stock], period: Period, lang: str) -> Mapping[str, str]:
    notes = {}
    for ind in INDICATORS:
        note = as_of_note(ind.key, found, period)
        if note is not None:
            notes[ind.key] = note
    return MappingProxyType(notes)


def with_as_of(frame: pd.DataFrame, region: RegionInfo, period: Period, scored) -> pd.DataFrame:
    """The pillar page's indicator table with an as-of column (the rows are `scored`, in
    order: the pillar's indicator scores)."""
    notes = as_of_notes(region, period)
    out = frame.copy()
    out.insert(
        min(3, len(out.columns)),
        t_text("report.col.as_of"),
        [notes.get(s.key, "") for s in scored],
    )
    return out


def completeness_frame(done: Completeness) -> pd.DataFrame:
    """The late regions of a completeness count: region, code, street (parent), status."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                t_text("report.completeness.col.region"): pick(r.name_zh, r.name_en),
                t_text("report.completeness.col.code"): r.code,
                t_text("report.completeness.col.street"): pick(
                    r.parent_name_zh or "", r.parent_name_en or ""
                ),
                t_text("report.completeness.col.status"): status_label(r.status),
            }
            for r in done.late
        ],
        columns=[
            t_text(f"report.completeness.col.{c}") for c in ("region", "code", "street", "status")
        ],
    )


def completeness_counts(region: RegionInfo, month: int) -> list[Completeness]:
    """The month's completeness in the region for each reporting level below it (cached)."""
    url = _url()
    return [
        cached.completeness(url, region.code, month, level)
        for level in LEVELS_BELOW.get(region.level, ())
    ]


def completeness_panel(region: RegionInfo, period: Period) -> None:
    """Completeness of the reports of the period's last month due (attention.completeness_month)
    in the region, late ones listed."""
    month = completeness_month(period, clock.today())
    title = cards.heading_html(t_text("report.completeness.title"))
    counts = [c for c in completeness_counts(region, month) if c.total]
    if not counts:
        cards.section(title)
        return
    # The heading, the counts and the caption as one element (ui/cards.section), not a
    # heading, columns, metrics and a caption: fewer elements a run.
    shown = [
        cards.count_card(
            t_text(
                "report.completeness.metric_label",
                level=t_text(f"report.levels.{done.level}"),
                month=month_label(month),
            ),
            f"{fmt.number(done.approved)} / {fmt.number(done.total)}",
            t_text(
                "report.completeness.metric",
                approved=fmt.number(done.approved),
                total=fmt.number(done.total),
                level=t_text(f"report.levels.{done.level}"),
                month=month_label(month),
            ),
        )
        for done in counts
    ]
    main = counts[0]
    level = t_text(f"report.levels.{main.level}")
    all_done = t_text("report.completeness.all_done", level=level)
    done_note = [] if main.late else [cards.caption_html(f"✓ {all_done}", True)]
    cards.section(title, cards.grid_html(shown), *done_note)
    if not main.late:
        return
    # Drawn only while open: a city's list of late communities (a thousand rows, formatted)
    # cost more than the rest of the Overview's run together.
    late = st.expander(
        t("report.completeness.late", level=level, n=fmt.number(len(main.late))),
        key=f"report_late_{region.code}_{month}",
        on_change="rerun",
    )
    if late.open:
        frame = completeness_frame(main)
        with late:
            fmt.show_table(frame)
            download_buttons(
                frame, f"{t_text('report.completeness.export')}-{month_label(month)}", "report_late"
            )


def what_if_frame(
    approved: dict[str, Stock], with_submitted: dict[str, Stock], keys: list[str]
) -> pd.DataFrame:
    """The standing figures that would change if submitted values were counted."""
    rows = []
    for key in keys:
        before, after = approved.get(key), with_submitted.get(key)
        a = before.value if before else None
        b = after.value if after else None
        if a == b:
            continue
        ind = INDICATORS_BY_KEY[key]
        rows.append(
            {
                t_text("report.what_if.col.indicator"): pick(ind.name_zh, ind.name_en),
                t_text("report.what_if.col.approved"): a,
                t_text("report.what_if.col.with_submitted"): b,
                t_text("report.what_if.col.change"): None
                if a is None or b is None
                else round(b - a, 2),
            }
        )
    import pandas as pd

    return pd.DataFrame(
        rows,
        columns=[
            t_text(f"report.what_if.col.{c}")
            for c in ("indicator", "approved", "with_submitted", "change")
        ],
    )


def what_if(region: RegionInfo, period: Period, pillar_key: str | None = None) -> None:
    """A switch: which standing figures would change if submitted values were counted."""
    key = f"what_if_{pillar_key or 'all'}"
    if not st.toggle(t("report.what_if"), key=key, help=t_text("report.what_if.help")):
        return
    keys = [
        i.key
        for i in INDICATORS
        if i.key in STANDING and (pillar_key is None or i.pillar == pillar_key)
    ]
    frame = what_if_frame(
        stocks(region, period), stocks(region, period, include_submitted=True), keys
    )
    if frame.empty:
        st.caption(t("report.what_if.none"))
        return
    fmt.show_table(frame)
    download_buttons(frame, t_text("report.what_if.export"), f"what_if_{pillar_key or 'all'}")


def leader_section(region: RegionInfo, period: Period, pillar_key: str | None = None) -> None:
    """What the Overview and each pillar page show of the monthly report."""
    completeness_panel(region, period)
    what_if(region, period, pillar_key)
