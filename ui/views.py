"""The leaders' views: the happiness index on the Overview and the five pillar pages.

Frames are built by small `*_frame` functions (translated labels, units in the column names) so
that the chart, the table and the CSV/Excel download all show the same numbers.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import streamlit as st
from babel.dates import format_skeleton

from data_access import cached, periods
from data_access.areas import AreaIndex
from data_access.periods import Coverage, Period, month_label, parse_period
from data_access.regions import RegionInfo
from data_access.registry import (
    INDICATORS_BY_KEY,
    MEASURES_BY_KEY,
    PILLARS,
    PILLARS_BY_KEY,
    Indicator,
    activity_types_of,
    counts_activities,
)
from data_access.scoring import IndexResult
from ui import attention, briefing, cards, charts, notes, report_status
from ui import format as fmt
from ui.exports import describe_view, download_buttons
from ui.filters import (
    fallback_note,
    go_to_region,
    in_scope,
    period_coverage,
    period_filter,
    period_options,
    region_filter,
    scope_root,
)
from ui.i18n import current_language, pick, t, t_text
from ui.plain import plain

if TYPE_CHECKING:
    import pandas as pd

PER = 10_000


def _frame(rows, columns=None) -> pd.DataFrame:
    # pandas only where a pillar page's table or a file needs a frame: the Overview draws from
    # plain rows and never imports it.
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def _name(region: RegionInfo) -> str:
    return region.name(current_language())


def _u(label: str, unit: str) -> str:
    """A label with its unit: 得分（分） / Score (points); the label alone without a unit."""
    return t_text("views.with_unit", label=label, unit=unit) if unit else label


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def day_label(day: date) -> str:
    """A day of the year in words (11月30日 / November 30)."""
    return format_skeleton("MMMMd", day, locale=fmt.locale())


def coverage_note(cov: Coverage) -> None:
    """For a period that is not over or not fully reported: the day its data stand at, what it
    is compared with, and whether counts are compared at all."""
    if not cov.partial:
        return
    parts = []
    if cov.as_of:
        parts.append(t("views.as_of", day=day_label(cov.as_of)))
    if cov.open:
        parts.append(t("views.open"))
    if cov.year_ago and cov.flows_comparable:
        parts.append(t("views.compared_with", base=fmt.period_label(cov.year_ago)))
    st.caption(" · ".join(parts))
    if cov.incomplete:
        st.warning(t("views.incomplete"))
    elif not cov.flows_comparable:
        st.caption(t("views.month_not_over"))


def trend_months(url: str, period: Period) -> tuple[int, ...]:
    """The up to 12 months ending with the period's last, within the recorded months."""
    months = cached.months_with_data(url)
    return periods.trend_months(period, months[0], months[-1]) if months else ()


def breadcrumb(url: str, region: RegionInfo) -> None:
    """The chain from the viewer's top region down to this one; each ancestor is a button up."""
    root = scope_root(url)
    chain = [a for a in cached.ancestors(url, region.code) if in_scope(url, a.code, root)]
    if not chain:
        return
    row = st.container(horizontal=True, vertical_alignment="center")
    for ancestor in chain:
        row.button(
            f"{plain(_name(ancestor))} ›",
            key=f"crumb_{ancestor.code}",
            on_click=go_to_region,
            args=(ancestor.code,),
            type="tertiary",
        )
    row.markdown(f"**{plain(_name(region))}**")


def heading(url: str, title: str, region: RegionInfo, period: Period) -> None:
    """The page title, breadcrumb and the region · period line."""
    st.title(title)
    describe_view(_name(region), fmt.period_label(period))  # for this page's downloads
    breadcrumb(url, region)
    level = t(f"views.level_short.{region.level}")
    st.subheader(
        t(
            "overview.heading",
            region=t("views.region_level", name=_name(region), level=level),
            period=fmt.period_label(period),
        )
    )
    note = fallback_note(url, period)
    if note:
        st.info(note)
    coverage_note(period_coverage(url, period))


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def bases(url: str, code: str, cov: Coverage) -> tuple[IndexResult | None, IndexResult | None]:
    """The index of the like-with-like bases: the period before (the same months a year earlier
    for a year) and the same months a year earlier; None where there is no fair base."""
    before = cov.previous or cov.year_ago
    return (
        cached.index(url, code, str(before)) if before else None,
        cached.index(url, code, str(cov.year_ago)) if cov.year_ago else None,
    )


def _score_card(label: str, now, prev, last_year, cov: Coverage, help_text=None) -> str:
    """A score as a card (ui/cards.py), the change against the period before on
    its arrow, against a year earlier beneath."""
    delta = _delta(now, prev)
    yoy = _delta(now, last_year)
    shown = "—" if yoy is None else f"{yoy:+.1f}"
    if cov.span == cov.period:
        note = t_text("views.vs_previous_and_year", yoy=shown)
    else:
        base = fmt.period_label(cov.year_ago) if cov.year_ago else t_text("views.no_fair_base")
        note = t_text("views.vs_year_ago", base=base, yoy=shown)
    return cards.score_card(
        label,
        "—" if now is None else f"{now:.1f}",
        None if delta is None else f"{delta:+.1f}",
        note,
        help_text,
    )


def index_metrics(
    url: str, region: RegionInfo, period: Period, cov: Coverage | None = None
) -> IndexResult:
    """The composite index and the five pillar scores of the months that have happened, with
    their changes against like-with-like bases (none where the index's counts are not
    comparable: a month not over, a period not fully reported): six cards, one element."""
    cov = cov or period_coverage(url, period)
    now = cached.index(url, region.code, str(cov.span))
    prev, year = bases(url, region.code, cov) if cov.flows_comparable else (None, None)
    shown = [
        _score_card(
            t_text("views.composite"),
            now.composite,
            prev.composite if prev else None,
            year.composite if year else None,
            cov,
            t_text("views.composite_help"),
        )
    ]
    for pillar in PILLARS:
        shown.append(
            _score_card(
                pick(pillar.name_zh, pillar.name_en),
                now.pillar(pillar.key).score,
                prev.pillar(pillar.key).score if prev else None,
                year.pillar(pillar.key).score if year else None,
                cov,
            )
        )
    cards.grid(shown, per_row=6)
    return now


def pillar_comparison_rows(
    region: RegionInfo, now: IndexResult, other_name: str, other: dict[str, float | None]
) -> list[dict]:
    """The five pillar scores of the region beside another series (the parent or an average)."""
    pillar, series, score = t("views.pillar"), t("views.series"), t("views.score")
    rows = []
    for p in PILLARS:
        label = pick(p.short_zh, p.short_en)
        rows.append({pillar: label, series: _name(region), score: _score(now.pillar(p.key).score)})
        rows.append({pillar: label, series: other_name, score: _score(other.get(p.key))})
    return rows


# The Overview's charts take plain rows (no DataFrame): their rows go inside the spec
# (charts.with_rows), their downloads make a frame only when asked.
def pillar_chart(url: str, region: RegionInfo, period: Period, now: IndexResult) -> None:
    """Bars of the five pillars beside the parent region's (the districts' average for the city)."""
    st.markdown(f"#### {t('views.pillars_vs_parent')}")
    chain = cached.ancestors(url, region.code)
    if chain:
        parent = chain[-1]
        other = cached.index(url, parent.code, str(period))
        other_name, scores = _name(parent), {p.key: p.score for p in other.pillars}
    else:
        kids = cached.child_indexes(url, region.code, str(period))
        if not kids:
            return
        other_name = t_text(
            "views.children_average", level=t_text(f"views.level.{kids[0].region.level}")
        )
        average = cached.children_average(url, region.code, str(period))
        scores = {p.key: p.score for p in average.pillars}
    rows = pillar_comparison_rows(region, now, other_name, scores)
    cols = list(rows[0])
    spec = charts.grouped_bars(cols[0], cols[2], cols[1], _u(cols[2], t("views.unit.score")))
    st.vega_lite_chart(spec=charts.with_rows(spec, rows), width="stretch")
    download_buttons(rows, t("views.pillars_vs_parent"), "pillars")


def index_trend_rows(trend: dict[int, IndexResult]) -> list[dict]:
    """The composite and each pillar's score by month, long form."""
    month_col, series, score = t("views.month"), t("views.series"), t("views.score")
    rows = []
    for month, result in sorted(trend.items()):
        label = month_label(month)
        rows.append(
            {month_col: label, series: t("views.composite"), score: _score(result.composite)}
        )
        for p in result.pillars:
            pillar = PILLARS_BY_KEY[p.key]
            rows.append(
                {
                    month_col: label,
                    series: pick(pillar.short_zh, pillar.short_en),
                    score: _score(p.score),
                }
            )
    return rows


def index_trend(url: str, region: RegionInfo, period: Period) -> None:
    """Monthly trend of the index and the pillars (12 months up to the period's end)."""
    st.markdown(f"#### {t('views.trend')}")
    months = trend_months(url, period)
    rows = []
    if months:
        trend = cached.index_trend(url, region.code, months)
        rows = cached.derived(_in_language, trend, index_trend_rows, current_language())
    if not rows:
        st.info(t("views.no_data"))
        return
    cols = list(rows[0])
    spec = charts.trend_lines(cols[0], cols[2], cols[1], _u(cols[2], t("views.unit.score")))
    st.vega_lite_chart(
        spec=notes.with_marks(url, region, period, months, charts.with_rows(spec, rows), cols[0]),
        width="stretch",
    )
    download_buttons(rows, t("views.trend"), "trend")


def _in_language(shared, shape, lang: str):
    # cached.derived's function: `shape` of a shared reader result, once per language.
    return shape(shared)


def ranking_rows(kids: list[AreaIndex]) -> list[dict]:
    """The child regions with their index, pillar scores and activities per 10,000 residents
    (plain rows: the Overview draws them without pandas)."""
    rows = []
    for kid in kids:
        row = {
            t("views.region"): _name(kid.region),
            t("views.code"): kid.region.code,
            t("views.composite_unit"): _score(kid.index.composite),
        }
        for p in PILLARS:
            row[_u(pick(p.short_zh, p.short_en), t("views.unit.score"))] = _score(
                kid.index.pillar(p.key).score
            )
        row[t("views.activities_unit")] = kid.activities
        row[t("views.population_unit")] = kid.region.population
        row[t("views.per10k_activities")] = (
            round(kid.activities * PER / kid.region.population, 2)
            if kid.region.population
            else None
        )
        rows.append(row)
    return rows


def ranking_frame(kids: list[AreaIndex]) -> pd.DataFrame:
    """The ranking's rows as a frame (what its downloads write)."""
    return _frame(ranking_rows(kids))


def _drill_from(event, kids_codes: set[str]) -> None:
    code = charts.picked_code(event, t("views.code"))
    if code in kids_codes:
        go_to_region(code)
        st.rerun()


# A fragment: choosing the measure or the order reruns this section alone, not the whole
# Overview (a click on a bar still reruns the app: it opens another region).
@st.fragment
def ranking(url: str, region: RegionInfo, period: Period) -> None:
    """Child regions ranked by the index or a pillar; click a bar to drill down."""
    kids = cached.child_indexes(url, region.code, str(period))
    if not kids:
        return
    level = t(f"views.level.{kids[0].region.level}")
    st.markdown(f"#### {t('views.ranking', level=level)}")
    rows = cached.derived(_in_language, kids, ranking_rows, current_language())
    columns = list(rows[0])
    measures = [c for c in columns if c not in (t("views.region"), t("views.code"))]
    measures.remove(t("views.population_unit"))
    measures.remove(t("views.activities_unit"))
    by = (
        st.segmented_control(
            t("views.rank_by"), measures, default=measures[0], key=f"rank_by_{region.code}"
        )
        or measures[0]
    )
    shown, by = attention.ordered_rows(
        url,
        region,
        period,
        rows,
        t("views.code"),
        attention.MEASURES[measures.index(by)],
        by,
        f"rank_{region.code}",
    )
    # Plain rows, no DataFrame: the chart's rows go inside its spec, the table is one HTML
    # element, the downloads make their frame only when asked (docs/performance.md).
    spec = charts.ranking_bars(t("views.region"), by, t("views.code"), by, len(shown))
    event = st.vega_lite_chart(
        spec=charts.with_rows(spec, shown),
        width="stretch",
        on_select="rerun",
        selection_mode=charts.PICK,
        key=f"rank_chart_{region.code}_{period}",
    )
    st.caption(t("views.click_to_drill"))
    _drill_from(event, {k.region.code for k in kids})
    st.html(fmt.html_table(shown))
    download_buttons(shown, t_text("views.ranking", level=level), "ranking")


def completeness(url: str, region: RegionInfo, period: Period) -> None:
    """Which child regions recorded no activities in the period."""
    kids = cached.child_indexes(url, region.code, str(period))
    if not kids:
        return
    level = t(f"views.level.{kids[0].region.level}")
    level_text = t_text(f"views.level.{kids[0].region.level}")
    silent = [k for k in kids if k.activities == 0]
    # Heading, count and caption as one element (ui/cards.section): fewer elements a run.
    count = cards.count_card(
        t_text("views.reported", level=level_text), f"{len(kids) - len(silent)} / {len(kids)}"
    )
    parts = [cards.heading_html(t_text("views.completeness")), cards.grid_html([count])]
    if not silent:
        all_there = t_text("views.all_reported", level=level_text)
        parts.append(cards.caption_html(f"✓ {all_there}", True))
    cards.section(*parts)
    if silent:
        rows = [
            {t("views.region"): _name(k.region), t("views.code"): k.region.code} for k in silent
        ]
        names = "、".join(_name(k.region) for k in silent[:20])
        st.warning(t("views.silent", level=level, names=names))
        download_buttons(rows, t("views.completeness"), "silent")


def overview_index(url: str, region: RegionInfo, period: Period) -> None:
    """The index part of the Overview: scores, pillar chart, trend, ranking, completeness (of
    the months that have happened, for a period that is not over)."""
    cov = period_coverage(url, period)
    now = index_metrics(url, region, period, cov)
    span = cov.span
    left, right = st.columns(2)
    with left:
        pillar_chart(url, region, span, now)
    with right:
        index_trend(url, region, span)
    ranking(url, region, span)
    completeness(url, region, span)
    report_status.leader_section(region, period)
    briefing.offer(url, region, period)


def targets_of(result: IndexResult) -> dict[str, float | None]:
    """Each indicator's target for the region and period, as the index scored it."""
    return {s.key: s.target for p in result.pillars for s in p.indicators}


def overview_cards(url: str, region: RegionInfo, period: Period) -> None:
    """The Overview's headline indicator cards of the five pillars, against the same months a
    year earlier, each beside its target for the region and period."""
    cov = period_coverage(url, period)
    values = cached.indicator_values(url, region.code, str(cov.span))
    year = cov.year_ago
    last_year = cached.indicator_values(url, region.code, str(year)) if year else {}
    targets = targets_of(cached.index(url, region.code, str(cov.span)))
    notes = report_status.as_of_notes(region, cov.span)
    cards.overview(region, cov, values, last_year, targets, notes)


# Pillar pages


def _per10k(ind: Indicator) -> bool:
    # Counts shared out by population compare fairly between regions only per resident.
    return ind.scale == "population" and ind.kind not in ("rate", "ratio", "rate_monthly")


def _unit(ind: Indicator) -> str:
    return pick(ind.unit_zh, ind.unit_en)


def _change(now: float | None, before: float | None, ind: Indicator, comparable: bool) -> str:
    text = cards.change(ind, now, before, comparable or not counts_activities(ind))
    if text is None:
        return "—"
    if ind.higher_is_better:
        return text
    # Lower is better: no colour in a table, so the words say which way is good.
    return t_text("views.better" if now < before else "views.worse", change=text)


def _cell(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def indicator_frame(
    pillar_key: str,
    now: IndexResult,
    prev: IndexResult | None,
    year: IndexResult | None,
    flows_comparable: bool = True,
) -> pd.DataFrame:
    """The pillar's indicators: value, target (whole for countable units), progress (score),
    weight and changes against like-with-like bases (counts only between whole months)."""

    def values(result: IndexResult | None) -> dict[str, float | None]:
        if result is None:
            return {}
        return {s.key: s.value for s in result.pillar(pillar_key).indicators}

    before, last_year = values(prev), values(year)
    rows = []
    for s in now.pillar(pillar_key).indicators:
        ind = INDICATORS_BY_KEY[s.key]
        rows.append(
            {
                t("views.indicator"): pick(ind.name_zh, ind.name_en),
                t("views.unit"): _unit(ind),
                t("views.value"): _cell(s.value),
                t("views.target"): cards.shown_target(ind, s.target),
                t("views.progress"): _score(s.score),
                t("views.weight"): s.weight,
                t("views.change_previous"): _change(
                    s.value, before.get(s.key), ind, flows_comparable
                ),
                t("views.change_year"): _change(
                    s.value, last_year.get(s.key), ind, flows_comparable
                ),
            }
        )
    return _frame(rows)


def indicator_table(url: str, region: RegionInfo, period: Period, pillar_key: str) -> IndexResult:
    """The pillar's score and its indicators' table (the months that have happened, against
    like-with-like bases)."""
    cov = period_coverage(url, period)
    now = cached.index(url, region.code, str(cov.span))
    prev, year = bases(url, region.code, cov)
    pillar = PILLARS_BY_KEY[pillar_key]
    scored = cov.flows_comparable  # a score weighs counts too
    card = _score_card(
        t_text("views.pillar_score", pillar=pick(pillar.name_zh, pillar.name_en)),
        now.pillar(pillar_key).score,
        prev.pillar(pillar_key).score if prev and scored else None,
        year.pillar(pillar_key).score if year and scored else None,
        cov,
        t_text("views.composite_help"),
    )
    cards.grid([card])  # a quarter of the width, as the Overview's four-a-row cards
    st.markdown(f"#### {t('views.indicators')}")
    frame = indicator_frame(pillar_key, now, prev, year, cov.flows_comparable)
    frame = report_status.with_as_of(frame, region, cov.span, now.pillar(pillar_key).indicators)
    fmt.show_table(
        frame,
        keep=(t("views.progress"),),
        by_cell=(t("views.value"), t("views.target")),  # a row per indicator, each its unit
        column_config={
            t("views.progress"): st.column_config.ProgressColumn(
                t("views.progress"), min_value=0, max_value=100, format="%.1f"
            )
        },
    )
    download_buttons(frame, t("views.indicators"), "indicators")
    return now


def indicator_trend_frame(
    ind: Indicator, monthly: dict[int, dict[str, float | None]]
) -> pd.DataFrame:
    """One indicator's value by month."""
    return _frame(
        [
            (month_label(m), pick(ind.name_zh, ind.name_en), monthly[m].get(ind.key))
            for m in sorted(monthly)
        ],
        columns=[t("views.month"), t("views.indicator"), _u(t("views.value"), _unit(ind))],
    )


def child_values_frame(ind: Indicator, kids: list[AreaIndex]) -> pd.DataFrame:
    """One indicator for each child region: value, and per 10,000 residents for counts."""
    rows = []
    for kid in kids:
        value = kid.values.get(ind.key)
        row = {
            t("views.region"): _name(kid.region),
            t("views.code"): kid.region.code,
            _u(t("views.value"), _unit(ind)): value,
        }
        if _per10k(ind):
            row[t_text("views.per10k", unit=_unit(ind))] = (
                round(value * PER / kid.region.population, 3)
                if value is not None and kid.region.population
                else None
            )
        rows.append(row)
    return _frame(rows)


def indicator_detail(url: str, region: RegionInfo, period: Period, pillar_key: str) -> None:
    """One chosen indicator: its monthly trend and how the child regions compare (click: drill)."""
    inds = [
        INDICATORS_BY_KEY[s.key]
        for s in cached.index(url, region.code, str(period)).pillar(pillar_key).indicators
    ]
    names = {i.key: pick(i.name_zh, i.name_en) for i in inds}
    key = st.selectbox(
        t("views.choose_indicator"),
        list(names),
        format_func=names.__getitem__,
        key=f"ind_{pillar_key}",
    )
    ind = INDICATORS_BY_KEY[key]
    left, right = st.columns(2)
    with left:
        st.markdown(f"#### {t('views.indicator_trend')}")
        months = trend_months(url, period)
        if months:
            frame = indicator_trend_frame(ind, cached.monthly_values(url, region.code, months))
            cols = frame.columns
            st.vega_lite_chart(
                frame,
                notes.with_marks(
                    url,
                    region,
                    period,
                    months,
                    charts.trend_lines(cols[0], cols[2], cols[1], cols[2]),
                    cols[0],
                    pillar_key,
                ),
                width="stretch",
            )
            download_buttons(frame, t("views.indicator_trend"), "ind_trend")
    with right:
        kids = cached.child_indexes(url, region.code, str(period))
        if not kids:
            st.info(t("views.lowest_level"))
            return
        level = t(f"views.level.{kids[0].region.level}")
        st.markdown(f"#### {t('views.children_compare', level=level)}")
        frame = child_values_frame(ind, kids)
        value_col = frame.columns[-1]
        if frame[value_col].notna().any():
            shown, value_col = attention.ordered(
                url, region, period, frame, t("views.code"), key, value_col, f"ind_{pillar_key}"
            )
            event = st.vega_lite_chart(
                shown,
                charts.ranking_bars(
                    t("views.region"), value_col, t("views.code"), value_col, len(frame)
                ),
                width="stretch",
                on_select="rerun",
                selection_mode=charts.PICK,
                key=f"ind_chart_{pillar_key}_{region.code}_{period}_{key}",
            )
            st.caption(t("views.click_to_drill"))
            _drill_from(event, {k.region.code for k in kids})
        else:
            st.info(t("views.not_at_level"))
        download_buttons(frame, t_text("views.children_compare", level=level), "ind_children")


def activity_breakdown_frame(pillar_key: str, totals: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The pillar's activity types: number of activities and the measures each records."""
    rows = []
    for atype in activity_types_of(pillar_key):
        got = totals.get(atype.key, {})
        row = {
            t("views.activity_type"): pick(atype.name_zh, atype.name_en),
            t("views.activities_unit"): int(got.get("n", 0)),
        }
        for m in atype.measures:
            measure = MEASURES_BY_KEY[m]
            unit = pick(measure.unit_zh, measure.unit_en)
            row[_u(pick(measure.name_zh, measure.name_en), unit)] = got.get(m, 0)
        rows.append(row)
    return _frame(rows)


def activity_breakdown(url: str, region: RegionInfo, period: Period, pillar_key: str) -> None:
    """How many activities of each of the pillar's types the region recorded."""
    st.markdown(f"#### {t('views.by_activity_type')}")
    frame = activity_breakdown_frame(
        pillar_key, cached.activity_totals(url, region.code, str(period))
    )
    cols = frame.columns
    st.vega_lite_chart(
        frame, charts.ranking_bars(cols[0], cols[1], cols[0], cols[1], len(frame)), width="stretch"
    )
    fmt.show_table(frame)
    download_buttons(frame, t("views.by_activity_type"), "types")


def compare_frame(
    pillar_key: str, a_name: str, a: IndexResult, b_name: str, b: IndexResult
) -> pd.DataFrame:
    """The pillar's indicators for two regions or periods side by side."""
    b_scores = {s.key: s for s in b.pillar(pillar_key).indicators}
    rows = [
        {
            t_text("views.indicator"): t_text("views.pillar_score", pillar=""),
            f"{a_name} · {t('views.value')}": None,
            f"{a_name} · {t('views.score')}": _score(a.pillar(pillar_key).score),
            f"{b_name} · {t('views.value')}": None,
            f"{b_name} · {t('views.score')}": _score(b.pillar(pillar_key).score),
        }
    ]
    for s in a.pillar(pillar_key).indicators:
        ind = INDICATORS_BY_KEY[s.key]
        other = b_scores[s.key]
        rows.append(
            {
                t("views.indicator"): _u(pick(ind.name_zh, ind.name_en), _unit(ind)),
                f"{a_name} · {t('views.value')}": None if s.value is None else round(s.value, 2),
                f"{a_name} · {t('views.score')}": _score(s.score),
                f"{b_name} · {t('views.value')}": None
                if other.value is None
                else round(other.value, 2),
                f"{b_name} · {t('views.score')}": _score(other.score),
            }
        )
    return _frame(rows)


def compare(url: str, region: RegionInfo, period: Period, pillar_key: str) -> None:
    """Two regions (or two periods) side by side for this pillar."""
    st.markdown(f"#### {t('views.compare')}")
    modes = {"regions": t("views.compare_regions"), "periods": t("views.compare_periods")}
    mode = (
        st.segmented_control(
            t("views.compare_mode"),
            list(modes),
            format_func=modes.__getitem__,
            default="regions",
            key=f"cmp_mode_{pillar_key}",
        )
        or "regions"
    )
    cov = period_coverage(url, period)
    a = cached.index(url, region.code, str(cov.span))
    if mode == "regions":
        chosen = compare_regions(url, region, cov.span, pillar_key)
        if chosen is None:
            st.info(t("views.nothing_to_compare"))
            return
        a_name, (b_name, b) = _name(region), chosen
    else:
        # A period not over is set beside the same months of the other period, never a whole one.
        options = [
            p
            for p in period_options(url)
            if p != str(period) and (cov.span == period or parse_period(p).kind == period.kind)
        ]
        if not options:
            st.info(t("views.nothing_to_compare"))
            return
        other = st.selectbox(
            t("views.compare_with"),
            options,
            format_func=lambda p: fmt.period_label(parse_period(p)),
            key=f"cmp_period_{pillar_key}",
        )
        chosen = parse_period(other)
        if cov.span != period:
            chosen = Period(chosen.year, chosen.first_month, cov.span.n_months)
        b = cached.index(url, region.code, str(chosen))
        a_name, b_name = fmt.period_label(cov.span), fmt.period_label(chosen)
    frame = compare_frame(pillar_key, a_name, a, b_name, b)
    values = tuple(f"{name} · {t('views.value')}" for name in (a_name, b_name))
    fmt.show_table(frame, by_cell=values)  # a row per indicator, each its unit
    download_buttons(frame, t("views.compare"), "compare")


AVERAGE = "_average"  # the choice "average of the regions of this level" in the comparison


def compare_regions(
    url: str, region: RegionInfo, span: Period, pillar_key: str
) -> tuple[str, IndexResult] | None:
    """The region to set beside this one, chosen by the leader: the parent (within scope), the
    average of this level's regions and each sibling region, read-only as totals even outside
    the leader's scope (no drill into them); for the city, its districts. Returns the chosen
    one's name and index, or None when there is nothing to compare with."""
    chain = cached.ancestors(url, region.code)
    root = scope_root(url)
    options: dict[str, str] = {}
    if chain:
        parent = chain[-1]
        siblings = [r for r in cached.children(url, parent.code) if r.code != region.code]
        if in_scope(url, parent.code, root):
            options[parent.code] = _name(parent)
        if siblings:
            level = t_text(f"views.level.{region.level}")
            options[AVERAGE] = t_text("views.children_average", level=level)
        options.update({r.code: _name(r) for r in siblings})
        outside = [r for r in siblings if not in_scope(url, r.code, root)]
    else:
        options.update({r.code: _name(r) for r in cached.children(url, region.code)})
        outside = []
    if not options:
        return None
    other = st.selectbox(
        t("views.compare_with"),
        list(options),
        format_func=options.__getitem__,
        key=f"cmp_region_{pillar_key}_{region.code}",
    )
    if outside:
        st.caption(t("views.compare_outside_scope", level=t_text(f"views.level.{region.level}")))
    if other == AVERAGE:
        return options[other], cached.children_average(url, chain[-1].code, str(span))
    return options[other], cached.index(url, other, str(span))


def pillar_page(url: str, region: RegionInfo, period: Period, pillar_key: str) -> None:
    """A pillar page: score, indicators, one indicator in detail, activity types, comparison
    (of the months that have happened, for a period that is not over)."""
    indicator_table(url, region, period, pillar_key)
    report_status.leader_section(region, period, pillar_key)
    span = period_coverage(url, period).span
    indicator_detail(url, region, span, pillar_key)
    activity_breakdown(url, region, span, pillar_key)
    compare(url, region, period, pillar_key)
    notes.section(url, region, period, pillar_key)


def pillar_script(pillar_key: str) -> None:
    """Everything a pillar page's script does: filters, heading, the page."""
    url = st.session_state["store_url"]
    period = period_filter(url)
    region = region_filter(url)
    pillar = PILLARS_BY_KEY[pillar_key]
    heading(url, pick(pillar.name_zh, pillar.name_en), region, period)
    pillar_page(url, region, period, pillar_key)
