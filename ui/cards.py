"""Indicator cards: metrics against the article's figures, grouped by pillar."""

from __future__ import annotations

import streamlit as st

from data_access.periods import Period
from data_access.regions import RegionInfo
from data_access.registry import PILLARS, Indicator, indicators_of, policy_figures
from ui import format as fmt
from ui import report_status
from ui.i18n import pick, t, t_text
from ui.plain import plain


def _delta(ind: Indicator, value: float | None, before: float | None) -> str | None:
    if value is None or before is None:
        return None
    if ind.kind == "rate":
        return f"{value - before:+.2f} pp"
    if before == 0:
        return None
    return f"{(value - before) / abs(before):+.1%}"


def metric(
    ind: Indicator, value: float | None, before: float | None, as_of: str | None = None
) -> None:
    """One indicator as a metric with its change, the article's figure and, for a standing
    figure, the month it stands at."""
    with st.container(border=True):
        st.metric(
            pick(ind.name_zh, ind.name_en),
            fmt.indicator_value(ind, value),
            delta=_delta(ind, value, before),
            delta_color="normal" if ind.higher_is_better else "inverse",
            help=ind.quote_zh,
        )
        article = fmt.article_value(ind)
        if article:
            st.caption(t("overview.article", value=article))
        if as_of:
            st.caption(plain(as_of))


def overview(
    region: RegionInfo,
    period: Period,
    values: dict[str, float | None],
    last_year: dict[str, float | None],
) -> None:
    """The overview: one section per pillar with its headline indicators."""
    st.markdown(f"### {t('overview.headline')}")
    st.caption(t("overview.caption"))
    notes = report_status.as_of_notes(region, period)
    for pillar in PILLARS:
        st.markdown(f"#### {pick(pillar.name_zh, pillar.name_en)}")
        indicators = indicators_of(pillar.key)
        headline = [i for i in indicators if i.headline]
        for col, ind in zip(st.columns(4), headline, strict=False):
            with col:
                metric(ind, values.get(ind.key), last_year.get(ind.key), notes.get(ind.key))
        # Drawn only while open: five hidden tables would cost every run of the page.
        more = st.expander(t("overview.more_pillar"), key=f"more_{pillar.key}", on_change="rerun")
        if more.open:
            more.dataframe(
                [
                    {
                        t("overview.indicator"): pick(i.name_zh, i.name_en),
                        t("overview.value"): fmt.indicator_value(i, values.get(i.key)),
                        t("overview.article", value="").rstrip("：: "): fmt.article_value(i) or "—",
                        t_text("report.col.as_of"): notes.get(i.key, ""),
                    }
                    for i in indicators
                ],
                hide_index=True,
                width="stretch",
            )
    st.markdown(f"#### {t('overview.programme')}")
    st.caption(
        " · ".join(
            f"{pick(f.name_zh, f.name_en)}: {fmt.compact(f.value)}{pick(f.unit, '')}"
            for f in policy_figures()
        )
    )
