"""Deterministic demo activities and reported values for the demo city (numpy, no database).

The demo runs from 2024-01 up to a given "today": activities up to the day before it, monthly
reported values up to the month before its month (see `report_months`), and today's month's
reports begun by some communities (`current_month_statuses`). 2024 and 2025 are
always whole (the article's figures); the same today gives the same demo."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from data_access.periods import last_day
from data_access.registry import ACTIVITY_TYPES_BY_KEY, INDICATORS_BY_KEY, Reported
from seed_data.geography import Geography
from seed_data.spec import (
    ARTICLE_YEAR,
    FIRST_MONTH,
    HOTLINE_2024,
    HOTLINE_2025,
    MONTH_WEIGHTS,
    YEARS,
    FlowSpec,
    demo_years,
    flow_specs,
    growth,
    stock_specs,
    year_factor,
)

DEFAULT_ACTIVITIES = 200_000
MAX_ACTIVITIES = 5_000_000
# Each (type, year) without a fixed count gets at least this many records, so that every
# community-month mix stays varied even in small demos.
MIN_RECORDS_PER_TYPE_YEAR = 500
# Types whose records name a grid (and so a compound) of their community.
GRID_TYPES = {"household_visit", "mediation", "safety_patrol", "hotline_case"}


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly (largest remainder)."""
    weights = np.asarray(weights, dtype=float)
    if total == 0 or weights.sum() == 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = weights / weights.sum() * total
    base = np.floor(raw).astype(np.int64)
    rest = total - int(base.sum())
    if rest:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rest]] += 1
    return base


def partition(total: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Split a total over n records, at least one each when the total allows, sizes varied."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    floor = 1 if total >= n else 0
    sizes = rng.lognormal(0.0, 0.6, n)
    return floor + rng.multinomial(total - floor * n, sizes / sizes.sum()).astype(np.int64)


def take_away(values: np.ndarray, amount: int, rng: np.random.Generator) -> np.ndarray:
    """How much to remove from each value so that `amount` is removed and none goes negative."""
    taken = np.zeros_like(values)
    left = amount
    while left > 0:
        room = values - taken
        if room.sum() < left:
            raise ValueError("cannot take away more than there is")
        draw = rng.multinomial(left, room / room.sum())
        step = np.minimum(draw, room)
        taken += step
        left -= int(step.sum())
    return taken


@dataclass
class CommunityIndex:
    """Array views of the geography that the generator samples from."""

    ids: np.ndarray
    street_ids: np.ndarray
    district_ids: np.ndarray
    names: list[str]
    population: np.ndarray
    grid_start: (
        np.ndarray
    )  # grids of community i: grid_ids[grid_start[i]:grid_start[i] + grid_count[i]]
    grid_count: np.ndarray
    grid_ids: np.ndarray
    grid_compound: np.ndarray
    old_compounds: np.ndarray  # ids of old compounds
    old_compound_community: np.ndarray  # their communities' positions in `ids`
    old_compound_households: np.ndarray
    old_compound_names: list[str]


def index_geography(geo: Geography) -> CommunityIndex:
    """Build the array views the generator needs from the geography."""
    communities = [r for r in geo.regions if r["level"] == "community"]
    by_id = {r["id"]: r for r in geo.regions}
    pos = {c["id"]: i for i, c in enumerate(communities)}
    compound_of_grid = {g: c for c, g in geo.compound_grids}
    grids_of: dict[int, list[int]] = {c["id"]: [] for c in communities}
    for r in geo.regions:
        if r["level"] == "grid":
            grids_of[r["parent_id"]].append(r["id"])
    counts = np.array([len(grids_of[c["id"]]) for c in communities], dtype=np.int64)
    grid_ids = np.array([g for c in communities for g in grids_of[c["id"]]], dtype=np.int64)
    old = [c for c in geo.compounds if c["kind"] == "old"]
    return CommunityIndex(
        ids=np.array([c["id"] for c in communities], dtype=np.int64),
        street_ids=np.array([c["parent_id"] for c in communities], dtype=np.int64),
        district_ids=np.array(
            [by_id[c["parent_id"]]["parent_id"] for c in communities], dtype=np.int64
        ),
        names=[c["name_zh"] for c in communities],
        population=np.array([c["population"] for c in communities], dtype=float),
        grid_start=np.concatenate([[0], np.cumsum(counts)[:-1]]),
        grid_count=counts,
        grid_ids=grid_ids,
        grid_compound=np.array([compound_of_grid[g] for g in grid_ids], dtype=np.int64),
        old_compounds=np.array([c["id"] for c in old], dtype=np.int64),
        old_compound_community=np.array([pos[c["community_id"]] for c in old], dtype=np.int64),
        old_compound_households=np.array([c["households"] for c in old], dtype=np.int64),
        old_compound_names=[c["name_zh"] for c in old],
    )


def _year_totals(spec: FlowSpec, type_key: str, year: int) -> tuple[int | None, dict[str, int]]:
    if year == ARTICLE_YEAR:
        return spec.count, dict(spec.totals)
    if year > ARTICLE_YEAR:  # 2025's pattern, grown
        factor = growth(spec.factor_key or type_key, year)
        totals = HOTLINE_2025 if type_key == "hotline_case" else spec.totals
        count = None if spec.count is None else round(spec.count * factor)
        return count, {m: round(t * factor) for m, t in totals.items()}
    if type_key == "hotline_case":
        return None, dict(HOTLINE_2024)
    factor = year_factor(spec.factor_key or type_key)
    count = None if spec.count is None else (spec.count_2024 or round(spec.count * factor))
    return count, {m: round(t * factor) for m, t in spec.totals.items()}


def min_activities() -> int:
    """The smallest demo that can reproduce every figure."""
    specs = flow_specs()
    fixed = sum(
        _year_totals(spec, key, year)[0] or 0 for year in YEARS for key, spec in specs.items()
    )
    free_keys = sum(1 for spec in specs.values() if spec.count is None) * len(YEARS)
    return fixed + MIN_RECORDS_PER_TYPE_YEAR * free_keys


def plan_record_counts(
    n_activities: int, years: tuple[int, ...] = YEARS
) -> dict[tuple[str, int], int]:
    """How many records each (type, year) gets, filling shares up to each type's capacity.

    `n_activities` are the records of 2024 and 2025; a later year of `years` has 2025's count
    grown as its totals (before the demo's today cuts it short)."""
    specs = flow_specs()
    counts: dict[tuple[str, int], int] = {}
    for year in YEARS:
        for key, spec in specs.items():
            if spec.count is not None:
                counts[(key, year)] = _year_totals(spec, key, year)[0]
    if n_activities < min_activities():
        raise ValueError(f"at least {min_activities()} activities are needed")
    free = n_activities - sum(counts.values())
    # Capacity: each record carries at least one unit of the type's first fixed measure.
    cap = {}
    for year in YEARS:
        for key, spec in specs.items():
            if spec.count is None:
                totals = _year_totals(spec, key, year)[1]
                cap[(key, year)] = next(iter(totals.values()))
    weights = {k: specs[k[0]].share * (1.0 if k[1] == 2025 else year_factor(k[0])) for k in cap}
    assigned = dict.fromkeys(cap, MIN_RECORDS_PER_TYPE_YEAR)
    open_keys = set(cap)
    remaining = free - MIN_RECORDS_PER_TYPE_YEAR * len(cap)
    while remaining > 0 and open_keys:
        keys = sorted(open_keys)
        share = allocate(remaining, np.array([weights[k] for k in keys]))
        remaining = 0
        for k, s in zip(keys, share, strict=True):
            take = min(int(s), cap[k] - assigned[k])
            assigned[k] += take
            remaining += int(s) - take
            if assigned[k] >= cap[k]:
                open_keys.discard(k)
    counts.update(assigned)
    for year in years:
        if year > ARTICLE_YEAR:
            for key, spec in specs.items():
                count, totals = _year_totals(spec, key, year)
                if count is None:  # at most one record per unit of the first fixed measure
                    grown = round(counts[(key, ARTICLE_YEAR)] * growth(key, year))
                    count = min(grown, next(iter(totals.values())))
                counts[(key, year)] = count
    return counts


@dataclass
class ActivityBatch:
    """Column arrays of generated activity records of one type and year."""

    type_key: str
    community_pos: np.ndarray
    occurred_on: list[date]
    grid_ids: np.ndarray | None
    compound_ids: np.ndarray | None
    titles: list[str]
    measures: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.community_pos)


def _dates(year: int, months: np.ndarray, rng: np.random.Generator, saturdays: bool) -> list[date]:
    out = []
    days_in = [calendar.monthrange(year, m)[1] for m in range(1, 13)]
    u = rng.random(len(months))
    for m, x in zip(months.tolist(), u.tolist(), strict=True):
        if saturdays:
            first = 1 + (5 - calendar.weekday(year, m, 1)) % 7
            n_sat = (days_in[m - 1] - first) // 7 + 1
            day = first + 7 * int(x * n_sat)
        else:
            day = 1 + int(x * days_in[m - 1])
        out.append(date(year, m, day))
    return out


def generate_activities(
    geo: Geography,
    n_activities: int = DEFAULT_ACTIVITIES,
    seed: int = 42,
    today: date | None = None,
) -> Iterator[ActivityBatch]:
    """Yield the demo's activity records, one batch per (type, year), deterministically: 2024
    and 2025 whole, later years up to the day before `today` (None: 2024 and 2025 only)."""
    idx = index_geography(geo)
    specs = flow_specs()
    years = YEARS if today is None else demo_years(today.year)
    counts = plan_record_counts(n_activities, years)
    month_w = np.array(MONTH_WEIGHTS) / sum(MONTH_WEIGHTS)
    pop_w = idx.population / idx.population.sum()
    rng = np.random.default_rng(seed)
    renovation_order = rng.permutation(len(idx.old_compounds))
    renovated = 0
    for year in years:
        for key, spec in specs.items():
            n = counts[(key, year)]
            type_rng = np.random.default_rng([seed, year, list(specs).index(key)])
            months = type_rng.choice(12, size=n, p=month_w) + 1
            months.sort()
            type_name = ACTIVITY_TYPES_BY_KEY[key].name_zh
            grid_ids = compound_ids = None
            if key == "compound_renovation":
                if year > ARTICLE_YEAR:  # a further round: any old compound, once a year
                    picks = type_rng.permutation(len(idx.old_compounds))[:n]
                else:
                    picks = renovation_order[renovated : renovated + n]
                    renovated += n
                if len(picks) < n:
                    raise ValueError("not enough old compounds for the renovations")
                community_pos = idx.old_compound_community[picks]
                compound_ids = idx.old_compounds[picks]
                titles = [f"{idx.old_compound_names[p]}改造" for p in picks.tolist()]
                measures = {"beneficiaries": idx.old_compound_households[picks]}
            else:
                community_pos = type_rng.choice(len(idx.ids), size=n, p=pop_w)
                titles = [
                    f"{idx.names[c]}{m}月{type_name}"
                    for c, m in zip(community_pos.tolist(), months.tolist(), strict=True)
                ]
                measures = _measures(spec, key, year, n, type_rng)
                if key in GRID_TYPES:
                    offset = (type_rng.random(n) * idx.grid_count[community_pos]).astype(np.int64)
                    at = idx.grid_start[community_pos] + offset
                    grid_ids, compound_ids = idx.grid_ids[at], idx.grid_compound[at]
            batch = ActivityBatch(
                type_key=key,
                community_pos=community_pos,
                occurred_on=_dates(year, months, type_rng, saturdays=key == "saturday_service"),
                grid_ids=grid_ids,
                compound_ids=compound_ids,
                titles=titles,
                measures=measures,
            )
            if year > ARTICLE_YEAR and today is not None and year >= today.year:
                batch = _before(batch, today)
            if len(batch):
                yield batch


def _before(batch: ActivityBatch, today: date) -> ActivityBatch:
    """The batch's records dated before `today`."""
    keep = np.array([d < today for d in batch.occurred_on], dtype=bool)
    if keep.all():
        return batch

    def cut(column):
        return None if column is None else column[keep]

    return replace(
        batch,
        community_pos=batch.community_pos[keep],
        occurred_on=[d for d, k in zip(batch.occurred_on, keep.tolist(), strict=True) if k],
        grid_ids=cut(batch.grid_ids),
        compound_ids=cut(batch.compound_ids),
        titles=[t for t, k in zip(batch.titles, keep.tolist(), strict=True) if k],
        measures={m: v[keep] for m, v in batch.measures.items()},
    )


def _measures(
    spec: FlowSpec, key: str, year: int, n: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    totals = _year_totals(spec, key, year)[1]
    out: dict[str, np.ndarray] = {}
    if key == "hotline_case":
        received = partition(totals["cases_received"], n, rng)
        resolved = received - take_away(
            received, totals["cases_received"] - totals["cases_resolved"], rng
        )
        satisfied = resolved - take_away(
            resolved, totals["cases_resolved"] - totals["cases_satisfied"], rng
        )
        return {
            "cases_received": received,
            "cases_resolved": resolved,
            "cases_satisfied": satisfied,
        }
    for measure, total in totals.items():
        out[measure] = partition(total, n, rng)
    for measure, (low, high) in spec.free.items():
        out[measure] = rng.integers(low, high + 1, size=n)
    return out


@dataclass
class ReportedColumns:
    """One stock indicator's generated monthly values, as columns: region, month, value."""

    indicator_key: str
    region_ids: np.ndarray
    months: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)


def _months() -> list[int]:
    return [y * 100 + m for y in YEARS for m in range(1, 13)]


def next_month(month: int) -> int:
    """The month (yyyymm) after `month`."""
    return month + 89 if month % 100 == 12 else month + 1


def report_months(today: date | None) -> list[int]:
    """The months the demo has approved reports for: 2024-01 up to the month before today's
    (2025-12 at least; None: 2024 and 2025)."""
    last = 2025_12
    if today is not None:
        this = today.year * 100 + today.month
        while next_month(last) < this:
            last = next_month(last)
    months = [FIRST_MONTH]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


# The share of the communities that have begun the current month's report (a draft or a
# submitted one) by its last day; on an earlier day, that share of it in proportion to the days
# gone: most communities report after the month, so most are not started while it runs.
CURRENT_MONTH_SHARE = 0.3


def current_month_statuses(
    community_ids: list[int], seed: int, today: date, busy: frozenset[int] = frozenset()
) -> dict[int, str]:
    """The communities that have begun the report of `today`'s month by `today`, with its
    status: "draft" or "submitted" (none approved: a month is reviewed once it is over, and
    the review of the month before is still going on). A share of them in proportion to the
    days gone (none on the 1st), later in the month more of them submitted; the `busy` ones
    (late with the month before) not among them. The same seed and month give the same
    communities, growing with the day."""
    days = last_day(today.year * 100 + today.month).day
    gone = (today.day - 1) / days
    pool = [c for c in community_ids if c not in busy]
    order = np.random.default_rng([seed, 14, today.year, today.month]).permutation(pool)
    begun = order[: round(len(pool) * CURRENT_MONTH_SHARE * gone)].tolist()
    submitted = round(len(begun) * gone)
    return {rid: "submitted" if i < submitted else "draft" for i, rid in enumerate(begun)}


def generate_reported(
    geo: Geography, seed: int = 42, today: date | None = None
) -> Iterator[ReportedColumns]:
    """Yield, per stock indicator, its monthly reported values at the level where it is counted,
    for the `report_months(today)`: 2024–2025 as specified, later months 2025-12's values grown
    modestly (`growth`) where the indicator grows, else as they stood. Units by their order in
    the geography, months ascending; zeros left out."""
    regions = geo.regions
    communities = [r for r in regions if r["level"] == "community"]
    grids_per = {c["id"]: 0 for c in communities}
    for r in regions:
        if r["level"] == "grid":
            grids_per[r["parent_id"]] += 1
    compounds_per = {c["id"]: 0 for c in communities}
    for c in geo.compounds:
        compounds_per[c["community_id"]] += 1
    weights_by_spread = {
        "population": np.array([c["population"] for c in communities], dtype=float),
        "households": np.array([c["households"] for c in communities], dtype=float),
        "grids": np.array([grids_per[c["id"]] for c in communities], dtype=float),
        "compounds": np.array([compounds_per[c["id"]] for c in communities], dtype=float),
    }
    specs = stock_specs(
        n_grids=sum(grids_per.values()),
        n_compounds=len(geo.compounds),
        n_communities=len(communities),
        population=sum(c["population"] for c in communities),
    )
    months = _months()
    later = report_months(today)[len(months) :]
    all_months = np.array(months + later, dtype=np.int64)
    t = np.linspace(0.0, 1.0, len(months))
    for key, spec in specs.items():
        comp = INDICATORS_BY_KEY[key].computation
        assert isinstance(comp, Reported) and comp.counted_at == spec.counted_at, key
        units = [r for r in regions if r["level"] == spec.counted_at]
        rng = np.random.default_rng([seed, list(specs).index(key), 7])
        if spec.spread == "series":
            (_unit,) = units
            steps = dict(spec.series)
            value = None
            series = []
            for month in all_months.tolist():
                value = steps.get(month, value)
                series.append(value)
            grid = np.array([series], dtype=np.int64)  # units × months
        elif spec.spread == "one_each":
            # Each unit reports 1 from the month it is covered; the rest are covered from the start.
            n_late = len(units) - spec.start
            late = set(rng.choice(len(units), size=n_late, replace=False).tolist())
            start_at = np.array(
                [int(rng.integers(1, len(months))) if i in late else 0 for i in range(len(units))]
            )
            grid = (np.arange(len(all_months))[None, :] >= start_at[:, None]).astype(np.int64)
        else:
            w = weights_by_spread[spec.spread]
            final = allocate(spec.final, w)
            start = allocate(spec.start, w * rng.uniform(0.8, 1.2, len(w)))
            # After 2025-12: 2025-12's value grown by the months since (or flat).
            ahead = np.array(
                [growth(spec.growth_key, ARTICLE_YEAR + (k + 1) / 12) for k in range(len(later))]
                if spec.growth_key
                else np.ones(len(later))
            )
            grid = np.concatenate(
                [
                    np.rint(start[:, None] + (final - start)[:, None] * t[None, :]),
                    np.rint(final[:, None] * ahead[None, :]),
                ],
                axis=1,
            ).astype(np.int64)
        ids = np.array([u["id"] for u in units], dtype=np.int64)
        keep = grid.ravel() != 0
        yield ReportedColumns(
            indicator_key=key,
            region_ids=np.repeat(ids, len(all_months))[keep],
            months=np.tile(all_months, len(ids))[keep],
            values=grid.ravel()[keep].astype(float),
        )
