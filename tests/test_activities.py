"""Writing activities on SQLite and PostgreSQL: exactly-once saves, likely duplicates, edit
conflicts, soft delete and restore, the audit trail, rollups kept exact, the check command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from sqlalchemy import func, select, update

from data_access.__main__ import main as cli
from data_access.activities import (
    add_activity,
    delete_activity,
    restore_activity,
    update_activity,
)
from data_access.activity_log import (
    ActivityFilter,
    export_activities,
    get_activity,
    list_activities,
    list_history,
)
from data_access.db import read_session, run_write, write_session
from data_access.models import Activity, AuditLog, Rollup
from data_access.rollups import compare_rollups
from data_access.store import open_store
from tests.activity_fixtures import some_place


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


def record(engine, **changes):
    place = some_place(engine, 3)
    data = {
        "type_key": "mediation",
        "community_id": place["community_id"],
        "grid_id": place["grid_id"],
        "compound_id": place["compound_id"],
        "occurred_on": date(2025, 4, 2),
        "title": f"调解 {uuid4().hex[:8]}",
        "participants": 3,
        "cases_resolved": 2,
    }
    data.update(changes)
    return data


def rollup(engine, data):
    month = data["occurred_on"].year * 100 + data["occurred_on"].month
    with read_session(engine) as session:
        row = session.get(Rollup, (data["community_id"], month, data["type_key"]))
        return None if row is None else (row.n, row.participants, row.cases_resolved)


def no_rollup_differences(engine, community_id: int | None = None) -> bool:
    if community_id is None:
        community_id = some_place(engine, 3)["community_id"]
    with read_session(engine) as session:
        return compare_rollups(session, community_id) == []


def test_a_save_writes_the_record_its_rollup_and_an_audit_row(engine):
    data = record(engine)
    before = rollup(engine, data) or (0, 0, 0)
    with write_session(engine) as session:
        result = add_activity(session, data, uuid4().hex, actor=None)
    assert result.status == "saved"
    assert rollup(engine, data) == (before[0] + 1, before[1] + 3, before[2] + 2)
    with read_session(engine) as session:
        stored = get_activity(session, result.activity_id, None)
        history = list_history(session, result.activity_id, None)
    assert stored["title"] == data["title"] and stored["version"] == 1
    assert stored["source"] == "form" and stored["created_at"]
    assert [h["action"] for h in history] == ["create"]
    assert history[0]["after"]["title"] == data["title"] and history[0]["before"] is None
    assert no_rollup_differences(engine)


def test_a_saves_transaction_issues_plain_statements_not_the_orms_bulk_insert(engine, monkeypatch):
    """The write transaction's INSERTs and upserts (the record, its rollups, the audit row) are
    Core statements on the tables: a statement on a mapped class runs the ORM's bulk-insert
    machinery at every execution, a quarter of a save's CPU on PostgreSQL (docs/performance.md,
    issue 15 session 17)."""
    from sqlalchemy.orm import bulk_persistence

    def refused(*args, **kwargs):
        raise AssertionError("an ORM bulk insert in a save's transaction")

    monkeypatch.setattr(bulk_persistence, "_bulk_insert", refused)
    data = record(engine)
    before = rollup(engine, data) or (0, 0, 0)
    result = run_write(engine, add_activity, data, uuid4().hex)
    assert result.status == "saved"
    assert rollup(engine, data) == (before[0] + 1, before[1] + 3, before[2] + 2)
    changed = record(engine, title=data["title"] + " 改", participants=5)
    version = result.version
    edited = run_write(engine, update_activity, result.activity_id, changed, version)
    assert edited.status == "saved"
    assert run_write(engine, delete_activity, result.activity_id, edited.version).status == "saved"
    assert no_rollup_differences(engine, data["community_id"])
    with read_session(engine) as session:
        actions = [h["action"] for h in list_history(session, result.activity_id, None)]
    assert sorted(actions) == ["create", "delete", "update"]


def test_the_same_token_saves_once(engine):
    data = record(engine)
    token = uuid4().hex
    with write_session(engine) as session:
        first = add_activity(session, data, token)
    with write_session(engine) as session:
        second = add_activity(session, data, token)
    assert first.status == "saved" and second.status == "already_saved"
    assert second.activity_id == first.activity_id
    with read_session(engine) as session:
        n = session.scalar(select(func.count()).where(Activity.title == data["title"]))
        audits = session.scalar(
            select(func.count()).where(AuditLog.entity_id == str(first.activity_id))
        )
    assert n == 1 and audits == 1
    assert rollup(engine, data)[0] >= 1 and no_rollup_differences(engine)


def test_a_likely_duplicate_needs_confirmation(engine):
    data = record(engine)
    with write_session(engine) as session:
        first = add_activity(session, data, uuid4().hex)
    token = uuid4().hex
    with write_session(engine) as session:
        second = add_activity(session, data, token)
    assert second.status == "duplicate" and second.other["id"] == first.activity_id
    with read_session(engine) as session:
        assert session.scalar(select(Activity.id).where(Activity.client_token == token)) is None
    with write_session(engine) as session:
        confirmed = add_activity(session, data, token, confirm_duplicate=True)
    assert confirmed.status == "saved" and confirmed.activity_id != first.activity_id


def test_an_invalid_record_writes_nothing(engine):
    data = record(engine, participants=-1)
    with read_session(engine) as session:
        before = session.scalar(select(func.count()).select_from(AuditLog))
    with write_session(engine) as session:
        result = add_activity(session, data, uuid4().hex)
    assert result.status == "invalid"
    assert [e.field for e in result.errors] == ["participants"]
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == before
        assert session.scalar(select(func.count()).where(Activity.title == data["title"])) == 0


def test_an_edit_moves_the_rollups_and_the_second_editor_gets_a_conflict(engine):
    data = record(engine)
    with write_session(engine) as session:
        saved = add_activity(session, data, uuid4().hex)
    # Both people opened version 1; the first saves a new month and figure.
    alice = dict(data, occurred_on=date(2025, 5, 9), participants=7)
    bob = dict(data, title=data["title"] + "（改）")
    old_rollup = rollup(engine, data)
    with write_session(engine) as session:
        first = update_activity(session, saved.activity_id, alice, expected_version=1)
    assert first.status == "saved" and first.version == 2
    assert rollup(engine, alice)[1] >= 7
    after = rollup(engine, data)
    assert (after or (0, 0, 0))[0] == old_rollup[0] - 1
    with write_session(engine) as session:
        second = update_activity(session, saved.activity_id, bob, expected_version=1)
    assert second.status == "conflict"
    assert second.other["participants"] == 7 and second.other["version"] == 2
    with read_session(engine) as session:
        stored = get_activity(session, saved.activity_id, None)
    assert stored["title"] == data["title"]  # Bob's change did not overwrite anything
    with write_session(engine) as session:
        third = update_activity(session, saved.activity_id, bob, expected_version=2)
    assert third.status == "saved" and third.version == 3
    with read_session(engine) as session:
        history = list_history(session, saved.activity_id, None)
    assert [h["action"] for h in history] == ["create", "update", "update"]
    assert history[1]["before"]["participants"] == 3 and history[1]["after"]["participants"] == 7
    assert no_rollup_differences(engine)


def test_soft_delete_and_restore(engine):
    data = record(engine)
    with write_session(engine) as session:
        saved = add_activity(session, data, uuid4().hex)
    with_record = rollup(engine, data)
    with write_session(engine) as session:
        deleted = delete_activity(session, saved.activity_id, expected_version=1)
    assert deleted.status == "saved"
    assert (rollup(engine, data) or (0, 0, 0))[0] == with_record[0] - 1
    flt = ActivityFilter(text=data["title"])
    with read_session(engine) as session:
        assert list_activities(session, flt)[1] == 0
        assert list_activities(session, ActivityFilter(text=data["title"], deleted=True))[1] == 1
        assert get_activity(session, saved.activity_id, None)["deleted_at"] is not None
    with write_session(engine) as session:
        again = delete_activity(session, saved.activity_id)
        edit = update_activity(session, saved.activity_id, data, expected_version=2)
    assert again.status == "not_found" and edit.status == "not_found"
    with write_session(engine) as session:
        restored = restore_activity(session, saved.activity_id)
    assert restored.status == "saved" and restored.version == 3
    assert rollup(engine, data) == with_record
    with read_session(engine) as session:
        assert list_activities(session, flt)[1] == 1
        actions = [h["action"] for h in list_history(session, saved.activity_id, None)]
    assert actions == ["create", "delete", "restore"]
    assert no_rollup_differences(engine)


def test_the_log_filters_pages_newest_first_and_exports(engine):
    place = some_place(engine, 5)
    marker = uuid4().hex[:8]
    for day in (1, 3, 2):
        data = record(engine, occurred_on=date(2025, 2, day), title=f"{marker} 第{day}天")
        data.update(community_id=place["community_id"], grid_id=None, compound_id=None)
        with write_session(engine) as session:
            assert add_activity(session, data, uuid4().hex).status == "saved"
    flt = ActivityFilter(text=marker, level="community", region_id=place["community_id"])
    with read_session(engine) as session:
        rows, total = list_activities(session, flt, page=1, page_size=2)
        rest, _ = list_activities(session, flt, page=2, page_size=2)
        exported = export_activities(session, flt, limit=10)
        by_date, _ = list_activities(session, replace(flt, order="date"), page=1, page_size=3)
        wrong_pillar = list_activities(session, ActivityFilter(text=marker, pillar="safety"))
        right_type = list_activities(session, ActivityFilter(text=marker, type_key="mediation"))
        in_february = list_activities(
            session, ActivityFilter(text=marker, start=date(2025, 2, 2), end=date(2025, 2, 28))
        )
        by_district = list_activities(
            session,
            ActivityFilter(text=marker, level="district", region_id=place["district_id"]),
        )
        literal = list_activities(session, ActivityFilter(text=marker + "%"))
    assert total == 3
    # The latest entered first by default (entered on days 1, 3, 2); by date on request.
    assert [r["occurred_on"] for r in rows + rest] == [date(2025, 2, d) for d in (2, 3, 1)]
    assert [r["occurred_on"] for r in by_date] == [date(2025, 2, d) for d in (3, 2, 1)]
    assert len(exported) == 3 and exported[0]["community"]
    assert wrong_pillar[1] == 0 and right_type[1] == 3 and in_february[1] == 2
    assert by_district[1] == 3 and literal[1] == 0


def test_check_command_finds_a_broken_rollup(engine, write_db_url, capsys):
    assert cli(["check", "--db", write_db_url]) == 0
    data = record(engine)
    with write_session(engine) as session:
        add_activity(session, data, uuid4().hex)
    month = 202504
    with write_session(engine) as session:
        session.execute(
            update(Rollup)
            .where(
                Rollup.community_id == data["community_id"],
                Rollup.month == month,
                Rollup.type_key == "mediation",
            )
            .values(n=Rollup.n + 1)
        )
    assert cli(["check", "--db", write_db_url]) == 1
    out = capsys.readouterr().out
    assert "n: stored" in out and "differences" in out
    assert f"community={data['community_id']} month={month} type=mediation n: stored" in out
    with write_session(engine) as session:  # put back for the other tests on this store
        session.execute(
            update(Rollup)
            .where(
                Rollup.community_id == data["community_id"],
                Rollup.month == month,
                Rollup.type_key == "mediation",
            )
            .values(n=Rollup.n - 1)
        )


def test_audit_rows_hold_json_snapshots(engine):
    data = record(engine)
    with write_session(engine) as session:
        saved = add_activity(session, data, uuid4().hex, actor=None)
    with read_session(engine) as session:
        row = session.scalars(
            select(AuditLog).where(AuditLog.entity_id == str(saved.activity_id))
        ).one()
        after = json.loads(row.after_json)
        assert row.action == "create" and row.entity == "activity" and row.at is not None
    assert after["occurred_on"] == "2025-04-02" and after["participants"] == 3
