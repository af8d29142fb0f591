"""The figures of a briefing, read with the same functions as the pages: the index and pillar
scores (scoring.get_index), a year earlier, the parent region (or, for the city, the mean of its
children, as the Overview's pillar chart), the 12-month trend, the child regions' indexes
(areas.get_child_indexes), the activity totals per type and the monthly report's completeness
(reports.get_completeness)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from data_access import periods
from data_access.areas import (
    INDEX,
    AreaIndex,
    RankedArea,
    get_child_changes,
    get_child_indexes,
    rank_areas,
)
from data_access.attention import AttentionItem, attention_items, completeness_month
from data_access.indicators import get_activity_totals, get_coverage, get_data_months
from data_access.notes import NoteInfo, list_notes
from data_access.periods import Period
from data_access.regions import RegionInfo, get_city, list_ancestors
from data_access.registry import PARENT_LEVELS, PILLARS
from data_access.reports import Completeness, get_completeness
from data_access.scoring import IndexResult, get_index, get_index_trend


@dataclass(frozen=True)
class Briefing:
    """Everything a briefing shows, as numbers (the words are added when it is written)."""

    region: RegionInfo
    period: Period
    today: date
    data_months: tuple[int, int] | None  # first and last month with activities, yyyymm
    chain: list[RegionInfo]  # the ancestors, city first
    now: IndexResult
    # A period under way is compared with the same months a year earlier, never a whole one:
    # `now_so_far` is the index of its months so far (the whole period once it is over) and
    # `year_ago` that of the same months a year earlier (None when nothing was recorded then).
    now_so_far: IndexResult
    year_ago: IndexResult | None
    # The parent region's pillar scores and composite, or the children's means for the city
    # (parent None): the Overview's pillar chart compares the same.
    parent: RegionInfo | None
    parent_scores: dict[str, float | None]
    trend: dict[int, IndexResult]
    kids: list[AreaIndex]
    totals: dict[str, dict[str, float]]
    completeness: Completeness | None
    # 需关注, 进步最快 and 备注 as the Overview shows them (data_access/attention.py, areas.py,
    # notes.py): the attention list up to today, the children by change of the index against
    # the same months a year earlier (best first, those without a change left out), the notes.
    attention: list[AttentionItem] = field(default_factory=list)
    improved: list[RankedArea] = field(default_factory=list)
    notes: list[NoteInfo] = field(default_factory=list)

    @property
    def data_to(self) -> int | None:
        """The last month of the period with data (yyyymm), None when it has none."""
        if not self.has_data(self.period):
            return None
        return min(self.period.end, self.data_months[1])

    def has_data(self, period: Period) -> bool:
        """Whether any recorded month falls in the period (the pages' rule, ui/views.has_data)."""
        months = self.data_months
        return months is not None and period.end >= months[0] and period.start <= months[1]


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def _scores(result: IndexResult) -> dict[str, float | None]:
    scores = {p.key: p.score for p in result.pillars}
    scores["composite"] = result.composite
    return scores


def get_briefing(
    session: Session,
    region: RegionInfo,
    period: Period,
    *,
    today: date,
    viewer: int | None = None,
) -> Briefing:
    """Read every figure of the region's briefing for the period; the notes those the viewer
    may see (None: an operator's, all of them)."""
    city = get_city(session)
    months = get_data_months(session)
    chain = list_ancestors(session, region)
    now = get_index(session, region, city, period)
    has = months is not None and period.end >= months[0] and period.start <= months[1]
    months_so_far = get_coverage(session, period, today).span
    now_so_far = now if months_so_far == period else get_index(session, region, city, months_so_far)
    ago = months_so_far.year_ago()
    year_ago = (
        get_index(session, region, city, ago)
        if months is not None and ago.end >= months[0] and ago.start <= months[1]
        else None
    )
    kids = get_child_indexes(session, region, city, period)
    parent = chain[-1] if chain else None
    if parent is not None:
        parent_scores = _scores(get_index(session, parent, city, period))
    else:
        parent_scores = {p.key: _mean([k.index.pillar(p.key).score for k in kids]) for p in PILLARS}
        parent_scores["composite"] = _mean([k.index.composite for k in kids])
    trend_months = () if months is None else periods.trend_months(period, *months)
    trend = get_index_trend(session, region, city, list(trend_months)) if trend_months else {}
    totals = get_activity_totals(session, region, period) if has else {}
    done = get_completeness(session, region, completeness_month(period, today), "community")
    improved = []
    if region.level in PARENT_LEVELS:
        now_kids, before_kids = get_child_changes(session, region, city, months_so_far)
        ranked = rank_areas(now_kids, before_kids, INDEX, by="change")
        improved = [r for r in ranked if r.change is not None]
    return Briefing(
        region=region,
        period=period,
        today=today,
        data_months=months,
        chain=chain,
        now=now,
        now_so_far=now_so_far,
        year_ago=year_ago,
        parent=parent,
        parent_scores=parent_scores,
        trend=trend,
        kids=list(kids),
        totals=totals,
        completeness=done if done.total else None,
        attention=attention_items(session, region.code, period, today=today),
        improved=improved,
        notes=list_notes(session, viewer, region.code, period),
    )
