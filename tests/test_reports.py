"""The monthly report (月报): the workflow, its scope rules and audit, the carried-forward
standing figures and the area stocks, on SQLite and PostgreSQL. Every test works inside a
transaction that is rolled back, so the shared demo store stays as seeded."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from data_access import reports
from data_access.accounts import add_account
from data_access.auth import PermissionDenied
from data_access.indicators import get_indicator_values
from data_access.models import AreaStock, AuditLog, MonthlyReport, Region
from data_access.periods import parse_period
from data_access.regions import get_city, get_region_by_id, list_children
from data_access.report_sheets import import_report_sheet, template_xlsx
from data_access.reports import (
    ReportError,
    ReportInvalid,
    approve_reports,
    get_completeness,
    get_report_form,
    list_review_queue,
    reopen_report,
    reportable_indicators,
    return_report,
    save_report,
)
from data_access.rollups import compare_area_stocks
from data_access.stocks import get_reported_stocks
from data_access.store import open_store
from tests.conftest import DEMO_LAST_MONTH, ROOT

# The months these tests report: after the demo's own (some communities have begun
# DEMO_TODAY's month in the demo), so that no report of them exists before a test writes one.
FIRST, SECOND = 202602, 202603
NOW = datetime(2026, 4, 5, 8, 0)  # UTC, injected: both months have started


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = open_store(db_url)
    with Session(engine) as s:
        yield s
        s.rollback()
    engine.dispose()


def _account(session: Session, name: str, role: str, scope: int) -> int:
    return add_account(session, None, name, name, role, scope, sso_identity=f"{name}@test")


class Place:
    """A street with two communities, a staff account for each, the street's reviewer, a
    leader and an admin, all made inside the test's transaction."""

    def __init__(self, session: Session) -> None:
        city = get_city(session)
        district = list_children(session, city.id)[0]
        streets = list_children(session, district.id)
        self.street, self.other_street = streets[0], streets[1]
        self.c1, self.c2 = list_children(session, self.street.id)[:2]
        self.far = list_children(session, self.other_street.id)[0]
        self.city, self.district = city, district
        self.staff1 = _account(session, "t_staff1", "staff", self.c1.id)
        self.staff2 = _account(session, "t_staff2", "staff", self.c2.id)
        self.far_staff = _account(session, "t_far", "staff", self.far.id)
        self.reviewer = _account(session, "t_street", "staff", self.street.id)
        self.other_reviewer = _account(session, "t_street2", "staff", self.other_street.id)
        self.leader = _account(session, "t_leader", "leader", district.id)
        self.admin = _account(session, "t_admin", "admin", city.id)


@pytest.fixture
def place(session: Session) -> Place:
    return Place(session)


def _values(form) -> dict[str, float]:
    return {row.indicator_key: row.value for row in form.rows}


def _city(session: Session, period: str) -> dict:
    return get_indicator_values(session, get_city(session), parse_period(period))


def _submit(session, actor, community, month, change=None):
    values = _values(get_report_form(session, actor, community.id, month))
    values.update(change or {})
    return save_report(session, actor, community.id, month, values, submit=True, now=NOW)


def test_form_is_prefilled_with_the_last_approved_values(session, place):
    form = get_report_form(session, place.staff1, place.c1.id, FIRST)
    assert form.status == "not_started" and form.version == 0 and form.editable
    keys = [r.indicator_key for r in form.rows]
    assert keys == [i.key for i in reportable_indicators("community")]
    grids = next(r for r in form.rows if r.indicator_key == "grids")
    assert grids.prefilled and grids.previous_month == 202512
    assert grids.value == grids.previous and grids.value >= 1
    assert grids.definition_zh and grids.definition_en and grids.unit_zh


def test_draft_then_submit_then_approve_publishes_one_regions_values(session, place):
    before = _city(session, "2026-02")
    values = _values(get_report_form(session, place.staff1, place.c1.id, FIRST))
    values["grids"] += 1
    values["safety_watchers"] = None  # a draft may have blanks
    draft = save_report(session, place.staff1, place.c1.id, FIRST, values, now=NOW)
    assert (draft.status, draft.version) == ("draft", 1)
    form = get_report_form(session, place.staff1, place.c1.id, FIRST)
    assert form.status == "draft"
    assert next(r for r in form.rows if r.indicator_key == "safety_watchers").value is None
    with pytest.raises(ReportInvalid) as blank:
        save_report(session, place.staff1, place.c1.id, FIRST, values, submit=True, now=NOW)
    assert [e.field for e in blank.value.errors] == ["safety_watchers"]
    values["safety_watchers"] = get_reported_stocks(session, place.c1, parse_period("2025-12"))[
        "safety_watchers"
    ].value
    sent = save_report(
        session, place.staff1, place.c1.id, FIRST, values, submit=True, expected_version=1, now=NOW
    )
    assert (sent.status, sent.version) == ("submitted", 2)
    assert _city(session, "2026-02") == before  # submitted is not counted
    assert approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW) == [place.c1.id]
    after = _city(session, "2026-02")
    assert after["grids"] == before["grids"] + 1
    changed = {k for k in after if after[k] != before[k]}
    assert changed <= {"grids", "community_workers_per_10k"}
    assert compare_area_stocks(session) == []
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity == "monthly_report", AuditLog.entity_id == str(sent.report_id))
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["create", "submit", "approve"]  # the refused submit wrote nothing
    with pytest.raises(ReportError) as locked:
        save_report(session, place.staff1, place.c1.id, FIRST, values, now=NOW)
    assert locked.value.kind == "locked"


def test_one_early_report_does_not_change_the_citys_other_values(session, place):
    """The issue's bug: one community's report for a new month (grids = 5) made the city's
    grids 5 and its safety watchers 0 for the year."""
    before = _city(session, "2026")
    _submit(session, place.staff1, place.c1, FIRST, {"grids": 5})
    approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW)
    after = _city(session, "2026")
    old_grids = get_reported_stocks(session, place.c1, parse_period("2025-12"))["grids"].value
    assert after["grids"] == before["grids"] - old_grids + 5
    assert after["safety_watchers"] == before["safety_watchers"] > 0
    stock = get_reported_stocks(session, get_city(session), parse_period("2026"))["grids"]
    assert stock.as_of <= 202512  # most regions still stand at December (or older)


def test_validation_refuses_with_messages_in_both_languages(session, place):
    values = _values(get_report_form(session, place.staff1, place.c1.id, FIRST))
    values.update({"grids": -1, "safety_watchers": 2.5, "pioneer_posts": "many"})
    with pytest.raises(ReportInvalid) as bad:
        save_report(session, place.staff1, place.c1.id, FIRST, values, submit=True, now=NOW)
    errors = {e.field: e for e in bad.value.errors}
    assert set(errors) == {"grids", "safety_watchers", "pioneer_posts"}
    assert errors["grids"].message.zh == "不能是负数。"
    assert errors["safety_watchers"].message.en == "Enter a whole number."
    assert (
        session.scalar(
            select(MonthlyReport.id).where(
                MonthlyReport.region_id == place.c1.id, MonthlyReport.month == FIRST
            )
        )
        is None
    )


def test_plausibility_warning_saves_all_the_same(session, place):
    values = _values(get_report_form(session, place.staff1, place.c1.id, FIRST))
    values["grids"] = values["grids"] * 3
    result = save_report(session, place.staff1, place.c1.id, FIRST, values, now=NOW)
    assert result.status == "draft"
    assert [w.field for w in result.warnings] == ["grids"]
    assert "2025-12" in result.warnings[0].message.zh


def test_return_with_comment_then_resubmit_then_approve(session, place):
    _submit(session, place.staff1, place.c1, FIRST)
    return_report(session, place.reviewer, place.c1.id, FIRST, "网格数不对", now=NOW)
    form = get_report_form(session, place.staff1, place.c1.id, FIRST)
    assert (form.status, form.comment, form.editable) == ("returned", "网格数不对", True)
    with pytest.raises(ReportError):
        return_report(session, place.reviewer, place.c1.id, FIRST, "again", now=NOW)
    with pytest.raises(ReportError):
        return_report(session, place.reviewer, place.c1.id, FIRST, "  ", now=NOW)
    _submit(session, place.staff1, place.c1, FIRST, {"grids": 7})
    approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW)
    stocks = get_reported_stocks(session, place.c1, parse_period("2026-02"))
    assert stocks["grids"].value == 7 and stocks["grids"].as_of == FIRST


def test_approve_all_takes_only_the_submitted_reports_the_reviewer_reviews(session, place):
    _submit(session, place.staff1, place.c1, FIRST)
    _submit(session, place.staff2, place.c2, FIRST)
    _submit(session, place.far_staff, place.far, FIRST)
    approved = approve_reports(session, place.reviewer, FIRST, None, now=NOW)
    assert sorted(approved) == sorted([place.c1.id, place.c2.id])
    queue = {r.region_id: r for r in list_review_queue(session, place.reviewer, FIRST)}
    assert queue[place.c1.id].status == "approved" and place.far.id not in queue
    other = {r.region_id: r for r in list_review_queue(session, place.other_reviewer, FIRST)}
    assert other[place.far.id].status == "submitted"
    assert all(r.status == "not_started" for k, r in other.items() if k != place.far.id)
    assert compare_area_stocks(session) == []


def test_review_queue_lists_changes_against_last_approved(session, place):
    _submit(session, place.staff1, place.c1, FIRST, {"grids": 99})
    row = next(
        r for r in list_review_queue(session, place.reviewer, FIRST) if r.region_id == place.c1.id
    )
    assert row.status == "submitted" and row.submitted_at == NOW
    assert [c.indicator_key for c in row.changes] == ["grids"]
    assert row.changes[0].value == 99 and row.changes[0].previous_month == 202512


def test_scope_refusals(session, place):
    values = _values(get_report_form(session, place.staff1, place.c1.id, FIRST))
    for actor in (place.leader, place.far_staff, place.staff2):
        with pytest.raises(PermissionDenied):
            save_report(session, actor, place.c1.id, FIRST, values, now=NOW)
    _submit(session, place.staff1, place.c1, FIRST)
    for actor in (place.staff1, place.other_reviewer, place.leader):
        with pytest.raises(PermissionDenied):
            approve_reports(session, actor, FIRST, [place.c1.id], now=NOW)
        with pytest.raises(PermissionDenied):
            return_report(session, actor, place.c1.id, FIRST, "no", now=NOW)
    approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW)
    for actor in (place.reviewer, place.staff1, place.leader):
        with pytest.raises(PermissionDenied):
            reopen_report(session, actor, place.c1.id, FIRST, "wrong", now=NOW)
    with pytest.raises(PermissionDenied):
        get_report_form(session, place.far_staff, place.c1.id, FIRST)


def test_stale_version_is_a_conflict(session, place):
    values = _values(get_report_form(session, place.staff1, place.c1.id, FIRST))
    save_report(session, place.staff1, place.c1.id, FIRST, values, now=NOW)
    save_report(session, place.reviewer, place.c1.id, FIRST, values, expected_version=1, now=NOW)
    with pytest.raises(ReportError) as conflict:
        save_report(session, place.staff1, place.c1.id, FIRST, values, expected_version=1, now=NOW)
    assert conflict.value.kind == "conflict"


def test_reopen_withdraws_the_values_and_the_totals_follow(session, place):
    before = get_reported_stocks(session, place.street, parse_period("2026-02"))
    _submit(session, place.staff1, place.c1, FIRST, {"grids": 50})
    approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW)
    assert get_reported_stocks(session, place.street, parse_period("2026-02")) != before
    reopen_report(session, place.admin, place.c1.id, FIRST, "数据录错", now=NOW)
    assert get_reported_stocks(session, place.street, parse_period("2026-02")) == before
    form = get_report_form(session, place.staff1, place.c1.id, FIRST)
    assert (form.status, form.comment) == ("returned", "数据录错")
    assert compare_area_stocks(session) == []


def test_carry_forward_late_and_out_of_order_reports(session, place):
    dec = get_reported_stocks(session, place.c1, parse_period("2025-12"))["grids"].value
    _submit(session, place.staff1, place.c1, SECOND, {"grids": 30})
    approve_reports(session, place.reviewer, SECOND, [place.c1.id], now=NOW)
    first = get_reported_stocks(session, place.c1, parse_period("2026-02"))["grids"]
    assert (first.value, first.as_of) == (dec, 202512)  # not reported: December stands
    # The first month is reported late, after the second: it stands for its month only.
    _submit(session, place.staff1, place.c1, FIRST, {"grids": 20})
    approve_reports(session, place.reviewer, FIRST, [place.c1.id], now=NOW)
    got = {
        p: get_reported_stocks(session, place.c1, parse_period(p))["grids"].value
        for p in ("2025-12", "2026-02", "2026-03", "2026-06")
    }
    assert got == {"2025-12": dec, "2026-02": 20, "2026-03": 30, "2026-06": 30}
    street = get_reported_stocks(session, place.street, parse_period("2026-03"))["grids"]
    assert street.as_of <= 202512 and compare_area_stocks(session) == []


def test_a_region_that_never_reported_has_no_value(session, place):
    assert get_reported_stocks(session, place.c1, parse_period("2023")) == {}
    values = get_indicator_values(session, get_city(session), parse_period("2023"))
    assert values["grids"] is None and values["safety_watchers"] is None


def test_what_if_counts_submitted_values(session, place):
    period = parse_period("2026-02")
    before = get_reported_stocks(session, place.street, period)["grids"].value
    old = get_reported_stocks(session, place.c1, period)["grids"].value
    _submit(session, place.staff1, place.c1, FIRST, {"grids": old + 4})
    assert get_reported_stocks(session, place.street, period)["grids"].value == before
    what_if = get_reported_stocks(session, place.street, period, include_submitted=True)
    assert what_if["grids"].value == before + 4


def test_completeness_of_the_last_demo_month(session):
    city = get_city(session)
    done = get_completeness(session, city, DEMO_LAST_MONTH)
    assert done.total == 1158
    assert done.counts == {
        "not_started": 4,
        "draft": 3,
        "submitted": 4,
        "returned": 3,
        "approved": 1144,
    }
    assert len(done.late) == 14 and all(r.parent_code for r in done.late)
    assert [r.parent_code for r in done.late] == sorted(r.parent_code for r in done.late)
    street = get_region_by_id(session, session.get(Region, done.late[0].region_id).parent_id)
    mine = get_completeness(session, street, DEMO_LAST_MONTH)
    assert done.late[0].region_id in {r.region_id for r in mine.late}
    assert mine.total == len(list_children(session, street.id))


def test_check_finds_a_tampered_area_stock(session):
    assert compare_area_stocks(session) == []
    city = get_city(session)
    session.execute(
        update(AreaStock)
        .where(AreaStock.region_id == city.id, AreaStock.indicator_key == "grids")
        .values(value=99_999)
    )
    diffs = compare_area_stocks(session)
    assert diffs and {d.region_id for d in diffs} == {city.id}
    assert all(d.stored[0] == 99_999 for d in diffs)


def test_check_command_exits_1_on_a_tampered_area_stock(sqlite_url, tmp_path):
    path = sqlite_url.removeprefix("sqlite:///")
    copy = tmp_path / "tampered.db"
    shutil.copy(path, copy)
    url = f"sqlite:///{copy}"

    def check() -> subprocess.CompletedProcess:
        args = [sys.executable, "-m", "data_access", "check", "--db", url]
        return subprocess.run(args, capture_output=True, text=True, cwd=ROOT)

    assert check().returncode == 0
    engine = open_store(url)
    with Session(engine) as s, s.begin():
        city = get_city(s)
        s.execute(
            update(AreaStock)
            .where(AreaStock.region_id == city.id, AreaStock.indicator_key == "grids")
            .values(value=99_999)
        )
    engine.dispose()
    result = check()
    assert result.returncode == 1 and "grids" in result.stdout


def _sheet_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [list(r) for r in book["月报"].iter_rows(values_only=True)]


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for r in rows:
        book.active.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_publication_of_a_few_regions_counts_the_others_as_sums(session, place, monkeypatch):
    """Publishing a few regions' values reads their values one by one and the other regions'
    as the store sums them: the spans and the area stocks come out as when every value
    standing is read one by one (FEW_REGIONS = 0)."""
    keys = [i.key for i in reportable_indicators("community")]
    added = [
        (c.id, FIRST, {k: float(n + i) for i, k in enumerate(keys)})
        for n, c in enumerate((place.c1, place.c2, place.far))
    ]
    withdrawn = [(place.c1.id, DEMO_LAST_MONTH)]

    def both_ways(*args):
        few = reports.prepare_publication(session, *args)
        monkeypatch.setattr(reports, "FEW_REGIONS", 0)
        every = reports.prepare_publication(session, *args)
        monkeypatch.undo()
        return few, every

    for args in ((added,), ([], withdrawn), (added, withdrawn)):
        few, every = both_ways(*args)
        assert few.stocks and few.stocks == every.stocks
        spans = [{u: sorted(ids) for u, ids in p.until.items()} for p in (few, every)]
        assert spans[0] == spans[1] and sorted(few.removed) == sorted(every.removed)
        assert few.added == every.added
        assert few.stale_stocks == every.stale_stocks


def test_import_of_the_whole_city_is_all_or_nothing(session):
    city = get_city(session)
    rows = _sheet_rows(template_xlsx(session, city, FIRST))
    assert len(rows) == 1 + 1158 and rows[0][0] == "单位代码"
    bad = [list(r) for r in rows]
    bad[700][5] = -3
    refused = import_report_sheet(session, None, "m.xlsx", _xlsx(bad), FIRST, submit=True, now=NOW)
    assert not refused.ok and refused.saved == 0
    assert [(e.row, e.column) for e in refused.errors] == [(701, rows[0][5])]
    assert refused.errors[0].message.en == "Cannot be negative."
    assert session.scalar(select(func.count()).where(MonthlyReport.month == FIRST)) == 0
    done = import_report_sheet(session, None, "m.xlsx", _xlsx(rows), FIRST, submit=True, now=NOW)
    assert done.ok and done.saved == 1158 and done.data_rows == 1158
    counts = get_completeness(session, city, FIRST).counts
    assert counts["submitted"] == 1158
    assert len(approve_reports(session, None, FIRST, now=NOW)) == 1158
    assert get_completeness(session, city, FIRST).approved == 1158
    assert compare_area_stocks(session) == []


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_import_reads_csv_in_every_encoding(session, place, encoding):
    rows = _sheet_rows(template_xlsx(session, place.street, FIRST))
    rows[1][4] = 12345
    text = "\n".join(",".join("" if c is None else str(c) for c in r) for r in rows)
    data = text.encode(encoding)
    done = import_report_sheet(session, place.reviewer, "m.csv", data, FIRST, now=NOW)
    assert done.ok and done.saved == len(rows) - 1
    form = get_report_form(
        session,
        place.reviewer,
        session.scalar(select(Region.id).where(Region.code == str(rows[1][0]))),
        FIRST,
    )
    assert form.status == "draft" and form.rows[1].value == 12345
    assert [w.column for w in done.warnings][:1] == [rows[0][4]]  # a big jump warns


def test_import_refuses_rows_outside_the_scope(session, place):
    rows = _sheet_rows(template_xlsx(session, place.district, FIRST))
    result = import_report_sheet(session, place.reviewer, "m.xlsx", _xlsx(rows), FIRST, now=NOW)
    outside = {e.row for e in result.errors}
    assert result.saved == 0 and outside
    assert all(e.message.en == "This community is outside your scope" for e in result.errors)


def test_import_reads_the_sheets_regions_at_once(session, place):
    """A district's sheet (a row per community) reads its regions in one statement, not one a
    row (the city's 1,158 rows once sent 1,158)."""
    rows = _sheet_rows(template_xlsx(session, place.district, FIRST))
    assert len(rows) > 50
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "FROM regions" in statement:
            seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        done = import_report_sheet(session, None, "m.xlsx", _xlsx(rows), FIRST, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert done.ok and done.saved == len(rows) - 1
    assert len([q for q in seen if "regions.code IN" in q]) == 1
    assert len(seen) < 10, seen


def test_migration_publishes_existing_values_as_approved_reports(empty_url):
    """A store at 0007 holding reported values: after 0008 each (region, month) is an approved
    report, each value stands until its region's next one, and area_stocks carry forward."""
    from alembic import command
    from sqlalchemy import text

    from data_access.catalog import add_registry_rows
    from data_access.db import make_engine
    from data_access.migrate import _config, upgrade
    from data_access.models import ReportedValue

    engine = make_engine(empty_url)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with engine.begin() as conn:
        add_registry_rows(Session(bind=conn))
        regions = [
            (1, "C", "city", None, None, None, None),
            (2, "D", "district", 1, 2, None, None),
            (3, "S", "street", 2, 2, 3, None),
            (4, "A", "community", 3, 2, 3, 4),
            (5, "B", "community", 3, 2, 3, 5),
        ]
        for rid, code, level, parent, d, s, c in regions:
            conn.execute(
                text(
                    "INSERT INTO regions (id, code, level, parent_id, district_id, street_id, "
                    "community_id, name_zh, name_en, lat, lon, population, households) VALUES "
                    "(:id, :code, :level, :parent, :d, :s, :c, :code, :code, 0, 0, 0, 0)"
                ),
                {"id": rid, "code": code, "level": level, "parent": parent, "d": d, "s": s, "c": c},
            )
        for rid, month, value in ((4, 202501, 10), (4, 202503, 12), (5, 202502, 7)):
            conn.execute(
                text(
                    "INSERT INTO reported_values (indicator_key, region_id, district_id, "
                    "street_id, community_id, month, value) VALUES "
                    "('grids', :r, 2, 3, :r, :m, :v)"
                ),
                {"r": rid, "m": month, "v": value},
            )
    upgrade(engine)
    with Session(engine) as session:
        reports = session.execute(
            select(MonthlyReport.region_id, MonthlyReport.month, MonthlyReport.status).order_by(
                MonthlyReport.region_id, MonthlyReport.month
            )
        ).all()
        assert reports == [
            (4, 202501, "approved"),
            (4, 202503, "approved"),
            (5, 202502, "approved"),
        ]
        spans = session.execute(
            select(
                ReportedValue.region_id, ReportedValue.month, ReportedValue.until_month
            ).order_by(ReportedValue.region_id, ReportedValue.month)
        ).all()
        assert spans == [(4, 202501, 202503), (4, 202503, 999_999), (5, 202502, 999_999)]
        city = get_city(session)
        got = {
            p: get_reported_stocks(session, city, parse_period(p))["grids"]
            for p in ("2025-01", "2025-02", "2025-03", "2025")
        }
        assert [(s.value, s.as_of) for s in got.values()] == [
            (10, 202501),
            (17, 202501),
            (19, 202502),
            (19, 202502),
        ]
        assert compare_area_stocks(session) == []
    engine.dispose()


def test_two_streets_approving_at_once_keep_the_area_stocks_exact(pg_url):
    """PostgreSQL runs approvals side by side: each recounts the city's area stocks, so they
    take turns (the city row's lock); without it one street's values were missing from the
    city's totals. Committed for real, then taken back out."""
    import threading

    from sqlalchemy import delete

    from data_access.db import write_session
    from data_access.models import MonthlyReportValue, ReportedValue
    from data_access.reports import withdraw_values

    month = 202603
    engine = open_store(pg_url)
    with write_session(engine) as s:
        city = get_city(s)
        streets = list_children(s, list_children(s, city.id)[0].id)[:2]
        firsts = [list_children(s, st.id)[0] for st in streets]
        for c in firsts:
            _submit(s, None, c, month, {"grids": 1000})
    barrier = threading.Barrier(2)
    errors = []

    def approve(region_id: int) -> None:
        try:
            with write_session(engine) as s:
                s.execute(select(Region.id).limit(1))
                barrier.wait(timeout=30)
                approve_reports(s, None, month, [region_id], now=NOW)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(c.id,)) for c in firsts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    try:
        assert errors == []
        with Session(engine) as s:
            assert compare_area_stocks(s) == []
            stock = get_reported_stocks(s, get_city(s), parse_period("2026-03"))["grids"]
            assert stock.as_of <= 202512
    finally:
        with write_session(engine) as s:
            for c in firsts:
                withdraw_values(s, c.id, month)
            ids = select(MonthlyReport.id).where(MonthlyReport.month == month)
            s.execute(delete(MonthlyReportValue).where(MonthlyReportValue.report_id.in_(ids)))
            s.execute(delete(MonthlyReport).where(MonthlyReport.month == month))
            assert not s.scalar(select(func.count()).where(ReportedValue.month == month))
        engine.dispose()
