"""Writes that do not wait behind each other (issue 15): SQLite writers of one process take
turns first come, first served, and none is lost (the writers' queue of db.py, through run_write
on a real SQLite file; the order in which the writers asked is made certain by waiting until each
stands in the queue); and a write transaction holds only its INSERT/UPDATE/DELETEs, everything
else (validation, scope, rollup deltas, audit rows) worked out before it begins. No timing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import event, func, select, text

from data_access import report_sheets, reports
from data_access.accounts import demo_community
from data_access.activities import (
    add_activity,
    delete_activity,
    restore_activity,
    snapshot,
    update_activity,
)
from data_access.auth import get_account_by_username
from data_access.db import _ENGINE_FACTS, make_engine, read_session, run_write, write_session
from data_access.models import (
    Activity,
    AuditLog,
    MonthlyReport,
    MonthlyReportValue,
    Region,
    ReportedValue,
)
from data_access.regions import get_region
from data_access.reports import (
    approve_reports,
    reopen_report,
    reportable_indicators,
    return_report,
    save_report,
)
from data_access.rollups import compare_area_rollups, compare_area_stocks, compare_rollups
from tests.activity_fixtures import copy_sqlite

WRITERS = 12
JAN = 202601  # not reported in the demo store (DEMO_TODAY is in January 2026)


def _until(condition, what: str, patience: float = 60.0) -> None:
    """Wait until the condition holds (a generous bound only so that a broken queue fails)."""
    deadline = time.monotonic() + patience
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.001)


def test_writers_of_one_process_are_served_in_arrival_order_and_none_is_lost(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE saves (writer INTEGER NOT NULL)"))
    queue = _ENGINE_FACTS[engine].writers
    served: list[int] = []
    failures: list[BaseException] = []

    def save(session, writer: int) -> None:
        served.append(writer)
        session.execute(text("INSERT INTO saves (writer) VALUES (:w)"), {"w": writer})

    def writer(index: int) -> None:
        try:
            run_write(engine, save, index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = []
    with write_session(engine):  # one writer holds the lock while the others arrive
        for index in range(WRITERS):
            thread = threading.Thread(target=writer, args=(index,))
            thread.start()
            threads.append(thread)
            _until(lambda n=index + 1: len(queue._waiting) == n, f"writer {index} queued")
    for thread in threads:
        thread.join(timeout=120)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT writer FROM saves ORDER BY rowid")).scalars().all()
    engine.dispose()
    assert failures == []
    assert served == list(range(WRITERS))
    assert stored == list(range(WRITERS))


WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def _transactions(engine) -> Iterator[list[list[str]]]:
    """The statements of each transaction the engine begins inside the block (normalised:
    one line, upper case; BEGIN left out)."""
    transactions: list[list[str]] = []

    def began(_conn) -> None:
        transactions.append([])

    def statement(_conn, _cursor, sql, *_args) -> None:
        if transactions and not sql.lstrip().upper().startswith("BEGIN"):
            transactions[-1].append(" ".join(sql.split()).upper())

    event.listen(engine, "begin", began)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield transactions
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", began)


def _not_writes(statements: list[str]) -> list[str]:
    """The statements of a write transaction that are not its writes (on PostgreSQL the
    transaction's own SET LOCAL lock_timeout is a setting, not a read)."""
    return [
        sql
        for sql in statements
        if not sql.startswith(WRITES) and not sql.startswith("SET LOCAL LOCK_TIMEOUT")
    ]


def test_a_write_transaction_holds_only_its_writes_and_audits_what_is_stored(write_db_url):
    engine = make_engine(write_db_url)
    with read_session(engine) as session:
        staff = get_account_by_username(session, "staff").id
        admin = get_account_by_username(session, "admin").id
        home = demo_community(session).id
    data = {"type_key": "mediation", "community_id": home, "occurred_on": date(2025, 4, 2),
            "title": f"调解 {uuid4().hex[:8]}", "participants": 3, "cases_resolved": 2}  # fmt: skip
    with _transactions(engine) as transactions:
        saved = run_write(engine, add_activity, data, uuid4().hex, actor=staff)
        assert saved.status == "saved"
        edited = run_write(
            engine, update_activity, saved.activity_id, data | {"participants": 5}, 1, actor=staff
        )
        assert edited.status == "saved"
        assert run_write(engine, delete_activity, saved.activity_id, 2, actor=staff).ok
        assert run_write(engine, restore_activity, saved.activity_id, 3, actor=admin).ok

    writing = [t for t in transactions if any(sql.startswith(WRITES) for sql in t)]
    assert len(writing) == 4
    for statements in writing:
        assert _not_writes(statements) == []
    reading = [t for t in transactions if t not in writing]
    assert any(sql.startswith("SELECT") for t in reading for sql in t)  # prepared before
    with read_session(engine) as session:
        stored = snapshot(session.get(Activity, saved.activity_id))
        audits = session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "activity", AuditLog.entity_id == str(saved.activity_id))
            .order_by(AuditLog.id)
        ).all()
        assert [a.action for a in audits] == ["create", "update", "delete", "restore"]
        # The audit rows, worked out before the writes, say what a read-back says.
        assert json.loads(audits[-1].after_json) == stored
        for earlier, later in zip(audits, audits[1:], strict=False):
            assert json.loads(later.before_json) == json.loads(earlier.after_json)
        assert compare_rollups(session) == []
        assert compare_area_rollups(session) == []
    engine.dispose()


def test_a_report_sheet_is_read_and_checked_before_the_write_lock(
    sqlite_demo_template, tmp_path: Path, monkeypatch
) -> None:
    engine = make_engine(copy_sqlite(sqlite_demo_template, tmp_path / "happy.db"))
    queue = _ENGINE_FACTS[engine].writers
    locked_while_reading: list[bool] = []
    read = report_sheets.read_sheet

    def reading(*args):
        locked_while_reading.append(queue._held)
        return read(*args)

    monkeypatch.setattr(report_sheets, "read_sheet", reading)
    with read_session(engine) as session:
        street = session.scalars(
            select(Region).where(Region.level == "street").order_by(Region.code)
        ).first()
        data = report_sheets.template_xlsx(session, get_region(session, street.code), JAN)
        submitted_before = session.scalar(  # the demo's month in progress has some already
            select(func.count()).where(
                MonthlyReport.month == JAN, MonthlyReport.status == "submitted"
            )
        )
    result = run_write(
        engine,
        report_sheets.import_report_sheet,
        None,
        "street.xlsx",
        data,
        JAN,
        submit=True,
        now=datetime(2026, 2, 3, 8, 0),
    )
    with read_session(engine) as session:
        submitted = session.scalar(
            select(func.count()).where(
                MonthlyReport.month == JAN, MonthlyReport.status == "submitted"
            )
        )
    engine.dispose()
    assert result.ok and result.saved > 0
    assert submitted - submitted_before == result.saved
    assert locked_while_reading == [False]


APRIL = 202604  # a month the demo store has no report of
IN_MAY = datetime(2026, 5, 4, 8, 0)


def _street_and_communities(engine) -> tuple[Region, list[Region]]:
    with read_session(engine) as session:
        street = session.scalars(
            select(Region).where(Region.level == "street").order_by(Region.code)
        ).first()
        communities = list(
            session.scalars(
                select(Region).where(Region.parent_id == street.id).order_by(Region.code)
            )
        )
        session.expunge_all()
    return street, communities


def _full(level: str, base: int) -> dict[str, int]:
    return {ind.key: base + i for i, ind in enumerate(reportable_indicators(level))}


def _published_exactly(session, month: int) -> None:
    """reported_values holds each approved report's values for the month, nothing else; the
    area stocks and rollups equal a recount (what `python -m data_access check` compares)."""
    approved = session.execute(
        select(MonthlyReport.region_id, MonthlyReportValue.indicator_key, MonthlyReportValue.value)
        .join(MonthlyReportValue, MonthlyReportValue.report_id == MonthlyReport.id)
        .where(MonthlyReport.month == month, MonthlyReport.status == "approved")
    ).all()
    published = session.execute(
        select(ReportedValue.region_id, ReportedValue.indicator_key, ReportedValue.value).where(
            ReportedValue.month == month
        )
    ).all()
    assert sorted(published) == sorted(approved)
    assert compare_area_stocks(session) == []
    assert compare_rollups(session) == []
    assert compare_area_rollups(session) == []


def test_a_report_write_transaction_holds_only_its_writes(write_db_url) -> None:
    """Saving, submitting, returning, approving (one and all), reopening and importing a sheet:
    every write transaction issues only INSERT/UPDATE/DELETEs (PostgreSQL: and its SET LOCAL
    lock_timeout), everything else read before it; the published values, area stocks and audit
    rows are exact afterwards."""
    engine = make_engine(write_db_url)
    street, communities = _street_and_communities(engine)
    first, second = communities[0], communities[1]
    with read_session(engine) as session:
        admin = get_account_by_username(session, "admin").id
        sheet = report_sheets.template_xlsx(session, get_region(session, street.code), APRIL)
    with _transactions(engine) as transactions:
        values = _full("community", 10)
        saved = run_write(engine, save_report, None, first.id, APRIL, values, now=IN_MAY)
        assert (saved.status, saved.version) == ("draft", 1)
        saved = run_write(engine, save_report, None, first.id, APRIL, values, submit=True,
                          expected_version=1, now=IN_MAY)  # fmt: skip
        run_write(engine, return_report, None, first.id, APRIL, "请核对", IN_MAY)
        saved = run_write(engine, save_report, None, first.id, APRIL, _full("community", 20),
                          submit=True, expected_version=3, now=IN_MAY)  # fmt: skip
        assert saved.version == 4
        assert run_write(engine, approve_reports, None, APRIL, [first.id], IN_MAY) == [first.id]
        run_write(engine, reopen_report, admin, first.id, APRIL, "数字有误", IN_MAY)
        run_write(engine, save_report, None, second.id, APRIL, values, now=IN_MAY)  # a draft
        imported = run_write(
            engine, report_sheets.import_report_sheet, None, "street.xlsx", sheet, APRIL,
            submit=True, now=IN_MAY,
        )  # fmt: skip
        assert imported.ok and imported.saved == len(communities)
        approved = run_write(engine, approve_reports, None, APRIL, None, IN_MAY)

    assert set(approved) >= {c.id for c in communities}
    writing = [t for t in transactions if any(sql.startswith(WRITES) for sql in t)]
    assert len(writing) == 9
    for statements in writing:
        assert _not_writes(statements) == []
    with read_session(engine) as session:
        _published_exactly(session, APRIL)
        report = session.scalar(
            select(MonthlyReport).where(
                MonthlyReport.region_id == first.id, MonthlyReport.month == APRIL
            )
        )
        audits = session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "monthly_report", AuditLog.entity_id == str(report.id))
            .order_by(AuditLog.id)
        ).all()
        assert [a.action for a in audits] == [
            "create", "submit", "return", "submit", "approve", "reopen", "submit", "approve",
        ]  # fmt: skip
        for earlier, later in zip(audits, audits[1:], strict=False):
            assert json.loads(later.before_json) == json.loads(earlier.after_json)
        stored = session.execute(
            select(MonthlyReportValue.indicator_key, MonthlyReportValue.value).where(
                MonthlyReportValue.report_id == report.id
            )
        ).all()
        after = json.loads(audits[-1].after_json)
        assert (after["status"], after["version"]) == (report.status, report.version)
        assert after["values"] == dict(stored)
    engine.dispose()


def test_writes_racing_an_approval_are_all_kept(write_db_url, monkeypatch) -> None:
    """While approve-all is prepared, another reviewer approves one report (a publication came
    first: prepared again), a community saves its draft, and a reviewer returns a report approve-
    all had read as submitted: all of them are kept, the returned one is not approved, and the
    area stocks equal a recount."""
    engine = make_engine(write_db_url)
    month = 202605
    now = datetime(2026, 6, 2, 8, 0)
    _street, communities = _street_and_communities(engine)
    alone, returned, drafting, *rest = communities
    for region in (alone, returned, *rest):
        run_write(engine, save_report, None, region.id, month, _full("community", region.id % 7),
                  submit=True, now=now)  # fmt: skip
    prepare = reports.prepare_publication
    raced: list[int] = []

    def racing(session, *args, **kwargs):
        publication = prepare(session, *args, **kwargs)
        if not raced:  # the first preparation only: the others meet what these did
            raced.append(1)
            assert run_write(engine, approve_reports, None, month, [alone.id], now) == [alone.id]
            run_write(engine, save_report, None, drafting.id, month, _full("community", 3),
                      now=now)  # fmt: skip
            run_write(engine, return_report, None, returned.id, month, "缺数", now)
        return publication

    monkeypatch.setattr(reports, "prepare_publication", racing)
    approved = run_write(engine, approve_reports, None, month, None, now)
    monkeypatch.undo()
    assert {r.id for r in rest} <= set(approved)
    assert alone.id not in approved and returned.id not in approved
    with read_session(engine) as session:
        status = dict(
            session.execute(
                select(MonthlyReport.region_id, MonthlyReport.status).where(
                    MonthlyReport.month == month
                )
            ).all()
        )
        assert status[alone.id] == "approved"
        assert status[returned.id] == "returned"
        assert status[drafting.id] == "draft"
        assert all(status[r.id] == "approved" for r in rest)
        _published_exactly(session, month)
    engine.dispose()


def test_approving_all_commits_in_parts_each_whole(write_sqlite_url, monkeypatch) -> None:
    """Approve-all commits APPROVE_PART reports at a time, each part its own write transaction
    (other writers get the lock in between); a part that fails leaves the parts before it
    approved and published exactly, and approving all again approves the rest."""
    engine = make_engine(write_sqlite_url)
    month = 202606
    now = datetime(2026, 7, 2, 8, 0)
    _street, communities = _street_and_communities(engine)
    for region in communities[:5]:
        run_write(engine, save_report, None, region.id, month, _full("community", 4),
                  submit=True, now=now)  # fmt: skip
    monkeypatch.setattr(reports, "APPROVE_PART", 2)
    write = reports.write_publication
    parts: list[int] = []

    def failing_third(session, publication):
        parts.append(len(publication.added))
        if len(parts) == 3:
            raise RuntimeError("the store failed")
        write(session, publication)

    monkeypatch.setattr(reports, "write_publication", failing_third)
    try:
        run_write(engine, approve_reports, None, month, None, now)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the third part should have failed")
    with read_session(engine) as session:
        _published_exactly(session, month)
        approved = session.scalar(
            select(func.count()).where(
                MonthlyReport.month == month, MonthlyReport.status == "approved"
            )
        )
    assert approved == 4
    monkeypatch.setattr(reports, "write_publication", write)
    assert len(run_write(engine, approve_reports, None, month, None, now)) == 1
    per_report = len(reportable_indicators("community"))
    assert parts == [2 * per_report, 2 * per_report, per_report]
    with read_session(engine) as session:
        _published_exactly(session, month)
    engine.dispose()


def test_approving_a_list_commits_in_parts_and_says_what_was_committed(
    write_sqlite_url, monkeypatch
) -> None:
    """The review page's "approve all" names the reports it shows: they too are approved
    APPROVE_PART at a time, each part its own transaction; a part that fails leaves the parts
    before it approved and published exactly, and the failure carries their regions
    (`committed`), for the page to say what was done; the results so far are told after each
    part (`after_part`: the page's progress bar)."""
    engine = make_engine(write_sqlite_url)
    month = 202607
    now = datetime(2026, 8, 2, 8, 0)
    _street, communities = _street_and_communities(engine)
    ids = [region.id for region in communities[:5]]
    for region_id in ids:
        run_write(engine, save_report, None, region_id, month, _full("community", 5),
                  submit=True, now=now)  # fmt: skip
    monkeypatch.setattr(reports, "APPROVE_PART", 2)
    write = reports.write_publication
    parts: list[int] = []

    def failing_third(session, publication):
        parts.append(len(publication.added))
        if len(parts) == 3:
            raise RuntimeError("the store failed")
        write(session, publication)

    monkeypatch.setattr(reports, "write_publication", failing_third)
    progress: list[list[int]] = []  # what a page's bar is told after each part another follows
    try:
        run_write(engine, approve_reports, None, month, ids, now, after_part=progress.append)
    except RuntimeError as failed:
        assert failed.committed == ids[:4]
        assert progress == [ids[:2], ids[:4]]
    else:
        raise AssertionError("the third part should have failed")
    with read_session(engine) as session:
        _published_exactly(session, month)
        status = dict(
            session.execute(
                select(MonthlyReport.region_id, MonthlyReport.status).where(
                    MonthlyReport.month == month
                )
            ).all()
        )
    assert [status[i] for i in ids] == ["approved"] * 4 + ["submitted"]
    monkeypatch.setattr(reports, "write_publication", write)
    assert run_write(engine, approve_reports, None, month, ids[4:], now) == ids[4:]
    per_report = len(reportable_indicators("community"))
    assert parts == [2 * per_report, 2 * per_report, per_report]
    with read_session(engine) as session:
        _published_exactly(session, month)
    engine.dispose()
