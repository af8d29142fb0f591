"""Indicator cards: metrics with a fair change, the target (or the article's figure where it is
comparable), grouped by pillar."""

from __future__ import annotations

import streamlit as st

from data_access.periods import Coverage, Period
from data_access.regions import RegionInfo
from data_access.registry import (
    PILLARS,
    Indicator,
    counts_activities,
    indicators_of,
    policy_figures,
)
from ui import format as fmt
from ui import report_status
from ui.i18n import pick, t, t_text
from ui.plain import plain

# The year the article's figures (data_access/reference/figures.csv) describe: they are the
# city's results of that year, comparable with nothing else.
ARTICLE_YEAR = 2025


def article_comparable(region: RegionInfo, period: Period) -> bool:
    """Whether the article's figures describe this region and period (the city, the year)."""
    return region.level == "city" and period == Period(ARTICLE_YEAR, 1, 12)


def countable(ind: Indicator) -> bool:
    """Whether the indicator counts whole things (organisations, people, cases), so that a
    target shared out to a region is shown as a whole number."""
    return ind.kind not in ("rate", "ratio") and ind.unit_zh not in ("%", "小时")


def shown_target(ind: Indicator, target: float | None) -> float | None:
    """A target as shown: whole for countable units (a share of 1.34 communities is 1)."""
    if target is None:
        return None
    return float(round(target)) if countable(ind) else round(target, 2)


def change(
    ind: Indicator, value: float | None, before: float | None, comparable: bool = True
) -> str | None:
    """The change from `before` to `value` as text with its sign: percentage points for rates,
    the difference with its unit where lower is better or where there was nothing before (a fall
    to zero families without work is not "−100%"), else a percentage; None when not comparable
    or either is missing."""
    if value is None or before is None or not comparable:
        return None
    if ind.kind == "rate":
        return f"{value - before:+.2f} pp"
    if not ind.higher_is_better or before == 0:
        diff = value - before
        if diff == 0:
            return None
        # An ASCII minus: st.metric reads the direction from it.
        return ("+" if diff > 0 else "-") + fmt.indicator_value(ind, abs(diff))
    return f"{(value - before) / abs(before):+.1%}"


def metric(
    ind: Indicator,
    value: float | None,
    before: float | None,
    as_of: str | None = None,
    beside: str | None = None,
    comparable: bool = True,
) -> None:
    """One indicator as a metric with its change (coloured by whether lower is better), what it
    stands beside (the target, or the article's figure) and, for a standing figure, the month
    it stands at."""
    with st.container(border=True):
        st.metric(
            pick(ind.name_zh, ind.name_en),
            fmt.indicator_value(ind, value),
            delta=change(ind, value, before, comparable),
            delta_color="normal" if ind.higher_is_better else "inverse",
            help=ind.quote_zh,
        )
        if beside:
            st.caption(beside)
        if as_of:
            st.caption(plain(as_of))


def beside_text(ind: Indicator, article: bool, target: float | None) -> str | None:
    """The article's figure where comparable, else the region's target for the period."""
    if article:
        shown = fmt.article_value(ind)
        if shown:
            return t("overview.article", value=shown)
    if target is None:
        return None
    return t("overview.target", value=fmt.indicator_value(ind, shown_target(ind, target)))


def overview(
    region: RegionInfo,
    cov: Coverage,
    values: dict[str, float | None],
    last_year: dict[str, float | None],
    targets: dict[str, float | None],
) -> None:
    """The overview: one section per pillar with its headline indicators, each against the same
    months a year earlier (counts only where both are whole months)."""
    st.markdown(f"### {t('overview.headline')}")
    article = article_comparable(region, cov.period)
    st.caption(t("overview.caption_article" if article else "overview.caption_target"))
    notes = report_status.as_of_notes(region, cov.span)
    for pillar in PILLARS:
        st.markdown(f"#### {pick(pillar.name_zh, pillar.name_en)}")
        indicators = indicators_of(pillar.key)
        headline = [i for i in indicators if i.headline]
        for col, ind in zip(st.columns(4), headline, strict=False):
            with col:
                metric(
                    ind,
                    values.get(ind.key),
                    last_year.get(ind.key),
                    notes.get(ind.key),
                    beside_text(ind, article, targets.get(ind.key)),
                    cov.flows_comparable or not counts_activities(ind),
                )
        # Drawn only while open: five hidden tables would cost every run of the page.
        more = st.expander(t("overview.more_pillar"), key=f"more_{pillar.key}", on_change="rerun")
        if more.open:
            beside_label = t_text("overview.article_col" if article else "views.target")
            more.dataframe(
                [
                    {
                        t("overview.indicator"): pick(i.name_zh, i.name_en),
                        t("overview.value"): fmt.indicator_value(i, values.get(i.key)),
                        beside_label: (
                            fmt.article_value(i) if article else _target_text(i, targets.get(i.key))
                        )
                        or "—",
                        t_text("report.col.as_of"): notes.get(i.key) or "—",
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


def _target_text(ind: Indicator, target: float | None) -> str | None:
    return None if target is None else fmt.indicator_value(ind, shown_target(ind, target))
