"""Writes that do not wait behind each other (issue 15): SQLite writers of one process take
turns first come, first served, and none is lost (the writers' queue of db.py, through run_write
on a real SQLite file; the order in which the writers asked is made certain by waiting until each
stands in the queue); and a write transaction holds only its INSERT/UPDATE/DELETEs, everything
else (validation, scope, rollup deltas, audit rows) worked out before it begins. No timing."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

from sqlalchemy import event, func, select, text

from data_access import report_sheets
from data_access.activities import (
    add_activity,
    delete_activity,
    restore_activity,
    snapshot,
    update_activity,
)
from data_access.auth import get_account_by_username
from data_access.db import _ENGINE_FACTS, make_engine, read_session, run_write, write_session
from data_access.models import Activity, AuditLog, MonthlyReport, Region
from data_access.regions import get_region
from data_access.rollups import compare_area_rollups, compare_rollups
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


def test_a_write_transaction_holds_only_its_writes_and_audits_what_is_stored(write_db_url):
    engine = make_engine(write_db_url)
    with read_session(engine) as session:
        staff = get_account_by_username(session, "staff").id
        admin = get_account_by_username(session, "admin").id
        home = session.scalar(select(Region.id).where(Region.name_zh == "多福社区"))
    transactions: list[list[str]] = []

    @event.listens_for(engine, "begin")
    def began(_conn) -> None:
        transactions.append([])

    @event.listens_for(engine, "before_cursor_execute")
    def statement(_conn, _cursor, sql, *_args) -> None:
        if transactions and not sql.lstrip().upper().startswith("BEGIN"):
            transactions[-1].append(" ".join(sql.split()).upper())

    data = {"type_key": "mediation", "community_id": home, "occurred_on": date(2025, 4, 2),
            "title": f"调解 {uuid4().hex[:8]}", "participants": 3, "cases_resolved": 2}  # fmt: skip
    saved = run_write(engine, add_activity, data, uuid4().hex, actor=staff)
    assert saved.status == "saved"
    edited = run_write(
        engine, update_activity, saved.activity_id, data | {"participants": 5}, 1, actor=staff
    )
    assert edited.status == "saved"
    assert run_write(engine, delete_activity, saved.activity_id, 2, actor=staff).ok
    assert run_write(engine, restore_activity, saved.activity_id, 3, actor=admin).ok
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "begin", began)

    writing = [t for t in transactions if any(sql.startswith(WRITES) for sql in t)]
    assert len(writing) == 4
    for statements in writing:
        assert [sql for sql in statements if not sql.startswith(WRITES)] == []
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
