"""需关注 What needs attention in a region and period, ranked by how far off it is.

The rules and their thresholds are data (RULES below, shown on the Overview's help popover and in
docs/index-method.md "What needs attention"); each rule is a small pure function of figures the
store gives (so tests build the figures by hand), and `attention_items` reads those figures once.
"Today" is passed in (data_access/clock.py in the app), never read here.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.areas import (
    INDEX,
    AreaIndex,
    ChildIndexes,
    area_value,
    get_child_changes,
    get_child_indexes,
    higher_is_better,
    per_residents,
)
from data_access.indicators import get_coverage, get_indicator_values
from data_access.messages import Message
from data_access.models import Activity, Region
from data_access.periods import Coverage, Period, month_label
from data_access.regions import (
    RegionInfo,
    get_city,
    get_region,
    scope_clause,
    select_region_info,
)
from data_access.registry import (
    DATA_LEVELS,
    INDICATORS,
    INDICATORS_BY_KEY,
    LEVELS,
    PILLARS,
    PILLARS_BY_KEY,
    Indicator,
    counts_activities,
)
from data_access.reports import LEVEL_NAMES, count_report_statuses, reportable_indicators
from data_access.scoring import get_region_share, get_settings, scaled_target


@dataclass(frozen=True)
class Rule:
    """One rule of the attention list: what it finds, how (help) and its thresholds."""

    key: str
    name: Message
    help: Message
    params: Mapping[str, float] = field(default_factory=dict)


RULES: tuple[Rule, ...] = (
    Rule(
        "behind_pace",
        Message("进度落后", "Behind target pace"),
        Message(
            "累计类指标：年初至今的数值低于全年目标按已过时间（月，当月按天）分摊后的 "
            "{shortfall:.0%} 以上，且至少差 {min_gap:.0f} 个单位；每个方面最多列 "
            "{per_pillar:.0f} 项。",
            "Flow indicators: the year-to-date value is more than {shortfall:.0%} and at least "
            "{min_gap:.0f} unit below the year's target shared out to the time elapsed (months; "
            "the current month by days); at most {per_pillar:.0f} per pillar.",
        ),
        {"shortfall": 0.10, "min_gap": 1, "per_pillar": 3},
    ),
    Rule(
        "falling",
        Message("同比下降", "Falling against last year"),
        Message(
            "指标比上年同期（同样的月份）变差 {fall:.0%} 以上且至少 {min_gap:.0f} 个单位（比率类"
            "指标：{points:.0f} 个百分点以上）；每个方面最多列 {per_pillar:.0f} 项。",
            "Indicators worse than in the same months a year earlier by more than {fall:.0%} "
            "and by at least {min_gap:.0f} unit (rates: by more than {points:.0f} percentage "
            "points); at most {per_pillar:.0f} per pillar.",
        ),
        {"fall": 0.10, "min_gap": 1, "points": 2.0, "per_pillar": 3},
    ),
    Rule(
        "child_fell",
        Message("下级得分下降", "Sub-region's score fell"),
        Message(
            "下级地区的综合指数或某一方面得分比上年同期下降 {points:.0f} 分以上（每个地区列"
            "降幅最大的一项），最多列 {max_items:.0f} 个。",
            "Sub-regions whose index or a pillar score fell by more than {points:.0f} points "
            "against the same months a year earlier (each region's largest fall), at most "
            "{max_items:.0f}.",
        ),
        {"points": 5.0, "max_items": 5},
    ),
    Rule(
        "child_bottom",
        Message("下级排名末位", "Sub-region in the bottom tenth"),
        Message(
            "同级至少 {min_siblings:.0f} 个地区时，综合指数、方面得分或主要指标（数量类按每万"
            "居民）排在最后 {share:.0%} 的下级地区，最多列 {max_items:.0f} 项。",
            "With at least {min_siblings:.0f} siblings: sub-regions in the bottom {share:.0%} by "
            "the index, a pillar score or a headline indicator (counts per 10,000 residents), "
            "at most {max_items:.0f}.",
        ),
        {"share": 0.10, "min_siblings": 10, "max_items": 8},
    ),
    Rule(
        "inactive",
        Message("社区无活动", "Community with no activity"),
        Message(
            "社区连续 {days:.0f} 天以上没有录入活动（截至所选时间段末或今天，取较早者），"
            "最多列 {max_items:.0f} 个。",
            "Communities with no activity recorded for more than {days:.0f} days (up to the "
            "period's end or today, whichever is earlier), at most {max_items:.0f}.",
        ),
        {"days": 60, "max_items": 10},
    ),
    Rule(
        "report_late",
        Message("月报逾期", "Monthly reports late"),
        Message(
            "截止日（次月 {deadline_day:.0f} 日）已过，月报仍未提交或未审核通过。",
            "Monthly reports not submitted or not approved by their deadline (day "
            "{deadline_day:.0f} of the next month).",
        ),
        {"deadline_day": 10},
    ),
)
RULES_BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}


def rule_help(rule: Rule) -> Message:
    """The rule's description with its thresholds filled in."""
    return Message(rule.help.zh.format(**rule.params), rule.help.en.format(**rule.params))


@dataclass(frozen=True)
class Link:
    """Where a line of the list leads: a page (its URL path), a region and a period."""

    page: str
    region_code: str
    period: str


@dataclass(frozen=True)
class AttentionItem:
    """One thing that needs attention: what (`rule`, `what`), where, how far off, and the link."""

    rule: str
    what: Message
    region_code: str
    region_name: Message
    key: str | None  # the pillar or indicator it is about
    off: float  # how far off, 0 (on the line) to 1 and more: the list is ordered by it
    off_text: Message
    link: Link


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.1f}"


def _name(region: RegionInfo) -> Message:
    return Message(region.name_zh, region.name_en)


def _ind_what(rule: str, ind: Indicator) -> Message:
    r = RULES_BY_KEY[rule].name
    return Message(f"{r.zh}：{ind.name_zh}", f"{r.en}: {ind.name_en}")


def _cap_per_pillar(items: list[AttentionItem], n: int) -> list[AttentionItem]:
    kept, seen = [], dict.fromkeys(PILLARS_BY_KEY, 0)
    for item in sorted(items, key=lambda i: -i.off):
        pillar = INDICATORS_BY_KEY[item.key].pillar if item.key in INDICATORS_BY_KEY else None
        if pillar is not None and seen[pillar] >= n:
            continue
        if pillar is not None:
            seen[pillar] += 1
        kept.append(item)
    return kept


def elapsed_months(first_month: int, as_of: date) -> float:
    """How many months of the year have passed on `as_of` from `first_month` (1..12): whole
    months before as_of's month, and as_of's month by its days."""
    days = calendar.monthrange(as_of.year, as_of.month)[1]
    return as_of.month - first_month + as_of.day / days


def behind_pace(
    region: RegionInfo,
    values: Mapping[str, float | None],
    year_targets: Mapping[str, float | None],
    elapsed: float,
    link_period: str,
) -> list[AttentionItem]:
    """Flow indicators whose year-to-date value is behind the year's target (for the region)
    shared out to the `elapsed` months."""
    rule = RULES_BY_KEY["behind_pace"]
    items = []
    for ind in INDICATORS:
        target, value = year_targets.get(ind.key), values.get(ind.key)
        if ind.kind != "flow" or target is None or value is None or target <= 0:
            continue
        pace = target * elapsed / 12
        if pace <= 0:
            continue
        gap = pace - value if ind.higher_is_better else value - pace
        off = gap / pace
        if off <= rule.params["shortfall"] or gap < rule.params["min_gap"]:
            continue  # within tolerance, or less than one activity (a pace of 0.04 is no pace)
        items.append(
            AttentionItem(
                rule.key,
                _ind_what(rule.key, ind),
                region.code,
                _name(region),
                ind.key,
                off,
                Message(
                    f"年初至今 {_num(value)}，按进度应达 {_num(pace)}（落后 {_pct(off)}）",
                    f"{_num(value)} so far this year against {_num(pace)} on pace "
                    f"({_pct(off)} behind)",
                ),
                Link(ind.pillar, region.code, link_period),
            )
        )
    return _cap_per_pillar(items, int(rule.params["per_pillar"]))


def falling(
    region: RegionInfo,
    now: Mapping[str, float | None],
    year_ago: Mapping[str, float | None],
    link_period: str,
) -> list[AttentionItem]:
    """Indicators worse than in the same months a year earlier by more than the thresholds."""
    rule = RULES_BY_KEY["falling"]
    items = []
    for ind in INDICATORS:
        value, before = now.get(ind.key), year_ago.get(ind.key)
        if value is None or before is None:
            continue
        worse = before - value if ind.higher_is_better else value - before
        if ind.kind in ("rate", "ratio"):
            if worse <= rule.params["points"]:
                continue
            off = worse / 100
            text = Message(
                f"{_num(before)} → {_num(value)}（{worse:.1f} 个百分点）",
                f"{_num(before)} → {_num(value)} ({worse:.1f} points)",
            )
        else:
            if before == 0 or worse / abs(before) <= rule.params["fall"]:
                continue
            if worse < rule.params["min_gap"]:
                continue  # 0.5 → 0.4 of a count is not a fall anyone can act on
            off = worse / abs(before)
            text = Message(
                f"上年同期 {_num(before)}，现 {_num(value)}（变差 {_pct(off)}）",
                f"{_num(before)} a year earlier, now {_num(value)} ({_pct(off)} worse)",
            )
        items.append(
            AttentionItem(
                rule.key,
                _ind_what(rule.key, ind),
                region.code,
                _name(region),
                ind.key,
                off,
                text,
                Link(ind.pillar, region.code, link_period),
            )
        )
    return _cap_per_pillar(items, int(rule.params["per_pillar"]))


def _measure_name(measure: str) -> Message:
    if measure == INDEX:
        return Message("综合指数", "the index")
    if measure in PILLARS_BY_KEY:
        p = PILLARS_BY_KEY[measure]
        return Message(p.name_zh, p.name_en)
    ind = INDICATORS_BY_KEY[measure]
    if per_residents(ind):
        return Message(f"{ind.name_zh}（每万居民）", f"{ind.name_en} (per 10,000 residents)")
    return Message(ind.name_zh, ind.name_en)


def _page_of(measure: str) -> str:
    if measure == INDEX:
        return "overview"
    return measure if measure in PILLARS_BY_KEY else INDICATORS_BY_KEY[measure].pillar


SCORE_MEASURES = (INDEX, *(p.key for p in PILLARS))


def _area_item(
    rule: Rule, measure: str, area: AreaIndex, off: float, off_text: Message, link_period: str
) -> AttentionItem:
    """A child region's line for one measure (the index, a pillar or an indicator), linking to
    the page that shows that measure for the region."""
    m, r = _measure_name(measure), rule.name
    return AttentionItem(
        rule.key,
        Message(f"{r.zh}：{m.zh}", f"{r.en}: {m.en}"),
        area.region.code,
        _name(area.region),
        None if measure == INDEX else measure,
        off,
        off_text,
        Link(_page_of(measure), area.region.code, link_period),
    )


def child_fell(
    now: list[AreaIndex], year_ago: list[AreaIndex], link_period: str
) -> list[AttentionItem]:
    """Child regions whose index or a pillar score fell most against a year earlier (each
    region's largest fall beyond the threshold)."""
    rule = RULES_BY_KEY["child_fell"]
    before = {a.region.id: a for a in year_ago}
    items = []
    for area in now:
        old = before.get(area.region.id)
        if old is None:
            continue
        worst = None
        for measure in SCORE_MEASURES:
            value, was = area_value(area, measure), area_value(old, measure)
            if value is None or was is None:
                continue
            fall = was - value
            if fall > rule.params["points"] and (worst is None or fall > worst[1]):
                worst = (measure, fall, was, value)
        if worst is None:
            continue
        measure, fall, was, value = worst
        items.append(
            _area_item(
                rule,
                measure,
                area,
                fall / 100,
                Message(
                    f"{was:.1f} → {value:.1f}（下降 {fall:.1f} 分）",
                    f"{was:.1f} → {value:.1f} (down {fall:.1f} points)",
                ),
                link_period,
            )
        )
    items.sort(key=lambda i: -i.off)
    return items[: int(rule.params["max_items"])]


BOTTOM_MEASURES = (
    *SCORE_MEASURES,
    *(i.key for i in INDICATORS if i.headline and per_residents(i)),
)


def child_bottom(now: list[AreaIndex], link_period: str) -> list[AttentionItem]:
    """Child regions in the bottom tenth of their siblings by the index, a pillar score or a
    headline indicator (counts per 10,000 residents); off is the gap to the siblings' median."""
    rule = RULES_BY_KEY["child_bottom"]
    if len(now) < rule.params["min_siblings"]:
        return []
    items = []
    for measure in BOTTOM_MEASURES:
        valued = [(area_value(a, measure), a) for a in now]
        valued = [(v, a) for v, a in valued if v is not None]
        if len(valued) < rule.params["min_siblings"]:
            continue
        better = higher_is_better(measure)
        valued.sort(key=lambda va: (va[0] if better else -va[0], va[1].region.code))
        n_bottom = int(len(valued) * rule.params["share"])
        median = sorted(v for v, _ in valued)[len(valued) // 2]
        for rank, (value, area) in enumerate(valued[:n_bottom]):
            gap = (median - value) if better else (value - median)
            if gap <= 0:
                continue
            off = gap / abs(median) if median else 1.0
            position = len(valued) - rank
            items.append(
                _area_item(
                    rule,
                    measure,
                    area,
                    off,
                    Message(
                        f"{_num(value)}，同级第 {position}/{len(valued)}（中位数 {_num(median)}）",
                        f"{_num(value)}, {position} of {len(valued)} (median {_num(median)})",
                    ),
                    link_period,
                )
            )
    items.sort(key=lambda i: -i.off)
    return items[: int(rule.params["max_items"])]


def inactive(
    last_days: Mapping[RegionInfo, date | None], as_of: date, link_period: str
) -> list[AttentionItem]:
    """Communities whose last activity (None: never) is more than the rule's days before as_of;
    off grows with the days (a year: 1)."""
    rule = RULES_BY_KEY["inactive"]
    items = []
    for region, last in last_days.items():
        days = None if last is None else (as_of - last).days
        if days is not None and days <= rule.params["days"]:
            continue
        off = 1.0 if days is None else min(days / 365, 1.0)
        items.append(
            AttentionItem(
                rule.key,
                rule.name,
                region.code,
                _name(region),
                None,
                off,
                Message("从未录入活动", "No activity ever recorded")
                if last is None
                else Message(
                    f"{days} 天无活动（最近一次 {last.isoformat()}）",
                    f"No activity for {days} days (last on {last.isoformat()})",
                ),
                Link("activity-log", region.code, link_period),
            )
        )
    items.sort(key=lambda i: (-i.off, i.region_code))
    return items[: int(rule.params["max_items"])]


def report_deadline(month: int) -> date:
    """The day a month's (yyyymm) reports are due approved: day N of the next month."""
    year, m = divmod(month, 100)
    year, m = (year + 1, 1) if m == 12 else (year, m + 1)
    return date(year, m, int(RULES_BY_KEY["report_late"].params["deadline_day"]))


def last_due_month(as_of: date) -> int:
    """The latest month (yyyymm) whose reports were due on or before as_of."""
    month = as_of.year * 100 + as_of.month
    for _ in range(3):
        month = month - 89 if month % 100 == 1 else month - 1
        if report_deadline(month) < as_of:
            return month
    return month


def completeness_month(period: Period, today: date) -> int:
    """The month (yyyymm) whose reports a period's completeness shows: the period's last month
    once its reports were due, else the latest month due by today, never a month to come."""
    return min(period.end, last_due_month(today))


def report_late(
    region: RegionInfo, month: int, level: str, counts: Mapping[str, int], total: int
) -> list[AttentionItem]:
    """One line when some of the month's reports of a level inside the region are not approved
    after their deadline; off is the share not approved."""
    rule = RULES_BY_KEY["report_late"]
    unsent = counts.get("not_started", 0) + counts.get("draft", 0) + counts.get("returned", 0)
    waiting = counts.get("submitted", 0)
    if total == 0 or unsent + waiting == 0:
        return []
    zh_level, en_level = LEVEL_NAMES[level]
    label = month_label(month)
    due = report_deadline(month).isoformat()
    return [
        AttentionItem(
            rule.key,
            Message(
                f"{rule.name.zh}：{zh_level}月报 {label}", f"{rule.name.en}: {en_level} {label}"
            ),
            region.code,
            _name(region),
            None,
            (unsent + waiting) / total,
            Message(
                f"{total} 个中 {unsent} 个未提交、{waiting} 个未审核（截止 {due}）",
                f"{unsent} of {total} not submitted, {waiting} not approved (due {due})",
            ),
            Link("report-review", region.code, label),
        )
    ]


def _month_end(yyyymm: int) -> date:
    year, month = divmod(yyyymm, 100)
    return date(year, month, calendar.monthrange(year, month)[1])


def get_last_activity_days(
    session: Session, region: RegionInfo, as_of: date, since: date
) -> dict[RegionInfo, date | None]:
    """The communities inside the region with no activity from `since` to as_of, each with its
    last activity's day (None: none up to as_of). One query: per community, one step back along
    the community-and-date index from as_of (a max over all its activities, or over the rollups
    of every month, would grow with the data)."""
    latest = (
        select(Activity.occurred_on)
        .where(
            Activity.community_id == Region.id,
            Activity.deleted_at.is_(None),
            Activity.occurred_on <= as_of,
        )
        .order_by(Activity.occurred_on.desc())
        .limit(1)
        .scalar_subquery()
        .label("last_day")
    )
    stmt = select_region_info().add_columns(latest).where(Region.level == "community")
    clause = scope_clause(Region, region)
    each = (stmt if clause is None else stmt.where(clause)).subquery()
    # Only the communities without activity since `since` leave the store (a few, not every
    # community of the region with its facts). One comparison, not "IS NULL OR <": SQLite
    # would step back along the index twice for each community.
    quiet = select(*each.c).where(func.coalesce(each.c.last_day, date.min) < since)
    return {RegionInfo(*info): day for *info, day in session.execute(quiet)}


def year_to_date(period: Period, today: date) -> Period | None:
    """The year to date at the earlier of the period's end and today, which the target pace
    weighs (None: the period has not begun)."""
    if period.start > today.year * 100 + today.month:
        return None
    as_of = min(today, _month_end(period.end))
    return Period(as_of.year, 1, as_of.month)


# How attention_items gets a region's indicator values: get_indicator_values itself, or the
# app's cached reader of it (data_access/cached.py), shared with the page that shows them.
IndicatorValues = Callable[[Session, RegionInfo, Period], dict[str, float | None]]


def attention_items(
    session: Session,
    region_code: str,
    period: Period,
    *,
    today: date,
    coverage: Coverage | None = None,
    indicator_values: IndicatorValues = get_indicator_values,
    child_indexes: ChildIndexes = get_child_indexes,
) -> list[AttentionItem]:
    """Everything that needs attention in the region for the period, most off first: the rules
    of RULES, up to the earlier of the period's end and `today`; the period's months so far
    and their bases as `coverage` says (indicators.get_coverage unless given). The figures are
    read through `indicator_values` and `child_indexes` (the app passes its cached readers)."""
    region, city = get_region(session, region_code), get_city(session)
    if region is None or city is None or region.level not in DATA_LEVELS:
        return []
    ytd = year_to_date(period, today)
    if ytd is None:
        return []
    cov = coverage or get_coverage(session, period, today)
    as_of = min(today, _month_end(period.end))
    link = str(period)
    items: list[AttentionItem] = []

    settings = get_settings(session)
    share = get_region_share(session, region, city)
    year_targets = {
        ind.key: scaled_target(ind, settings.targets.get(ind.key), share, Period(as_of.year, 1, 12))
        for ind in INDICATORS
    }
    items += behind_pace(
        region,
        indicator_values(session, region, ytd),
        year_targets,
        elapsed_months(1, as_of),
        link,
    )
    if cov.year_ago is not None:  # the same months a year earlier, all with data
        now = indicator_values(session, region, cov.span)
        if not cov.flows_comparable:  # a part of a month: counts are not compared
            now = {k: v for k, v in now.items() if not counts_activities(INDICATORS_BY_KEY[k])}
        items += falling(region, now, indicator_values(session, region, cov.year_ago), link)
    if region.level != "community":
        now, before = get_child_changes(session, region, city, cov.span, child_indexes)
        items += child_fell(now, before, link)
        items += child_bottom(now, link)
    since = as_of - timedelta(days=int(RULES_BY_KEY["inactive"].params["days"]))
    items += inactive(get_last_activity_days(session, region, as_of, since), as_of, link)
    due = last_due_month(as_of)
    for level in LEVELS[LEVELS.index(region.level) :]:
        if level not in DATA_LEVELS or not reportable_indicators(level):
            continue
        counts = count_report_statuses(session, region, due, level)
        items += report_late(region, due, level, counts, sum(counts.values()))
    return sorted(items, key=lambda i: (-i.off, i.rule, i.region_code, i.key or ""))
