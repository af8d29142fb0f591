"""Indicator cards: metrics with a fair change, the target (or the article's figure where it is
comparable), grouped by pillar."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

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
from ui.i18n import current_language, pick, t, t_text
from ui.plain import html_text as _e

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


# The cards of a pillar are one st.html element, not a grid of st.columns, st.container,
# st.metric and st.caption (about 70 elements on the Overview, drawn on every run: most of the
# cards' cost; docs/performance.md "A warm Overview run's CPU"). They look like st.metric: the
# label, the value, the change with its arrow (green when it is good news: a rise, or a fall
# where lower is better) and the notes beneath. Four a row, one a row at a phone's width (as
# st.columns). Every text is escaped (plain.html_text) where the HTML is built.
# Their style is ui/style.py's.


def _card(
    label: str,
    value: str,
    delta: str | None,
    good: bool,
    notes: tuple[str | None, ...] = (),
    help_text: str | None = None,
) -> str:
    """One card (HTML, every text escaped): the label (its help as the hover), the value, the
    change with its arrow (green when `good`) and the notes beneath."""
    help_attr = f' title="{_e(help_text)}"' if help_text else ""
    parts = [
        f'<div class="hs-card-label"{help_attr}>{_e(label)}</div>',
        f'<div class="hs-card-value">{_e(value)}</div>',
    ]
    if delta is not None:
        arrow = "↓" if delta.startswith("-") else "↑"  # an ASCII minus: the callers write it
        parts.append(
            f'<div class="hs-card-delta {"hs-good" if good else "hs-bad"}">'
            f'<span aria-hidden="true">{arrow}</span> '
            f'<span class="hs-card-change">{_e(delta)}</span></div>'
        )
    parts += [f'<div class="hs-card-note">{_e(note)}</div>' for note in notes if note]
    return f'<div class="hs-card">{"".join(parts)}</div>'


def card_html(
    ind: Indicator,
    value: float | None,
    before: float | None,
    as_of: str | None = None,
    beside: str | None = None,
    comparable: bool = True,
) -> str:
    """One indicator as a card (HTML, every text escaped): its value with its change (coloured
    by whether lower is better), what it stands beside (the target, or the article's figure)
    and, for a standing figure, the month it stands at."""
    delta = change(ind, value, before, comparable)
    rise = delta is not None and not delta.startswith("-")
    return _card(
        pick(ind.name_zh, ind.name_en),
        fmt.indicator_value(ind, value),
        delta,
        rise == ind.higher_is_better,
        (beside, as_of),
        ind.quote_zh or None,
    )


def score_card(
    label: str, value: str, delta: str | None, note: str, help_text: str | None = None
) -> str:
    """A score (the index or a pillar's) as a card, as st.metric showed it: a rise is green."""
    good = delta is None or not delta.startswith("-")
    return _card(label, value, delta, good, (note,), help_text)


def count_card(label: str, value: str, help_text: str | None = None) -> str:
    """A count with no change beside it (HTML, escaped), as st.metric showed it."""
    return _card(label, value, None, True, (), help_text)


def grid_html(cards: list[str], per_row: int = 4) -> str:
    """Cards as a grid (HTML, without the style): `per_row` (4 or 6) a row, one a row at a
    phone's width."""
    six = " hs-cards-6" if per_row == 6 else ""
    return f'<div class="hs-cards{six}">{"".join(cards)}</div>'


def grid(cards: list[str], per_row: int = 4) -> None:
    """Cards as one st.html element (styled by ui/style.py)."""
    st.html(grid_html(cards, per_row))


def heading_html(text: str, level: int = 4) -> str:
    """A section's heading (`###` or `####` as Streamlit draws it; HTML, escaped)."""
    return f'<h{level} class="hs-h{level}">{_e(text)}</h{level}>'


def caption_html(text: str, good: bool = False) -> str:
    """A caption beneath (st.caption's look; green for good news; HTML, escaped)."""
    return f'<p class="hs-caption{" hs-good" if good else ""}">{_e(text)}</p>'


def section(*parts: str) -> None:
    """A heading, its cards and its caption (HTML made by the functions above) as one st.html
    element (styled by ui/style.py)."""
    st.html("".join(parts))


def beside_text(ind: Indicator, article: bool, target: float | None) -> str | None:
    """The article's figure where comparable, else the region's target for the period (plain
    text: the card escapes it)."""
    if article:
        shown = fmt.article_value(ind)
        if shown:
            return t_text("overview.article", value=shown)
    if target is None:
        return None
    return t_text("overview.target", value=fmt.indicator_value(ind, shown_target(ind, target)))


def overview(
    region: RegionInfo,
    cov: Coverage,
    values: dict[str, float | None],
    last_year: dict[str, float | None],
    targets: dict[str, float | None],
    notes: Mapping[str, str],
) -> None:
    """The overview: one section per pillar with its headline indicators, each against the same
    months a year earlier (counts only where both are whole months), and the month a standing
    figure stands at where it is older than the period (`notes`: report_status.as_of_notes)."""
    article = article_comparable(region, cov.period)
    grids = _pillar_grids(
        current_language(),
        article,
        cov.flows_comparable,
        *(tuple(d.items()) for d in (values, last_year, targets, notes)),
    )
    for pillar, grid in zip(PILLARS, grids, strict=True):
        st.html(grid)
        _all_indicators(pillar.key, values, targets, notes, article)
    section(
        heading_html(t_text("overview.programme")),
        caption_html(
            " · ".join(
                f"{pick(f.name_zh, f.name_en)}: {fmt.compact(f.value)}{pick(f.unit, '')}"
                for f in policy_figures()
            )
        ),
    )


# The five pillars' cards are made once for what they show (the language, the figures, the
# targets and the as-of notes, as keys) rather than on every run: about a tenth of a warm
# Overview run's CPU (docs/performance.md). Each is a string, shared, with its pillar's heading;
# the first also carries the section's heading and caption (each alone would be an element of
# its own).
@lru_cache(maxsize=256)
def _pillar_grids(
    lang: str, article: bool, flows_comparable: bool, values, last_year, targets, notes
) -> tuple[str, ...]:
    values, last_year, targets, notes = map(dict, (values, last_year, targets, notes))
    grids = []
    first = heading_html(t_text("overview.headline"), 3) + caption_html(
        t_text("overview.caption_article" if article else "overview.caption_target")
    )
    for pillar in PILLARS:
        cards = "".join(
            card_html(
                ind,
                values.get(ind.key),
                last_year.get(ind.key),
                notes.get(ind.key),
                beside_text(ind, article, targets.get(ind.key)),
                flows_comparable or not counts_activities(ind),
            )
            for ind in indicators_of(pillar.key)
            if ind.headline
        )
        title = heading_html(pick(pillar.name_zh, pillar.name_en))
        grids.append(f'{"" if grids else first}{title}<div class="hs-cards">{cards}</div>')
    return tuple(grids)


# Not a fragment: Streamlit copies the page's layout state for every fragment on every run
# (about 0.3 ms each, measured with bench/overview_cpu.py), more than five rarely opened tables
# would save.
def _all_indicators(
    pillar_key: str,
    values: dict[str, float | None],
    targets: dict[str, float | None],
    notes: Mapping[str, str],
    article: bool,
) -> None:
    # Drawn only while open: five hidden tables would cost every run of the page.
    more = st.expander(t("overview.more_pillar"), key=f"more_{pillar_key}", on_change="rerun")
    if not more.open:
        return
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
            for i in indicators_of(pillar_key)
        ],
        hide_index=True,
        width="stretch",
    )


def _target_text(ind: Indicator, target: float | None) -> str | None:
    return None if target is None else fmt.indicator_value(ind, shown_target(ind, target))
