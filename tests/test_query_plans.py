"""The page readers' queries find their rows through an index or a summary table: none scans the
activities, the rollups or the area summaries in full, so a cold page does not grow slower as
activities accumulate (issue 15). A query plan is deterministic where a timing is not.

How much each backend's check proves:
- SQLite: EXPLAIN QUERY PLAN is what will run (SQLite plans without table statistics unless
  ANALYZE was run, which the store never does). "SEARCH t USING INDEX (col=?)" reads a range;
  "SCAN t" (with or without USING INDEX) reads the whole table or index, and is refused; so is
  "USE TEMP B-TREE FOR ORDER BY" beside a read of the activities (a region's records read in
  full to be put in order).
- PostgreSQL: the planner chooses by cost, and on the small demo store a sequential scan is often
  the cheapest way even where an index exists. The plans are taken with `enable_seqscan = off`
  and `enable_sort = off`, so the check proves that an index able to serve each query exists
  and is usable (no full "Seq Scan", no index read end to end without a condition or a LIMIT,
  no Sort of activities under a LIMIT), not that the planner picks it on every store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import streamlit as st
from sqlalchemy import event

from data_access import cached

# The tables that grow with the activities (and the area summaries, which must be read by area
# and month, never whole).
BIG = (
    "activities",
    "rollups",
    "area_rollups",
    "area_year_rollups",
    "area_stocks",
    "reported_values",  # every month's approved values: grows with the months
)
_SQLITE_SCAN = re.compile(r"^SCAN (\w+)")

# Whole-index walks that stop early: (reader, table, index) with why it does not grow; allowed
# only in a statement with a LIMIT (the same reader's other statements are checked in full).
ALLOWED_WALKS = {
    # The city's latest 8 activities: read the latest entered first along the index of the
    # live records, stopping at the 8th (a region's are the end of its own index: a SEARCH).
    ("screen_snapshot", "activities", "ix_activities_live_id"),
    # The activity log's first page: the latest entered (or dated) first along the index of
    # the live records, stopping at the page's last record (LIMIT). A deeper page first finds
    # the record it starts at along the same index, holding the keys alone, from the nearer
    # end of the log (test_a_log_page_skips_no_record_rows below), then reads its records as a
    # range of that index.
    ("activity_page", "activities", "ix_activities_live_id"),
    ("activity_page", "activities", "ix_activities_live_date"),
}


READERS = [
    "has_regions",
    "city",
    "region",
    "data_months",
    "indicator_values",
    "ancestors",
    "children",
    "index",
    "child_indexes",
    "children_average",
    "index_trend",
    "monthly_values",
    "activity_totals",
    "screen_snapshot",
    "district_boundaries",
    "map_measures",
    "activity_weights",
    "region_by_id",
    "children_by_id",
    "compounds",
    "activity_page",
    "months_with_data",
    "last_activity_day",
    "attention",
    "ranked_children",
    "notes",
    "completeness",
    "reported_stocks",
    "settings",
]


def _calls(url: str) -> dict[str, list[tuple]]:
    """Each registered reader's arguments, at the levels whose queries differ."""
    city = cached.city(url)
    district = cached.children(url, city.code)[0]
    street = cached.children(url, district.code)[0]
    community = cached.children(url, street.code)[0]
    months = tuple(range(202501, 202513))
    return {
        "has_regions": [(url,)],
        "city": [(url,)],
        "region": [(url, district.code)],
        "data_months": [(url,)],
        "indicator_values": [(url, c, "2025") for c in (city.code, community.code)],
        "ancestors": [(url, community.code)],
        "children": [(url, city.code)],
        "index": [(url, c, "2025") for c in (city.code, district.code, community.code)],
        "child_indexes": [(url, c, "2025") for c in (city.code, district.code, street.code)],
        "children_average": [(url, c, "2025") for c in (city.code, street.code)],
        "index_trend": [(url, c, months) for c in (city.code, community.code)],
        "monthly_values": [(url, c, months) for c in (city.code, community.code)],
        "activity_totals": [(url, c, "2025") for c in (city.code, community.code)],
        "screen_snapshot": [(url, city.code, "2025"), (url, district.code, "2025-11")],
        "district_boundaries": [(url,)],
        "map_measures": [
            (url, city.code, level, "2025") for level in ("district", "street", "community")
        ],
        "activity_weights": [(url, city.code, "2025")],
        "region_by_id": [(url, district.id)],
        "children_by_id": [(url, district.id)],
        "compounds": [(url, community.id, None)],
        "activity_page": [
            (url, {"order": order, **where}, page, 50, "zh")
            for order in ("entered", "date")
            for page in (1, 3)
            for where in (
                {},
                *({"level": r.level, "region_id": r.id} for r in (district, street, community)),
            )
        ],
        "months_with_data": [(url,)],
        "last_activity_day": [(url,)],
        "settings": [(url,)],
        "attention": [(url, c, "2025", "2025-12-31") for c in (city.code, street.code)],
        "ranked_children": [(url, city.code, "2025", "index", "change", "2025-12-31")],
        "notes": [(url, None, city.code, 202501, 202512)],
        "completeness": [(url, c, 202512, "community") for c in (city.code, street.code)],
        "reported_stocks": [
            (url, c, "2025", s) for c in (city.code, community.code) for s in (False, True)
        ],
    }


@contextmanager
def _statements(engine) -> Iterator[list[tuple[str, object]]]:
    """The statements (with their parameters) the engine runs inside the block."""
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def _sqlite_full_scans(conn, statement: str, parameters) -> list[tuple[str, str]]:
    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    found = []
    for row in rows:
        scan = _SQLITE_SCAN.match(row[3])
        if scan and scan.group(1) in BIG:
            index = re.search(r"INDEX (\w+)", row[3])
            found.append((scan.group(1), index.group(1) if index else ""))
    # A region's activities read in full to be put in order (a TEMP B-TREE): a district's
    # latest activities once sorted all of its records (3.7 s at 7.4 million).
    reads = [re.match(r"^(?:SEARCH|SCAN) (\w+)", row[3]) for row in rows]
    if any(r and r.group(1) == "activities" for r in reads) and any(
        row[3] == "USE TEMP B-TREE FOR ORDER BY" for row in rows
    ):
        found.append(("activities", "sorted"))
    return found


def _pg_full_scans(conn, statement: str, parameters) -> list[tuple[str, str]]:
    # Sorting off too: a Sort that is still there has no index to read the rows in order.
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_sort = off")
    (plan,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: list[tuple[str, str]] = []

    def walk(node: dict, limited: bool) -> None:
        table = node.get("Relation Name")
        kind = node["Node Type"]
        if table in BIG:
            if kind == "Seq Scan":
                found.append((table, ""))
            elif "Index" in kind and "Index Cond" not in node and not limited:
                found.append((table, node.get("Index Name", "")))
        if kind == "Sort" and limited and any(_relation_reads(node, "activities")):
            found.append(("activities", "sorted"))  # as on SQLite: all to keep the first few
        for child in node.get("Plans", []):
            walk(child, limited or kind == "Limit")

    walk(plan[0]["Plan"], False)
    return found


def full_scans(url: str, name: str, args: tuple) -> list[tuple[str, str, str]]:
    """(table, index or "", statement) for each whole-table or whole-index read that the
    reader's queries would make (its cache cleared first, so that it runs)."""
    engine = cached.get_engine(url)
    explain: Callable = _sqlite_full_scans if url.startswith("sqlite") else _pg_full_scans
    cached.clear_readers()
    with _statements(engine) as seen:
        getattr(cached, name)(*args)
    out = []
    with engine.connect() as conn, conn.begin():
        for statement, parameters in seen:
            out += [(t, i, statement) for t, i in explain(conn, statement, parameters)]
    return out


@pytest.fixture
def plan_url(db_url: str) -> Iterator[str]:
    yield db_url
    st.cache_data.clear()
    st.cache_resource.clear()


def test_every_reader_has_its_plans_checked(sqlite_url: str) -> None:
    """A reader added to cached.py must be added here (its arguments), or its plans go unseen."""
    registered = {fn.__name__ for fn in cached.READERS}
    assert registered == set(READERS) == set(_calls(sqlite_url))
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("name", READERS)
def test_reader_reads_no_big_table_whole(plan_url: str, name: str) -> None:
    scans = [
        scan
        for args in _calls(plan_url)[name]
        for scan in full_scans(plan_url, name, args)
        if (name, scan[0], scan[1]) not in ALLOWED_WALKS or " LIMIT " not in scan[2]
    ]
    assert scans == []


@pytest.mark.parametrize("level", [None, "district", "street", "community"])
@pytest.mark.parametrize("order", ["entered", "date"])
def test_a_log_page_skips_no_record_rows(plan_url: str, order: str, level: str | None) -> None:
    """A page in the middle of the activity log (the whole city's, or a region's: a leader's
    scope, or the region chosen), and the pages next to it: no statement that reads the
    records' rows skips any (a SQL OFFSET reads and joins every record before the page: the
    last page of 7.4 million took 8–27 s); the only skipping walks an index of the records in the
    log's order, holding the sort keys alone; the page itself, and a page next to one shown, is
    a range of that index."""

    from data_access.activity_log import ActivityFilter, list_activities, page_key
    from data_access.db import read_session

    which = "dated" if order == "date" else "entered"
    if level is None:
        index = "ix_activities_live_date" if order == "date" else "ix_activities_live_id"
        flt = ActivityFilter(order=order)
    else:
        index = f"ix_activities_{level}_{which}"
        region = cached.city(plan_url)
        for _ in range(LEVEL_DEPTH[level]):
            region = cached.children(plan_url, region.code)[0]
        flt = ActivityFilter(order=order, level=level, region_id=region.id)
    engine = cached.get_engine(plan_url)
    size = 10
    with _statements(engine) as seen, read_session(engine) as session:
        pages = -(-list_activities(session, flt, 1, size)[1] // size)
        assert pages >= 5, pages
        seen.clear()
        middle = pages // 2
        rows, _ = list_activities(session, flt, middle, size)
        after = ("after", page_key(rows[-1], order))
        list_activities(session, flt, middle + 1, size, seek=after)
        before = ("before", page_key(rows[0], order))
        list_activities(session, flt, middle - 1, size, seek=before)
    offsets = [(s, p) for s, p in seen if " OFFSET " in s and "activities" in s]
    skipping = [
        (statement, parameters)
        for statement, parameters in offsets
        if (parameters[-1] if isinstance(parameters, tuple) else parameters.get("param_2", 0))
    ]
    assert len(skipping) == 1, offsets  # the deep page's start, found once
    statement, parameters = skipping[0]
    keys = re.split(r"\sFROM\s", statement)[0].split(",")
    assert len(keys) == (2 if order == "date" else 1), statement  # the sort keys alone
    pages = [s for s in seen if "activities.title" in s[0]]
    assert len(pages) == 3
    with engine.connect() as conn, conn.begin():
        if plan_url.startswith("sqlite"):
            walk = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            (step,) = (r[3] for r in walk)
            assert re.fullmatch(rf"(SCAN|SEARCH) activities USING COVERING INDEX {index}.*", step)
            for page, values in pages:
                steps = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {page}", values)]
                reads = [x for x in steps if x.startswith(("SCAN activities", "SEARCH activities"))]
                assert reads[0].startswith(f"SEARCH activities USING INDEX {index} ("), steps
                assert "USE TEMP B-TREE FOR ORDER BY" not in steps, steps
        else:
            # PostgreSQL chooses by cost, on a small store: as above, the plans are taken with
            # the other ways off, to prove that an index able to serve each statement in the
            # log's order exists and is usable.
            for way in ("seqscan", "bitmapscan", "sort", "incremental_sort"):
                conn.exec_driver_sql(f"SET LOCAL enable_{way} = off")
            for sql, values, walk in [(statement, parameters, True)] + [
                (page, values, False) for page, values in pages
            ]:
                (plan,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {sql}", values).one()
                plan = plan if isinstance(plan, list) else json.loads(plan)
                (read,) = _relation_reads(plan[0]["Plan"], "activities")
                assert "Sort" not in json.dumps(plan), plan  # read in the log's order
                if walk and level is None:
                    assert (read["Node Type"], read.get("Index Name")) == (
                        "Index Only Scan",
                        index,
                    ), read
                else:
                    assert read["Node Type"] in ("Index Scan", "Index Only Scan"), read
                    assert "Index Cond" in read, read


LEVEL_DEPTH = {"district": 1, "street": 2, "community": 3}


def _relation_reads(node: dict, table: str) -> Iterator[dict]:
    if node.get("Relation Name") == table:
        yield node
    for child in node.get("Plans", []):
        yield from _relation_reads(child, table)


def _raw_count(session, flt) -> int:
    """The records matching the filter, counted one by one (what the log counted before)."""
    from sqlalchemy import func, select

    from data_access.activity_log import _filtered
    from data_access.models import Activity

    return session.scalar(_filtered(session, select(func.count()).select_from(Activity), flt))


def test_the_logs_count_from_the_summaries_equals_the_records_count(db_url: str) -> None:
    """The activity log's total, read from the monthly summaries where they can answer (so that
    the log does not count every record), is the number of matching live records: for the whole
    store, whole months, a pillar or a type, a region at each level, and viewers whose scope
    holds the region or not."""
    from datetime import date

    from data_access.activity_log import ActivityFilter, _summary_count, count_activities
    from data_access.auth import get_account_by_username
    from data_access.db import read_session
    from data_access.regions import get_city, get_region_by_id, list_children
    from data_access.store import open_store

    engine = open_store(db_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        other_district = list_children(session, city.id)[1]
        street = list_children(session, district.id)[0]
        community = list_children(session, street.id)[0]
        leader = get_account_by_username(session, "leader")
        staff = get_account_by_username(session, "staff")
        staff_community = get_region_by_id(session, staff.scope_region_id)
        months = {"start": date(2025, 3, 1), "end": date(2025, 5, 31)}
        filters = [
            ActivityFilter(),
            ActivityFilter(**months),
            ActivityFilter(start=date(2025, 11, 1)),
            ActivityFilter(pillar="safety", **months),
            ActivityFilter(type_key="mediation"),
            ActivityFilter(level="district", region_id=district.id),
            ActivityFilter(level="street", region_id=street.id, pillar="service"),
            ActivityFilter(level="community", region_id=community.id, **months),
            ActivityFilter(level="street", region_id=district.id),  # an id of another level
            ActivityFilter(viewer=leader.id),
            ActivityFilter(viewer=leader.id, level="district", region_id=other_district.id),
            ActivityFilter(viewer=staff.id, type_key="mediation"),
            ActivityFilter(viewer=staff.id, level="community", region_id=staff_community.id),
            ActivityFilter(viewer=staff.id, level="district", region_id=district.id),
        ]
        for flt in filters:
            assert _summary_count(session, flt) is not None, flt
            assert count_activities(session, flt) == _raw_count(session, flt), flt
        assert count_activities(session, ActivityFilter()) > 0
        # Filters the summaries cannot answer are counted on the records.
        for flt in (
            ActivityFilter(start=date(2025, 3, 2)),
            ActivityFilter(end=date(2025, 3, 30)),
            ActivityFilter(text="调解"),
            ActivityFilter(deleted=True),
        ):
            assert _summary_count(session, flt) is None, flt
            assert count_activities(session, flt) == _raw_count(session, flt), flt
    engine.dispose()


def test_the_briefing_reads_no_big_table_whole(plan_url: str) -> None:
    """The briefing's figures (data_access/briefing/content.py) are read like the pages': no
    whole-table read of the activities or the summaries (its data span once asked min() and
    max() of the rollups in one query, which SQLite answers by reading every row)."""
    from datetime import date

    from data_access.briefing.content import get_briefing
    from data_access.db import read_session
    from data_access.periods import parse_period

    engine = cached.get_engine(plan_url)
    explain: Callable = _sqlite_full_scans if plan_url.startswith("sqlite") else _pg_full_scans
    city = cached.city(plan_url)
    district = cached.children(plan_url, city.code)[0]
    with _statements(engine) as seen:
        for region in (city, district):
            with read_session(engine) as session:
                get_briefing(session, region, parse_period("2025"), today=date(2025, 12, 31))
    with engine.connect() as conn, conn.begin():
        scans = [
            (t, i, statement)
            for statement, parameters in seen
            for t, i in explain(conn, statement, parameters)
        ]
    assert seen and scans == []


def test_an_import_check_reads_no_big_table_whole(plan_url: str) -> None:
    """Checking an activity sheet before its import (the page waits for it) finds the stored
    records that a row repeats by community and day: it once asked for them with a row-value
    IN list, which SQLite answered by reading every record (373 ms at 200 thousand)."""
    from sqlalchemy import select

    from data_access.db import read_session
    from data_access.importing import check_sheet, template_header
    from data_access.models import Region

    engine = cached.get_engine(plan_url)
    explain: Callable = _sqlite_full_scans if plan_url.startswith("sqlite") else _pg_full_scans
    header = template_header()
    with read_session(engine) as session:
        communities = session.scalars(
            select(Region.code).where(Region.level == "community").order_by(Region.id).limit(3)
        ).all()
        rows = [header]
        for n, code in enumerate(communities):
            row = dict.fromkeys(header, "")
            row.update({header[0]: "人民调解", header[3]: code, header[6]: f"2025-0{n + 1}-15"})
            row.update({header[7]: f"调解 {n}", "参与人数（人）": 2, "解决件数（件）": 1})
            rows.append([row[h] for h in header])
        with _statements(engine) as seen:
            result = check_sheet(session, rows)
    assert result.ok, result.errors
    with engine.connect() as conn, conn.begin():
        scans = [
            (t, i, statement)
            for statement, parameters in seen
            for t, i in explain(conn, statement, parameters)
        ]
    assert any("activities" in statement for statement, _p in seen)
    assert scans == []


def _plans(url: str, run: Callable) -> list[str]:
    """Each line of the plans of the SELECTs that `run(session)` sends: SQLite's EXPLAIN QUERY
    PLAN lines; PostgreSQL's plan nodes (with enable_seqscan off) as "Node Type on index"."""
    from data_access.db import read_session

    engine = cached.get_engine(url)
    with _statements(engine) as seen, read_session(engine) as session:
        run(session)
    lines: list[str] = []
    with engine.connect() as conn, conn.begin():
        for statement, parameters in seen:
            if url.startswith("sqlite"):
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                lines += [row[3] for row in plan]
                continue
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            (plan,) = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            nodes = [plan[0]["Plan"]]
            while nodes:
                node = nodes.pop()
                lines.append(f"{node['Node Type']} on {node.get('Index Name', '')}")
                nodes += node.get("Plans", [])
    return lines


def test_the_60_days_rule_reads_the_live_activities_index_alone(plan_url: str) -> None:
    """The 60-days-without-activity rule steps back once per community along the partial index
    of the live activities (migration 0012); on SQLite from the index alone (COVERING: no
    activity row read to see whether it was deleted)."""
    from datetime import date

    from data_access.attention import get_last_activity_days

    city = cached.city(plan_url)
    lines = _plans(
        plan_url,
        lambda s: get_last_activity_days(s, city, date(2025, 12, 31), date(2025, 11, 1)),
    )
    if plan_url.startswith("sqlite"):
        steps = [line for line in lines if "activities" in line]
        assert steps and all(
            "USING COVERING INDEX ix_activities_community_live" in line for line in steps
        ), lines
    else:
        assert any(line.endswith("on ix_activities_community_live") for line in lines), lines


def test_the_citys_report_counts_read_the_reports_index_alone(plan_url: str) -> None:
    """The city's count of a level's monthly reports by status reads the month-level-status
    index (migration 0012), not each region's report in turn."""
    from data_access.reports import count_report_statuses

    city = cached.city(plan_url)
    lines = _plans(plan_url, lambda s: count_report_statuses(s, city, 202511, "community"))
    if plan_url.startswith("sqlite"):
        assert any(
            line.startswith("SEARCH monthly_reports USING COVERING INDEX "
                            "ix_monthly_reports_month_level")
            for line in lines
        ), lines  # fmt: skip
    else:
        assert any(line.endswith("on ix_monthly_reports_month_level") for line in lines), lines


def test_a_years_ranking_sums_the_yearly_area_rollups(plan_url: str) -> None:
    """The districts' totals for a whole year read one row per district and type from the
    yearly area rollups by parent and year (migration 0012), not twelve monthly rows each."""
    from data_access.areas import get_totals_within
    from data_access.periods import parse_period

    city = cached.city(plan_url)
    lines = _plans(plan_url, lambda s: get_totals_within(s, city, "district", parse_period("2025")))
    if plan_url.startswith("sqlite"):
        assert any(
            line.startswith("SEARCH area_year_rollups USING INDEX ix_area_year_rollups_parent_year")
            for line in lines
        ), lines
    else:
        assert any(line.endswith("on ix_area_year_rollups_parent_year") for line in lines), lines
    assert not any("area_rollups" in line.replace("area_year_rollups", "") for line in lines)
