"""The happiness index: indicator scores against targets, pillar scores, the composite index.

Method (docs/index-method.md): each indicator's city-wide yearly target is shared out to the region
(by population, by number of communities, or not at all for rates and ratios) and to the period
(flows by months; stocks and monthly averages not), then the indicator scores 0–100:

- higher is better: 100 × (value − floor) / (target − floor), capped to 0–100 (floor 0 except
  for rates, which score from a floor such as 90%);
- lower is better: 100 when value ≤ target, else 100 × target / value; with a target of zero,
  100 / (1 + value).

A pillar's score is the weighted mean of its indicators' scores, the composite index the weighted
mean of the pillars' scores. Indicators without a value or target for the region (a stock counted
above the region's level) are left out and their weight with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.indicators import get_indicator_values, get_monthly_indicator_values
from data_access.models import IndicatorRow, PillarRow
from data_access.periods import Period, month_period
from data_access.regions import RegionInfo, count_communities
from data_access.registry import INDICATORS, PILLARS, Indicator, Level, Reported

EXTENSIVE_FLOW_KINDS = ("flow",)


@dataclass(frozen=True)
class Settings:
    """Targets and weights as administrators set them (defaults from the registry)."""

    targets: dict[str, float | None]
    weights: dict[str, float]
    pillar_weights: dict[str, float]


@dataclass(frozen=True)
class RegionShare:
    """The region's share of the city: by population and by number of communities."""

    population: float
    communities: float


class IndicatorScore(NamedTuple):
    """One indicator's value, target, 0–100 score and weight in an index. The scores are named
    tuples, not frozen dataclasses: a cold Overview makes a few thousand (56 in every index it
    computes), and a frozen dataclass's __init__ sets each field through object.__setattr__
    (compute_index: 123–125 µs with them, 88–89 µs without, turn about: docs/performance.md)."""

    key: str
    value: float | None
    target: float | None
    score: float | None
    weight: float


class PillarScore(NamedTuple):
    """A pillar's 0–100 score, its weight and its indicators' scores."""

    key: str
    score: float | None
    weight: float
    indicators: tuple[IndicatorScore, ...]


class IndexResult(NamedTuple):
    """The composite index and the five pillars' scores."""

    composite: float | None
    pillars: tuple[PillarScore, ...]

    def pillar(self, key: str) -> PillarScore:
        """One pillar's score by key."""
        return next(p for p in self.pillars if p.key == key)


def default_settings() -> Settings:
    """Targets and weights as the registry declares them."""
    return Settings(
        targets={i.key: i.target for i in INDICATORS},
        weights={i.key: i.weight for i in INDICATORS},
        pillar_weights={p.key: 1.0 for p in PILLARS},
    )


# A session's info may hold the settings already read (the app's cached readers put them there:
# data_access/cached.py), so that a cold page reads them once rather than in every reader.
SETTINGS_KEY = "happy.settings"


def get_settings(session: Session) -> Settings:
    """Targets and weights from the database (registry defaults for anything missing), or as
    the session's info holds them under SETTINGS_KEY."""
    known = session.info.get(SETTINGS_KEY)
    if known is not None:
        return known
    base = default_settings()
    targets, weights = dict(base.targets), dict(base.weights)
    for key, target, weight in session.execute(
        select(IndicatorRow.key, IndicatorRow.target, IndicatorRow.weight)
    ):
        if key in targets:
            targets[key], weights[key] = target, weight
    pillar_weights = dict(base.pillar_weights)
    pillar_weights.update(dict(session.execute(select(PillarRow.key, PillarRow.weight)).all()))
    return Settings(targets, weights, pillar_weights)


def share_of(
    region: RegionInfo, city: RegionInfo, communities: int, all_communities: int
) -> RegionShare:
    """A region's share of the city from its population and number of communities."""
    return RegionShare(
        region.population / city.population if city.population else 0.0,
        communities / (all_communities or 1),
    )


def get_region_share(session: Session, region: RegionInfo, city: RegionInfo) -> RegionShare:
    """The region's share of the city's population and of its communities."""
    if region.level == "city":
        return RegionShare(1.0, 1.0)
    mine = count_communities(session, region, region.level).get(region.id, 0)
    return share_of(region, city, mine, count_communities(session, city, "city")[city.id])


def scaled_target(
    ind: Indicator, city_target: float | None, share: RegionShare, period: Period
) -> float | None:
    """The indicator's target for the region and period."""
    if city_target is None:
        return None
    target = city_target
    if ind.scale == "population":
        target *= share.population
    elif ind.scale == "communities":
        target *= share.communities
    if ind.kind in EXTENSIVE_FLOW_KINDS:
        target *= period.n_months / 12
    return target


def score_indicator(ind: Indicator, value: float | None, target: float | None) -> float | None:
    """The indicator's 0–100 score for a value against a target (None when either is missing)."""
    if value is None or target is None:
        return None
    if ind.higher_is_better:
        span = target - ind.score_floor
        if span <= 0:
            return 100.0 if value >= target else 0.0
        return min(100.0, max(0.0, 100.0 * (value - ind.score_floor) / span))
    if target == 0:
        return 100.0 / (1.0 + max(value, 0.0))
    return 100.0 if value <= target else max(0.0, 100.0 * target / value)


def weighted_mean(pairs: list[tuple[float, float]]) -> float | None:
    """The mean of scores weighted by their weights (None when no weight)."""
    total = sum(w for _, w in pairs)
    return sum(s * w for s, w in pairs) / total if total > 0 else None


# Per pillar, its indicators in registry order, each with whether it is a standing figure
# counted above community level (no target below the city): fixed, so worked out once rather
# than for every index computed (a cold Overview computes a hundred or more).
_PILLAR_INDICATORS = tuple(
    (
        pillar.key,
        tuple(
            (
                ind,
                isinstance(ind.computation, Reported) and ind.computation.counted_at != "community",
            )
            for ind in INDICATORS
            if ind.pillar == pillar.key
        ),
    )
    for pillar in PILLARS
)


def compute_index(
    values: dict[str, float | None],
    settings: Settings,
    share: RegionShare,
    period: Period,
    region_level: Level,
) -> IndexResult:
    """The index from indicator values (pure: no database)."""
    below_city = region_level != "city"
    targets, weights = settings.targets, settings.weights
    pillars = []
    for pillar_key, indicators in _PILLAR_INDICATORS:
        scores = []
        for ind, counted_above in indicators:
            target = (
                None
                if counted_above and below_city
                else scaled_target(ind, targets.get(ind.key), share, period)
            )
            value = values.get(ind.key)
            scores.append(
                IndicatorScore(
                    ind.key,
                    value,
                    target,
                    None
                    if value is None or target is None
                    else score_indicator(ind, value, target),
                    weights.get(ind.key, ind.weight),
                )
            )
        pillar_score = weighted_mean([(s.score, s.weight) for s in scores if s.score is not None])
        pillars.append(
            PillarScore(
                pillar_key,
                pillar_score,
                settings.pillar_weights.get(pillar_key, 1.0),
                tuple(scores),
            )
        )
    composite = weighted_mean([(p.score, p.weight) for p in pillars if p.score is not None])
    return IndexResult(composite, tuple(pillars))


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def mean_index(results: list[IndexResult]) -> IndexResult:
    """The average of several regions' indexes (e.g. of the districts: "the city average" a
    district compares with): each score, value and target the mean over the regions that have
    it."""
    pillars = []
    for i, first in enumerate(results[0].pillars if results else ()):
        scores = []
        for j, ind in enumerate(first.indicators):
            parts = [r.pillars[i].indicators[j] for r in results]
            scores.append(
                IndicatorScore(
                    ind.key,
                    _mean([p.value for p in parts]),
                    _mean([p.target for p in parts]),
                    _mean([p.score for p in parts]),
                    ind.weight,
                )
            )
        pillars.append(
            PillarScore(
                first.key,
                _mean([r.pillars[i].score for r in results]),
                first.weight,
                tuple(scores),
            )
        )
    return IndexResult(_mean([r.composite for r in results]), tuple(pillars))


def get_index(
    session: Session,
    region: RegionInfo,
    city: RegionInfo,
    period: Period,
    values: dict[str, float | None] | None = None,
) -> IndexResult:
    """The index for a region and period, explainable down to each indicator (from the region's
    indicator values for the period, if the caller has them already)."""
    if values is None:
        values = get_indicator_values(session, region, period)
    return compute_index(
        values, get_settings(session), get_region_share(session, region, city), period, region.level
    )


def get_index_trend(
    session: Session, region: RegionInfo, city: RegionInfo, months: list[int]
) -> dict[int, IndexResult]:
    """The region's index in each month (yyyymm), from grouped queries."""
    values = get_monthly_indicator_values(session, region, months)
    settings = get_settings(session)
    share = get_region_share(session, region, city)
    return {
        month: compute_index(values[month], settings, share, month_period(month), region.level)
        for month in months
    }
