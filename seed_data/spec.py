"""What the demo city's numbers must come to: 2025 city totals (the article's figures), 2024,
and the years after 2025 up to the demo's "today".

The article's figures are the city's 2025 results. A `more_than` figure (余/超/突破)
becomes a value a little above it, an `about` figure (近) a little below it, deterministically
per key; 2024 is the 2025 value times a per-key factor below one, and lower-is-better stocks
start higher. A year after 2025 follows 2025's pattern with modest growth (`growth`), and
the demo stops at its "today" (an argument: the same today gives the same demo).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from data_access.registry import load_figures

YEARS = (2024, 2025)  # the article's year and the one before: always generated in full
ARTICLE_YEAR = 2025
FIRST_MONTH = 202401
# Seasonal weights for spreading activities over months (Spring Festival is quiet).
MONTH_WEIGHTS = (0.75, 0.65, 0.95, 1.0, 1.05, 1.05, 1.0, 1.0, 1.05, 0.95, 1.05, 1.1)


def _jitter(key: str, salt: str, steps: int) -> int:
    return zlib.crc32(f"{key}:{salt}".encode()) % steps


def figure_target(key: str) -> int:
    """The demo's 2025 city value for an article figure, honouring its qualifier."""
    fig = load_figures()[key]
    if fig.qualifier == "more_than":
        return round(fig.value * (1.01 + _jitter(key, "up", 6) / 100))  # 1.01–1.06 × the figure
    if fig.qualifier == "about":
        return round(fig.value * (0.97 + _jitter(key, "down", 3) / 100))  # 0.97–0.99 × the figure
    return round(fig.value)


def year_factor(key: str) -> float:
    """How 2024 compares with 2025 for one indicator (0.80–0.94)."""
    return 0.80 + _jitter(key, "2024", 15) / 100


def growth(key: str, year: int) -> float:
    """How a year after 2025 compares with 2025 for one indicator: 2–6 % more a year."""
    return (1.02 + _jitter(key, "growth", 5) / 100) ** (year - ARTICLE_YEAR)


def demo_years(last_year: int) -> tuple[int, ...]:
    """The demo's years: 2024 and 2025 always, then every year up to `last_year` (today's)."""
    return tuple(range(YEARS[0], max(last_year, ARTICLE_YEAR) + 1))


@dataclass(frozen=True)
class FlowSpec:
    """How one activity type's records are generated for 2025 (2024 is scaled by its factor).

    `count`: a fixed number of records (the indicator counts them); otherwise the type takes
    `share` of the free records. `totals`: measures whose yearly sum is fixed, the first being the
    one each record has at least one of. `free`: other measures drawn per record in a range.
    """

    count: int | None = None
    share: float = 0.0
    totals: dict[str, int] = field(default_factory=dict)
    free: dict[str, tuple[int, int]] = field(default_factory=dict)
    factor_key: str = ""
    count_2024: int | None = None  # overrides the factor where 2024's count is bounded


def _monthly_canteen_total() -> int:
    return 12 * figure_target("elderly_canteen_monthly_visits")


# Hotline totals are chosen together so that the two rates come out at the article's figures.
HOTLINE_2025 = {"cases_received": 48_626, "cases_resolved": 48_500, "cases_satisfied": 47_777}
HOTLINE_2024 = {"cases_received": 42_180, "cases_resolved": 41_850, "cases_satisfied": 40_920}


def flow_specs() -> dict[str, FlowSpec]:
    """The generation spec of every activity type, keyed by type."""
    f = figure_target
    return {
        "joint_meeting": FlowSpec(count=6_900, free={"participants": (6, 25)}),
        "worker_training": FlowSpec(
            share=2, totals={"hours": 180_000}, free={"participants": (10, 60)}
        ),
        "household_visit": FlowSpec(
            share=25, totals={"beneficiaries": 1_200_000}, free={"participants": (1, 3)}
        ),
        "mediation": FlowSpec(
            share=8,
            totals={"cases_resolved": f("disputes_mediated")},
            free={"participants": (2, 6)},
            factor_key="disputes_mediated",
        ),
        "hotline_case": FlowSpec(share=15, totals=dict(HOTLINE_2025)),
        "leader_hotline_day": FlowSpec(
            count=f("leader_hotline_days"),
            totals={"cases_resolved": f("leader_hotline_issues_solved")},
            free={"participants": (5, 20)},
            factor_key="leader_hotline_days",
        ),
        # The 2024 and 2025 renovations are different old compounds, so together they must fit
        # in the geography's old compounds.
        "compound_renovation": FlowSpec(count=f("old_compounds_renovated"), count_2024=1_450),
        "employment_assistance": FlowSpec(
            share=4,
            totals={"beneficiaries": f("employment_assisted")},
            factor_key="employment_assisted",
        ),
        "education_class": FlowSpec(
            share=12,
            totals={
                "sessions": f("education_classes"),
                "beneficiaries": f("education_beneficiaries"),
            },
            factor_key="education_classes",
        ),
        "home_elderly_care": FlowSpec(
            share=10,
            totals={
                "beneficiaries": f("home_elderly_care_visits"),
                "hours": f("home_elderly_care_hours"),
            },
            factor_key="home_elderly_care_visits",
        ),
        "canteen_service": FlowSpec(
            share=6,
            totals={"beneficiaries": _monthly_canteen_total()},
            factor_key="elderly_canteen_monthly_visits",
        ),
        "party_member_service": FlowSpec(
            share=6,
            totals={"cases_resolved": f("party_member_problems_solved")},
            free={"participants": (3, 30)},
            factor_key="party_member_problems_solved",
        ),
        "commando_action": FlowSpec(
            share=6,
            totals={"cases_resolved": f("commando_difficulties_solved")},
            free={"participants": (5, 20)},
            factor_key="commando_difficulties_solved",
        ),
        "ease_worries": FlowSpec(
            share=6,
            totals={"cases_resolved": f("concerns_solved")},
            free={"participants": (2, 15)},
            factor_key="concerns_solved",
        ),
        "hot_issue": FlowSpec(
            count=f("hot_issues_solved"),
            free={"participants": (10, 80), "beneficiaries": (50, 2000)},
            factor_key="hot_issues_solved",
        ),
        "neighbour_consultation": FlowSpec(count=8_800, free={"participants": (8, 40)}),
        "culture_event": FlowSpec(share=5, totals={"participants": 950_000}),
        "dedication_day": FlowSpec(
            share=3, totals={"hours": 410_000}, free={"participants": (10, 80)}
        ),
        "saturday_service": FlowSpec(
            share=4,
            totals={
                "participants": f("three_zero_deployments"),
                "cases_resolved": f("three_zero_disputes_resolved"),
            },
            factor_key="three_zero_deployments",
        ),
        "safety_patrol": FlowSpec(
            share=6, totals={"cases_resolved": 36_000}, free={"participants": (2, 8)}
        ),
    }


@dataclass(frozen=True)
class StockSpec:
    """A reported stock: its 2025-12 city total, its 2024-01 city total, how it is spread.

    `spread`: 'population', 'compounds', 'grids', 'households', 'one_each' (every unit at its
    level reports 1 once covered) or 'series' (a city-level value per month, see `series`).
    """

    final: int
    start: int
    counted_at: str = "community"
    spread: str = "population"
    series: tuple[tuple[int, int], ...] = ()  # (from yyyymm, value) steps for 'series'
    growth_key: str = ""  # after 2025-12 the values grow as `growth(growth_key, …)`; else flat


def stock_specs(
    n_grids: int, n_compounds: int, n_communities: int, population: int
) -> dict[str, StockSpec]:
    """The generation spec of every reported stock, keyed by indicator."""
    f = figure_target

    def grow(key: str, spread: str = "population", final: int | None = None) -> StockSpec:
        end = f(key) if final is None else final
        return StockSpec(
            final=end,
            start=round(end * (year_factor(key) - 0.05)),
            spread=spread,
            growth_key=key,
        )

    workers = round(population * load_figures()["community_workers_per_10k"].value / 10_000)
    return {
        "compound_party_orgs": grow("compound_party_orgs", "compounds"),
        "community_service_items": StockSpec(
            final=36,
            start=67,
            counted_at="city",
            spread="series",
            series=((202401, 67), (202504, 36)),
        ),
        "community_workers_recruited": grow("community_workers_recruited", final=workers),
        "grids": StockSpec(final=n_grids, start=round(n_grids * 0.86), spread="grids"),
        "grid_workers_fulltime": grow("grid_workers_fulltime", "grids"),
        "grid_workers_dedicated": grow("grid_workers_dedicated", "grids"),
        "visiting_community_workers": grow("visiting_community_workers"),
        "gis_communities": StockSpec(
            final=n_communities, start=round(n_communities * 0.62), spread="one_each"
        ),
        "gis_buildings": grow("gis_buildings", "households"),
        "gis_resident_records": StockSpec(final=population, start=round(population * 0.7)),
        "service_center_coverage": StockSpec(
            final=n_communities, start=round(n_communities * 0.83), spread="one_each"
        ),
        "zero_employment_households": StockSpec(final=0, start=96),
        "elderly_friendly_model_communities": StockSpec(final=13, start=9),
        "elderly_canteens": StockSpec(final=200, start=131),
        "property_party_orgs": StockSpec(final=248, start=171, spread="compounds"),
        "red_property_sites": StockSpec(final=300, start=205, spread="compounds"),
        "party_members_in_communities": grow("party_members_in_communities"),
        "party_member_paired_communities": StockSpec(
            final=n_communities, start=round(n_communities * 0.9), spread="one_each"
        ),
        "pioneer_posts": grow("pioneer_posts"),
        "commando_teams": grow("commando_teams"),
        "concern_projects": StockSpec(
            final=60,
            start=38,
            counted_at="city",
            spread="series",
            series=((202401, 38), (202407, 45), (202501, 52), (202507, 60)),
        ),
        "governance_centers_city": StockSpec(
            final=1, start=1, counted_at="city", spread="series", series=((202401, 1),)
        ),
        "governance_centers_district": StockSpec(
            final=13, start=11, counted_at="district", spread="one_each"
        ),
        "governance_centers_street": StockSpec(
            final=179, start=142, counted_at="street", spread="one_each"
        ),
        "safety_watchers": grow("safety_watchers"),
        "watched_compounds": StockSpec(
            final=n_compounds, start=round(n_compounds * 0.74), spread="compounds"
        ),
        "veteran_cadre_watchers": StockSpec(final=219, start=150),
        "task_forces": grow("task_forces"),
        "task_force_members": grow("task_force_members"),
    }
