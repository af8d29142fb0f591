"""The declaration of what the dashboard measures: pillars, activity types, indicators.

Everything else (schema contents, forms, charts, the index, docs, demo data) reads these tuples.
Names, units and the article's figures come from `reference/figures.csv` for the indicators the
article reports; the others carry their own names here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal, get_args

FIGURES_CSV = Path(__file__).parent / "reference" / "figures.csv"

Level = Literal["city", "district", "street", "community", "grid"]
LEVELS: tuple[Level, ...] = get_args(Level)  # from the top down
# The levels with figures of their own: activities and reports are summed up to a community (a
# grid's activities are its community's), so the dashboards drill from the city to a community.
DATA_LEVELS: tuple[Level, ...] = LEVELS[:4]
PARENT_LEVELS: tuple[Level, ...] = DATA_LEVELS[:-1]  # the levels whose children have figures


def child_level(level: Level) -> Level:
    """The level just below (a city's children are districts, …); ValueError below a grid."""
    position = LEVELS.index(level) + 1
    if position == len(LEVELS):
        raise ValueError(f"no level below {level}")
    return LEVELS[position]


@dataclass(frozen=True)
class Pillar:
    key: str
    name_zh: str
    name_en: str
    short_zh: str
    short_en: str


PILLARS: tuple[Pillar, ...] = (
    Pillar("organization", "组织有力", "Strong organisation", "组织", "Organisation"),
    Pillar("governance", "治理有效", "Effective governance", "治理", "Governance"),
    Pillar("service", "服务有质", "Quality services", "服务", "Services"),
    Pillar("neighborliness", "邻里有爱", "Caring neighbourhoods", "邻里", "Neighbourhoods"),
    Pillar("safety", "平安有序", "Safety and order", "平安", "Safety"),
)
PILLAR_KEYS = tuple(p.key for p in PILLARS)


@dataclass(frozen=True)
class Measure:
    key: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    integer: bool = True


# The measure columns an activity row has; each activity type records a subset of them.
MEASURES: tuple[Measure, ...] = (
    Measure("participants", "参与人数", "Participants", "人", "people"),
    Measure("beneficiaries", "服务人次", "Beneficiaries", "人次", "person-times"),
    Measure("hours", "服务时长", "Hours", "小时", "hours", integer=False),
    Measure("sessions", "场次/节次", "Sessions", "次", "sessions"),
    Measure("cases_received", "受理件数", "Cases received", "件", "cases"),
    Measure("cases_resolved", "解决件数", "Cases resolved", "件", "cases"),
    Measure("cases_satisfied", "满意件数", "Cases rated satisfied", "件", "cases"),
)
MEASURE_KEYS = tuple(m.key for m in MEASURES)


@dataclass(frozen=True)
class ActivityType:
    key: str
    pillar: str
    name_zh: str
    name_en: str
    measures: tuple[str, ...]


ACTIVITY_TYPES: tuple[ActivityType, ...] = (
    ActivityType(
        "joint_meeting",
        "organization",
        "党建联席会议",
        "Party-building joint meeting",
        ("participants",),
    ),
    ActivityType(
        "worker_training",
        "organization",
        "社区工作者培训",
        "Community-worker training",
        ("participants", "hours"),
    ),
    ActivityType(
        "household_visit",
        "governance",
        "入户走访",
        "Household visits",
        ("participants", "beneficiaries"),
    ),
    ActivityType(
        "mediation",
        "governance",
        "人民调解",
        "People's mediation",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "hotline_case",
        "governance",
        "12345热线诉求办理",
        "12345 hotline requests",
        ("cases_received", "cases_resolved", "cases_satisfied"),
    ),
    ActivityType(
        "leader_hotline_day",
        "governance",
        "领导干部政务热线接听日",
        "Leaders' hotline-answering day",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "compound_renovation",
        "service",
        "老旧小区改造",
        "Old-compound renovation",
        ("beneficiaries",),
    ),
    ActivityType(
        "employment_assistance", "service", "就业帮扶", "Employment assistance", ("beneficiaries",)
    ),
    ActivityType(
        "education_class",
        "service",
        "幸福教育课堂",
        "Happy-education classes",
        ("sessions", "beneficiaries"),
    ),
    ActivityType(
        "home_elderly_care",
        "service",
        "居家养老服务",
        "Home elderly care",
        ("beneficiaries", "hours"),
    ),
    ActivityType(
        "canteen_service", "service", "长者食堂助餐", "Elders' canteen meals", ("beneficiaries",)
    ),
    ActivityType(
        "party_member_service",
        "neighborliness",
        "在职党员进社区",
        "Party members serving communities",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "commando_action",
        "neighborliness",
        "党员突击队行动",
        "Party-member commando action",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "ease_worries",
        "neighborliness",
        "解民忧行动",
        "Ease-worries campaign",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "hot_issue",
        "neighborliness",
        "高频高热问题攻坚",
        "Hot-issue resolution",
        ("participants", "beneficiaries"),
    ),
    ActivityType(
        "neighbour_consultation",
        "neighborliness",
        "两邻恳谈会",
        "Neighbour consultation",
        ("participants",),
    ),
    ActivityType(
        "culture_event",
        "neighborliness",
        "两邻文化活动",
        "Neighbourhood culture event",
        ("participants",),
    ),
    ActivityType(
        "dedication_day",
        "neighborliness",
        "共产党员社区奉献日",
        "Party members' dedication day",
        ("participants", "hours"),
    ),
    ActivityType(
        "saturday_service",
        "safety",
        "“三零”工作室周六不打烊",
        "“Three-zero” Saturday service",
        ("participants", "cases_resolved"),
    ),
    ActivityType(
        "safety_patrol",
        "safety",
        "平安守望巡查",
        "Safety-watch patrol",
        ("participants", "cases_resolved"),
    ),
)
ACTIVITY_TYPE_KEYS = tuple(a.key for a in ACTIVITY_TYPES)


# How an indicator's value is obtained for a region and period.
@dataclass(frozen=True)
class ActivityCount:
    """Number of activities of a type."""

    activity_type: str


@dataclass(frozen=True)
class ActivitySum:
    """Sum of one measure over activities of a type."""

    activity_type: str
    measure: str


@dataclass(frozen=True)
class MonthlyAverage:
    """Sum of one measure over the period divided by the number of months in it."""

    activity_type: str
    measure: str


@dataclass(frozen=True)
class Rate:
    """100 × sum(numerator) / sum(denominator) over activities of a type."""

    activity_type: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Reported:
    """A stock reported monthly (月报) at one level; a period's value is, per reporting region,
    its latest approved value up to the period's end, summed. A value that moves by more than
    `plausible_factor` (up or down) against the last approved one is saved with a warning."""

    counted_at: str = "community"
    plausible_factor: float = 2.0


# Which level reviews the monthly reports of each reporting level (data, not code: a city with
# one review step maps "community" to "district"). "city" reviews are done by staff scoped to
# the city, or administrators.
REVIEWED_BY: dict[str, str] = {
    "community": "street",
    "street": "district",
    "district": "city",
    "city": "city",
}


@dataclass(frozen=True)
class PerPopulation:
    """Another indicator's value per `per` residents of the region."""

    indicator: str
    per: int = 10_000


Computation = ActivityCount | ActivitySum | MonthlyAverage | Rate | Reported | PerPopulation


@dataclass(frozen=True)
class Indicator:
    key: str
    pillar: str
    kind: str
    computation: Computation
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    higher_is_better: bool = True
    headline: bool = False
    weight: float = 1.0
    article_value: float | None = None
    article_qualifier: str | None = None
    quote_zh: str | None = None
    # The index (data_access/scoring.py): the city's yearly target, how the target is shared out
    # to a region ('population', 'communities' or 'none' for rates and ratios), and the value
    # that scores 0 (rates score from a floor, not from 0).
    target: float | None = None
    scale: str = "population"
    score_floor: float = 0.0


UNITS_EN = {
    "个": "",
    "条": "items",
    "项": "items",
    "名": "people",
    "人": "people",
    "人次": "person-times",
    "件": "cases",
    "栋": "buildings",
    "场": "events",
    "户": "households",
    "节": "classes",
    "小时": "hours",
    "支": "teams",
    "类": "categories",
    "年": "years",
    "%": "%",
    "次": "times",
}


@dataclass(frozen=True)
class _Spec:
    key: str
    computation: Computation
    headline: bool = False
    weight: float = 1.0
    # Only for indicators the article does not report:
    pillar: str | None = None
    kind: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    unit_zh: str | None = None


_SPECS: tuple[_Spec, ...] = (
    # 组织有力
    _Spec("compound_party_orgs", Reported(), headline=True, weight=2),
    _Spec("community_service_items", Reported("city")),
    _Spec("community_workers_recruited", Reported(), weight=1),
    _Spec(
        "community_workers_per_10k",
        PerPopulation("community_workers_recruited"),
        headline=True,
        weight=2,
    ),
    _Spec(
        "joint_meetings_held",
        ActivityCount("joint_meeting"),
        pillar="organization",
        kind="flow",
        name_zh="召开党建联席会议",
        name_en="Party-building joint meetings held",
        unit_zh="次",
    ),
    _Spec(
        "worker_training_hours",
        ActivitySum("worker_training", "hours"),
        pillar="organization",
        kind="flow",
        name_zh="社区工作者培训时长",
        name_en="Community-worker training hours",
        unit_zh="小时",
    ),
    # 治理有效
    _Spec("grids", Reported(), headline=True),
    _Spec("grid_workers_fulltime", Reported(), weight=1.5),
    _Spec("grid_workers_dedicated", Reported()),
    _Spec("visiting_community_workers", Reported()),
    _Spec(
        "households_visited",
        ActivitySum("household_visit", "beneficiaries"),
        pillar="governance",
        kind="flow",
        name_zh="入户走访户次",
        name_en="Household visits made",
        unit_zh="人次",
    ),
    _Spec("disputes_mediated", ActivitySum("mediation", "cases_resolved"), headline=True, weight=2),
    _Spec("gis_communities", Reported()),
    _Spec("gis_buildings", Reported()),
    _Spec("gis_resident_records", Reported()),
    _Spec("leader_hotline_days", ActivityCount("leader_hotline_day")),
    _Spec("leader_hotline_issues_solved", ActivitySum("leader_hotline_day", "cases_resolved")),
    _Spec(
        "hotline_requests_resolved", ActivitySum("hotline_case", "cases_resolved"), headline=True
    ),
    _Spec(
        "hotline_completion_rate",
        Rate("hotline_case", "cases_resolved", "cases_received"),
        weight=2,
    ),
    _Spec(
        "hotline_satisfaction_rate",
        Rate("hotline_case", "cases_satisfied", "cases_resolved"),
        headline=True,
        weight=2,
    ),
    # 服务有质
    _Spec("old_compounds_renovated", ActivityCount("compound_renovation"), headline=True, weight=2),
    _Spec("service_center_coverage", Reported()),
    _Spec(
        "employment_assisted",
        ActivitySum("employment_assistance", "beneficiaries"),
        headline=True,
        weight=1.5,
    ),
    _Spec("zero_employment_households", Reported()),
    _Spec("education_classes", ActivitySum("education_class", "sessions")),
    _Spec(
        "education_beneficiaries", ActivitySum("education_class", "beneficiaries"), headline=True
    ),
    _Spec("elderly_friendly_model_communities", Reported()),
    _Spec(
        "home_elderly_care_visits", ActivitySum("home_elderly_care", "beneficiaries"), weight=1.5
    ),
    _Spec("home_elderly_care_hours", ActivitySum("home_elderly_care", "hours")),
    _Spec("elderly_canteens", Reported()),
    _Spec(
        "elderly_canteen_monthly_visits",
        MonthlyAverage("canteen_service", "beneficiaries"),
        headline=True,
    ),
    _Spec("property_party_orgs", Reported()),
    _Spec("red_property_sites", Reported()),
    # 邻里有爱
    _Spec("party_members_in_communities", Reported(), headline=True, weight=2),
    _Spec("party_member_paired_communities", Reported()),
    _Spec(
        "party_member_problems_solved",
        ActivitySum("party_member_service", "cases_resolved"),
        weight=1.5,
    ),
    _Spec("pioneer_posts", Reported()),
    _Spec("commando_teams", Reported()),
    _Spec(
        "commando_difficulties_solved",
        ActivitySum("commando_action", "cases_resolved"),
        headline=True,
    ),
    _Spec(
        "concerns_solved", ActivitySum("ease_worries", "cases_resolved"), headline=True, weight=1.5
    ),
    _Spec("concern_projects", Reported("city")),
    _Spec("hot_issues_solved", ActivityCount("hot_issue")),
    _Spec(
        "consultations_held",
        ActivityCount("neighbour_consultation"),
        pillar="neighborliness",
        kind="flow",
        name_zh="两邻恳谈会",
        name_en="Neighbour consultations held",
        unit_zh="次",
    ),
    _Spec(
        "culture_event_participants",
        ActivitySum("culture_event", "participants"),
        pillar="neighborliness",
        kind="flow",
        name_zh="两邻文化活动参与人次",
        name_en="Neighbourhood culture event participants",
        unit_zh="人次",
    ),
    _Spec(
        "dedication_volunteer_hours",
        ActivitySum("dedication_day", "hours"),
        pillar="neighborliness",
        kind="flow",
        name_zh="奉献日志愿服务时长",
        name_en="Dedication-day volunteer hours",
        unit_zh="小时",
    ),
    # 平安有序
    _Spec("governance_centers_city", Reported("city")),
    _Spec("governance_centers_district", Reported("district")),
    _Spec("governance_centers_street", Reported("street"), headline=True),
    _Spec("three_zero_deployments", ActivitySum("saturday_service", "participants"), headline=True),
    _Spec(
        "three_zero_disputes_resolved",
        ActivitySum("saturday_service", "cases_resolved"),
        headline=True,
        weight=2,
    ),
    _Spec("safety_watchers", Reported(), headline=True, weight=1.5),
    _Spec("watched_compounds", Reported()),
    _Spec("veteran_cadre_watchers", Reported()),
    _Spec("task_forces", Reported()),
    _Spec("task_force_members", Reported()),
    _Spec(
        "patrol_hazards_resolved",
        ActivitySum("safety_patrol", "cases_resolved"),
        pillar="safety",
        kind="flow",
        name_zh="巡查发现并消除隐患",
        name_en="Hazards found and removed on patrol",
        unit_zh="件",
    ),
)


@dataclass(frozen=True)
class Figure:
    """One row of the article's figures table."""

    key: str
    pillar: str
    name_zh: str
    name_en: str
    value: float
    unit: str
    qualifier: str
    kind: str
    quote_zh: str


@cache
def load_figures() -> dict[str, Figure]:
    """Read the article's figures table, keyed by figure key."""
    with FIGURES_CSV.open(encoding="utf-8", newline="") as f:
        return {
            row["key"]: Figure(
                key=row["key"],
                pillar=row["pillar"],
                name_zh=row["name_zh"],
                name_en=row["name_en"],
                value=float(row["value"]),
                unit=row["unit"],
                qualifier=row["qualifier"],
                kind=row["kind"],
                quote_zh=row["quote_zh"],
            )
            for row in csv.DictReader(f)
        }


def _build_indicator(spec: _Spec, figures: dict[str, Figure]) -> Indicator:
    fig = figures.get(spec.key)
    if fig is None:
        if not (spec.pillar and spec.kind and spec.name_zh and spec.name_en and spec.unit_zh):
            raise ValueError(f"indicator {spec.key} is not in figures.csv and lacks its own names")
        return Indicator(
            key=spec.key,
            pillar=spec.pillar,
            kind=spec.kind,
            computation=spec.computation,
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            unit_zh=spec.unit_zh,
            unit_en=UNITS_EN[spec.unit_zh],
            headline=spec.headline,
            weight=spec.weight,
        )
    return Indicator(
        key=spec.key,
        pillar=fig.pillar,
        kind=fig.kind,
        computation=spec.computation,
        name_zh=fig.name_zh,
        name_en=fig.name_en,
        unit_zh=fig.unit,
        unit_en=UNITS_EN[fig.unit],
        higher_is_better=fig.kind != "stock_lower_better",
        headline=spec.headline,
        weight=spec.weight,
        article_value=fig.value,
        article_qualifier=fig.qualifier,
        quote_zh=fig.quote_zh,
    )


# The city's 2025 targets where they differ from the article's figure (the programme's plan in
# the demo; administrators edit targets and weights in the database).
_TARGETS: dict[str, float] = {
    "employment_assisted": 52_000,
    "education_classes": 230_000,
    "home_elderly_care_visits": 550_000,
    "commando_difficulties_solved": 160_000,
    "hotline_completion_rate": 99.5,
    "hotline_satisfaction_rate": 99.0,
    "safety_watchers": 23_000,
    "visiting_community_workers": 15_000,
    "party_members_in_communities": 170_000,
    "elderly_canteen_monthly_visits": 320_000,
    "joint_meetings_held": 8_000,
    "worker_training_hours": 200_000,
    "households_visited": 1_300_000,
    "consultations_held": 9_000,
    "culture_event_participants": 1_000_000,
    "dedication_volunteer_hours": 400_000,
    "patrol_hazards_resolved": 35_000,
}
# Coverage counts (one per community once covered): a region's share of the target follows its
# number of communities, not its population.
_SCALED_BY_COMMUNITIES = {
    "gis_communities",
    "service_center_coverage",
    "party_member_paired_communities",
}
_SCORE_FLOORS = {"hotline_completion_rate": 95.0, "hotline_satisfaction_rate": 90.0}


def _with_scoring(ind: Indicator) -> Indicator:
    if ind.kind in ("rate", "ratio"):
        scale = "none"
    elif ind.key in _SCALED_BY_COMMUNITIES:
        scale = "communities"
    else:
        scale = "population"
    return replace(
        ind,
        target=_TARGETS.get(ind.key, ind.article_value),
        scale=scale,
        score_floor=_SCORE_FLOORS.get(ind.key, 0.0),
    )


INDICATORS: tuple[Indicator, ...] = tuple(
    _with_scoring(_build_indicator(s, load_figures())) for s in _SPECS
)
INDICATORS_BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
ACTIVITY_TYPES_BY_KEY: dict[str, ActivityType] = {a.key: a for a in ACTIVITY_TYPES}
MEASURES_BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}
PILLARS_BY_KEY: dict[str, Pillar] = {p.key: p for p in PILLARS}


def counts_activities(ind: Indicator) -> bool:
    """Whether the indicator adds up activities of the period (a count, a sum, a monthly average,
    or one of those per residents): such a figure of a part of a period is not comparable with a
    whole one. Rates and standing figures are."""
    comp = ind.computation
    if isinstance(comp, PerPopulation):
        return counts_activities(INDICATORS_BY_KEY[comp.indicator])
    return isinstance(comp, ActivityCount | ActivitySum | MonthlyAverage)


def indicators_of(pillar: str) -> tuple[Indicator, ...]:
    """The indicators of one pillar, in declaration order."""
    return tuple(i for i in INDICATORS if i.pillar == pillar)


def activity_types_of(pillar: str) -> tuple[ActivityType, ...]:
    """The activity types of one pillar, in declaration order."""
    return tuple(a for a in ACTIVITY_TYPES if a.pillar == pillar)


def policy_figures() -> tuple[Figure, ...]:
    """Facts about the programme itself (measures issued, years running), not indicators."""
    return tuple(f for f in load_figures().values() if f.kind == "policy")
