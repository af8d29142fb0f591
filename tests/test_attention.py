"""需关注 and 进步最快: the attention rules fire on constructed figures and not otherwise; the
most-improved ordering; the whole list on the demo store with the clock set."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from data_access.areas import AreaIndex, rank_areas
from data_access.attention import (
    RULES,
    RULES_BY_KEY,
    attention_items,
    behind_pace,
    child_bottom,
    child_fell,
    completeness_month,
    elapsed_months,
    falling,
    inactive,
    last_due_month,
    report_deadline,
    report_late,
    rule_help,
)
from data_access.db import read_session
from data_access.periods import Period, parse_period
from data_access.regions import RegionInfo, get_city
from data_access.registry import PILLARS
from data_access.scoring import IndexResult, PillarScore
from data_access.store import open_store
from tests.conftest import DEMO_TODAY
from ui.attention import SHOWN


def region(code: str, population: int = 100_000, level: str = "district") -> RegionInfo:
    return RegionInfo(int(code[-3:]), code, level, 1, f"区{code}", f"D{code}", 0, 0, population, 0)


def area(code: str, composite: float | None, pillars: dict | None = None, **values) -> AreaIndex:
    pillars = pillars or {}
    result = IndexResult(
        composite, tuple(PillarScore(p.key, pillars.get(p.key, 80.0), 1.0, ()) for p in PILLARS)
    )
    return AreaIndex(region(code, values.pop("population", 100_000)), result, values, 0)


CITY = region("210100", 9_000_000, "city")


# Rules as data


def test_every_rule_has_help_in_both_languages_with_its_thresholds():
    assert [r.key for r in RULES] == list(RULES_BY_KEY)
    for rule in RULES:
        text = rule_help(rule)
        assert text.zh and text.en and "{" not in text.zh + text.en


# Behind target pace


def test_behind_pace_fires_when_the_year_so_far_is_short_of_the_shared_out_target():
    # households_visited is a flow: a target of 1,200 a year is 600 by the end of June.
    items = behind_pace(CITY, {"households_visited": 400}, {"households_visited": 1200}, 6, "2025")
    assert [(i.rule, i.key) for i in items] == [("behind_pace", "households_visited")]
    assert items[0].off == pytest.approx(1 / 3)
    assert items[0].link.page == "governance" and items[0].link.region_code == "210100"
    assert "600" in items[0].off_text.zh and "600" in items[0].off_text.en


def test_behind_pace_is_quiet_on_pace_within_the_tolerance_and_for_stocks():
    on_pace = behind_pace(CITY, {"households_visited": 560}, {"households_visited": 1200}, 6, "")
    assert on_pace == []  # 7% short: inside the 10% tolerance
    stock = behind_pace(CITY, {"grids": 1}, {"grids": 14000}, 6, "")
    assert stock == []  # a standing figure has no pace


def test_behind_pace_and_falling_need_at_least_one_whole_unit():
    # A small community's share of a target: 0.4 on pace by June is not "100% behind".
    assert behind_pace(CITY, {"disputes_mediated": 0}, {"disputes_mediated": 0.8}, 6, "") == []
    assert falling(CITY, {"disputes_mediated": 0.5}, {"disputes_mediated": 1.2}, "") == []
    one = falling(CITY, {"disputes_mediated": 0}, {"disputes_mediated": 12}, "")
    assert [i.key for i in one] == ["disputes_mediated"]
    assert one[0].off_text.zh == "上年同期 12，现 0（变差 100%）"  # counts shown whole


def test_elapsed_months_counts_the_running_month_by_its_days():
    assert elapsed_months(1, date(2025, 6, 30)) == 6
    assert elapsed_months(1, date(2025, 4, 15)) == pytest.approx(3.5)


def test_behind_pace_keeps_at_most_the_rules_number_per_pillar():
    flows = ["households_visited", "disputes_mediated", "leader_hotline_days"]
    flows += ["hotline_requests_resolved"]  # four governance flows
    items = behind_pace(CITY, dict.fromkeys(flows, 0), dict.fromkeys(flows, 100.0), 12, "")
    assert len(items) == RULES_BY_KEY["behind_pace"].params["per_pillar"]


# Falling against last year


def test_falling_fires_for_counts_beyond_ten_percent_and_rates_beyond_two_points():
    now = {"disputes_mediated": 80, "hotline_satisfaction_rate": 95.0, "grids": 95}
    before = {"disputes_mediated": 100, "hotline_satisfaction_rate": 98.0, "grids": 100}
    items = {i.key: i for i in falling(CITY, now, before, "2025")}
    assert set(items) == {"disputes_mediated", "hotline_satisfaction_rate"}
    assert items["disputes_mediated"].off == pytest.approx(0.2)
    assert items["hotline_satisfaction_rate"].off == pytest.approx(0.03)


def test_falling_reads_the_direction_less_is_better_rising_is_falling():
    items = falling(
        CITY, {"zero_employment_households": 12}, {"zero_employment_households": 10}, ""
    )
    assert [i.key for i in items] == ["zero_employment_households"]
    improving = falling(
        CITY, {"zero_employment_households": 8}, {"zero_employment_households": 10}, ""
    )
    assert improving == []


def test_falling_is_quiet_when_better_or_unknown():
    assert falling(CITY, {"disputes_mediated": 120}, {"disputes_mediated": 100}, "") == []
    assert falling(CITY, {"disputes_mediated": 10}, {"disputes_mediated": None}, "") == []
    assert falling(CITY, {"disputes_mediated": 10}, {"disputes_mediated": 0}, "") == []


# Child regions


def test_child_fell_names_each_regions_largest_fall_beyond_the_threshold():
    now = [area("210101", 70.0, {"safety": 60.0}), area("210102", 79.0), area("210103", 80.0)]
    before = [area("210101", 80.0, {"safety": 80.0}), area("210102", 81.0), area("210103", 70.0)]
    items = child_fell(now, before, "2025")
    assert [(i.region_code, i.key) for i in items] == [("210101", "safety")]
    assert items[0].off == pytest.approx(0.2)
    assert items[0].link.page == "safety"


def test_child_bottom_needs_enough_siblings_and_names_the_last_tenth():
    kids = [area(f"210{100 + n}", 60.0 + n) for n in range(1, 12)]  # 11 siblings
    items = [i for i in child_bottom(kids, "2025") if i.key is None]
    assert [i.region_code for i in items] == ["210101"]  # the lowest index, 1 of 11
    assert child_bottom(kids[:9], "2025") == []  # fewer than 10 siblings: no bottom tenth


def test_child_bottom_compares_counts_per_10000_residents():
    # The same count in a district ten times smaller is ten times more per resident.
    kids = [
        area(f"210{100 + n}", 80.0, population=100_000, disputes_mediated=50.0)
        for n in range(1, 11)
    ]
    kids[0] = area("210101", 80.0, population=1_000_000, disputes_mediated=50.0)
    items = [i for i in child_bottom(kids, "") if i.key == "disputes_mediated"]
    assert [i.region_code for i in items] == ["210101"]


# Inactive communities and late reports


def test_inactive_fires_after_sixty_days_and_for_never():
    as_of = date(2025, 9, 30)
    a, b, c = region("1", level="community"), region("2", level="community"), region("3")
    items = inactive({a: date(2025, 7, 1), b: date(2025, 8, 15), c: None}, as_of, "2025Q3")
    assert [i.region_code for i in items] == ["3", "1"]  # never first, then 91 days
    assert items[1].link.page == "activity-log"
    assert inactive({a: date(2025, 8, 1)}, as_of, "") == []  # 60 days: not yet


def test_report_deadline_and_the_last_month_due():
    assert report_deadline(202511) == date(2025, 12, 10)
    assert report_deadline(202512) == date(2026, 1, 10)
    assert last_due_month(date(2026, 1, 11)) == 202512
    assert last_due_month(date(2026, 1, 10)) == 202511


def test_report_late_fires_only_with_reports_missing():
    counts = {"approved": 8, "submitted": 1, "draft": 1, "not_started": 0, "returned": 0}
    (item,) = report_late(CITY, 202511, "community", counts, 10)
    assert item.off == pytest.approx(0.2) and item.link.page == "report-review"
    done = {"approved": 10}
    assert report_late(CITY, 202511, "community", done, 10) == []


# Most improved


def test_rank_areas_by_level_and_by_change_most_improved_first():
    now = [area("210101", 90.0), area("210102", 70.0), area("210103", None)]
    before = [area("210101", 89.0), area("210102", 50.0), area("210103", 60.0)]
    by_level = rank_areas(now, before, "index")
    assert [r.region.code for r in by_level] == ["210101", "210102", "210103"]
    by_change = rank_areas(now, before, "index", by="change")
    assert [r.region.code for r in by_change] == ["210102", "210101", "210103"]
    assert by_change[0].change == pytest.approx(20.0)


def test_rank_areas_change_per_10000_residents_sees_the_small_district():
    big_now = area("210101", 80.0, population=1_000_000, disputes_mediated=1100.0)
    big_then = area("210101", 80.0, population=1_000_000, disputes_mediated=1000.0)
    small_now = area("210102", 80.0, population=50_000, disputes_mediated=80.0)
    small_then = area("210102", 80.0, population=50_000, disputes_mediated=40.0)
    ranked = rank_areas([big_now, small_now], [big_then, small_then], "disputes_mediated", "change")
    # +100 in the big one is +1 per 10,000; +40 in the small one is +8 per 10,000.
    assert [r.region.code for r in ranked] == ["210102", "210101"]
    assert ranked[0].change == pytest.approx(8.0)


def test_rank_areas_for_less_is_better_puts_the_lowest_and_the_largest_drop_first():
    now = [
        area("210101", 80, zero_employment_households=5.0),
        area("210102", 80, zero_employment_households=9.0),
    ]
    then = [
        area("210101", 80, zero_employment_households=6.0),
        area("210102", 80, zero_employment_households=20.0),
    ]
    assert [r.region.code for r in rank_areas(now, then, "zero_employment_households")] == [
        "210101",
        "210102",
    ]
    assert [
        r.region.code for r in rank_areas(now, then, "zero_employment_households", "change")
    ] == ["210102", "210101"]


def test_completeness_shows_the_last_month_due_never_a_month_to_come():
    # Reports of a month are due on a day of the next: on 30 November, October's are the last due.
    assert completeness_month(parse_period("2026"), date(2026, 11, 30)) == 202610
    assert completeness_month(parse_period("2026-12"), date(2026, 12, 1)) == 202610
    assert completeness_month(parse_period("2025"), date(2026, 11, 30)) == 202512


# On the demo store


@pytest.fixture
def clock(monkeypatch):
    def set_to(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
        monkeypatch.setattr("data_access.clock.now", lambda: moment)

    return set_to


def test_attention_items_on_the_demo_store_ranked_and_linked(db_url, clock):
    from data_access import clock as the_clock

    clock(date(2026, 3, 20))  # the months of the demo are long over: communities fall silent
    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        items = attention_items(session, city.code, parse_period("2025Q4"), today=the_clock.today())
        later = attention_items(
            session, city.code, parse_period("2026-03"), today=the_clock.today()
        )
    engine.dispose()
    assert items and [i.off for i in items] == sorted((i.off for i in items), reverse=True)
    assert all(i.link.region_code and i.link.page for i in items)
    assert {i.rule for i in items} <= set(RULES_BY_KEY)
    # March 2026 has no activities at all: every community has been silent more than 60 days.
    silent = [i for i in later if i.rule == "inactive"]
    assert len(silent) == RULES_BY_KEY["inactive"].params["max_items"]
    assert not [i for i in items if i.rule == "inactive" and "从未" in i.off_text.zh]


def test_a_year_so_far_falls_against_the_same_months_with_data_a_year_earlier(sqlite_url):
    """On the first day of a month nothing is recorded in it yet: the year so far is the months
    before, compared with the same months a year earlier, as the pages read it (not against two
    months of last year)."""
    from data_access.indicators import get_coverage, get_indicator_values

    engine = open_store(sqlite_url)
    today = date(DEMO_TODAY.year, DEMO_TODAY.month + 1, 1)  # the demo's data end in DEMO_TODAY
    with read_session(engine) as session:
        city = get_city(session)
        year = Period(today.year, 1, 12)
        span = get_coverage(session, year, today).span
        expected = falling(
            city,
            get_indicator_values(session, city, span),
            get_indicator_values(session, city, span.year_ago()),
            str(year),
        )
        items = attention_items(session, city.code, year, today=today)
    engine.dispose()
    assert span == Period(today.year, 1, today.month - 1)
    got = [(i.key, i.off_text) for i in items if i.rule == "falling"]
    assert got == [(i.key, i.off_text) for i in sorted(expected, key=lambda i: -i.off)]


# On the pages (AppTest) and the wall screen


def test_overview_panel_lists_the_items_with_rules_and_opens_the_first(app_env, clock):
    from tests.auth_helpers import app_as

    clock(date(2026, 3, 20))
    engine = open_store(app_env)
    with read_session(engine) as session:
        city = get_city(session)
        expected = attention_items(
            session, city.code, parse_period("2025Q4"), today=date(2026, 3, 20)
        )
    engine.dispose()
    at = app_as(app_env, "admin", period="2025Q4")
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert f"#### 需关注（{len(expected)} 项）" in texts
    lines = [b.label for b in at.button if b.key.startswith("attention_open_")]
    assert len(lines) == SHOWN == 5  # each line is its own button; the rest folded
    assert expected[0].what.zh.split("：")[0] in lines[0]
    assert len(expected) > SHOWN  # the demo city has more than the panel shows
    # The rules' popover is drawn closed (one element); opened, it lists every rule.
    assert not any(RULES[0].name.zh in text for text in texts)
    at.session_state["attention_rules"] = True  # what opening the popover sets
    at.run()
    texts = [m.value for m in at.markdown]
    assert all(any(rule.name.zh in text for text in texts) for rule in RULES)
    at.session_state[f"attention_more_{city.code}_2025Q4"] = True  # what opening "n more" sets
    at.run()
    lines = [b.label for b in at.button if b.key.startswith("attention_open_")]
    assert len(lines) == len(expected)  # the rest, drawn once opened
    at.button(key="attention_open_0").click().run()
    assert not at.exception
    assert at.query_params["region"] == expected[0].link.region_code


def test_the_overview_ranking_orders_by_most_improved(app_env, clock):
    from data_access.areas import get_child_changes
    from tests.auth_helpers import app_as
    from tests.cards_html import tables as html_tables

    clock(date(2026, 3, 20))
    engine = open_store(app_env)
    with read_session(engine) as session:
        city = get_city(session)
        now, before = get_child_changes(session, city, city, parse_period("2025"))  # over by 2026
    engine.dispose()
    improved = [r.region.code for r in rank_areas(now, before, "index", "change")]
    at = app_as(app_env, "admin", period="2025")
    at.segmented_control(key=f"order_rank_{city.code}").set_value("change").run()
    assert not at.exception
    table = next(t for t in html_tables(at) if "幸福指数（分）" in t.columns)
    assert list(table["地区代码"]) == improved
    assert any(c.startswith("较上年同期变化") for c in table.columns)
    by_level = [r.region.code for r in rank_areas(now, before, "index")]
    assert improved != by_level  # the test tells the two orders apart


def test_the_wall_screen_slides_escape_and_parse(monkeypatch):
    from ui import attention as ui_attention
    from ui import screen

    config, notices = screen.parse_config({"slides": "attention,improved"}, "2025")
    assert config.slides == ("attention", "improved") and not notices
    hostile = region("210101")
    hostile = RegionInfo(*[*vars(hostile).values()][:4], "<script>x</script>", "<b>", 0, 0, 1, 0)
    item = falling(hostile, {"disputes_mediated": 1}, {"disputes_mediated": 100}, "2025")[0]
    ranked = rank_areas([area("210101", 50.0)], [area("210101", 40.0)], "index", "change")
    ranked = [type(ranked[0])(hostile, 50.0, 40.0, 10.0)]
    snap = {"region": CITY, "attention": (item,), "improved": ranked}
    for slide in ui_attention.SCREEN_SLIDES:
        out = ui_attention.slide_html(slide, snap)
        assert "<script>" not in out and "&lt;script&gt;" in out


def test_docs_index_method_lists_every_rule_with_its_thresholds():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "index-method.md").read_text("utf-8")
    for rule in RULES:
        assert f"| `{rule.key}` | {rule.name.zh} · {rule.name.en} | {rule_help(rule).en} |" in doc


def test_a_pillar_pages_sub_regions_order_by_most_improved(app_env, clock):
    import json

    from tests.auth_helpers import app_as

    clock(date(2026, 3, 20))
    at = app_as(app_env, "admin", page="app_pages/safety.py", period="2025")
    at.selectbox(key="ind_safety").set_value("three_zero_deployments").run()  # a flow
    at.segmented_control(key="order_ind_safety").set_value("change").run()
    assert not at.exception
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    bars = [s["encoding"]["x"]["field"] for s in specs if "params" in s]
    assert any(field.startswith("较上年同期变化") for field in bars), bars


def test_the_report_counts_equal_the_completeness_counts(db_url):
    """What needs attention counts the reports by status in one grouped query (the city's from
    the reports' month-level-status index and the level's number of regions): the same numbers
    as the completeness the pages show, for each region level, reporting level and month (the
    demo's last month has drafts, returned and submitted ones), on both engines."""
    from data_access.regions import list_children
    from data_access.reports import count_report_statuses, get_completeness

    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        street = list_children(session, district.id)[0]
        seen = set()
        for region in (city, district, street):
            for level in ("community", "street", "district"):
                for month in (202511, 202512, 202601):
                    done = get_completeness(session, region, month, level)
                    counts = count_report_statuses(session, region, month, level)
                    assert counts == done.counts and sum(counts.values()) == done.total
                    seen |= {status for status, n in counts.items() if n}
    engine.dispose()
    assert {"approved", "not_started"} < seen and len(seen) >= 3


def test_the_quiet_communities_are_those_whose_latest_activity_is_before_since(db_url):
    """get_last_activity_days reads one step back per community and returns only the quiet
    ones: the same communities and days as the latest live activity of each, counted whole,
    for days with communities that never recorded one, some quiet and none."""
    from sqlalchemy import func, select

    from data_access.attention import get_last_activity_days
    from data_access.models import Activity, Region
    from data_access.regions import list_children

    engine = open_store(db_url)
    seen: set[str] = set()
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        first = session.scalar(select(func.min(Activity.occurred_on)))
        communities = dict(
            session.execute(
                select(Region.id, Region.district_id).where(Region.level == "community")
            ).all()
        )
        for as_of, days in ((first.replace(day=min(first.day + 3, 28)), 2), (DEMO_TODAY, 60)):
            since = date.fromordinal(as_of.toordinal() - days)
            latest = dict(
                session.execute(
                    select(Activity.community_id, func.max(Activity.occurred_on))
                    .where(Activity.deleted_at.is_(None), Activity.occurred_on <= as_of)
                    .group_by(Activity.community_id)
                ).all()
            )
            for region in (city, district):
                found = get_last_activity_days(session, region, as_of, since)
                expected = {
                    cid: latest.get(cid)
                    for cid, did in communities.items()
                    if (region.level == "city" or did == region.id)
                    and (latest.get(cid) is None or latest[cid] < since)
                }
                assert {r.id: day for r, day in found.items()} == expected
                seen |= {"never" if d is None else "quiet" for d in expected.values()}
                seen |= {"active"} if len(expected) < len(communities) else set()
    engine.dispose()
    assert seen == {"never", "quiet", "active"}
