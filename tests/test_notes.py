"""备注 Notes on a region's timeline: scope on every read by id and every write (called directly
with the wrong account), edit by the author only, soft delete, audit rows, hostile text kept as
typed; on SQLite and PostgreSQL (the scope clauses and the text column are the engine's)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from data_access.accounts import add_account, demo_community
from data_access.auth import PermissionDenied, get_account_by_username
from data_access.db import read_session, write_session
from data_access.models import AuditLog, Note, Region
from data_access.notes import TEXT_MAX, add_note, delete_note, edit_note, get_note, list_notes
from data_access.periods import parse_period
from data_access.store import open_store

DAY = date(2025, 3, 1)
Q1 = parse_period("2025Q1")
HOSTILE = (
    "<script>alert(1)</script>",
    "=cmd|'/c calc'!A0",
    "x" * TEXT_MAX,
    "مرحبا بالعالم — שלום",  # right-to-left letters are text, not controls
    "**粗体** [链接](javascript:alert(1)) :red[红]",
)


@dataclass(frozen=True)
class World:
    url: str
    admin: int
    leader: int  # 大东区
    staff: int  # 多福社区
    staff2: int  # 多福社区 too
    community: str
    street: str
    district: str
    other_district_community: str


@pytest.fixture(scope="module")
def world(write_db_url) -> World:
    engine = open_store(write_db_url)
    with write_session(engine) as s:
        mine = demo_community(s)
        if get_account_by_username(s, "note_staff2") is None:
            add_account(s, None, "note_staff2", "备注测试", "staff", mine.id, "note-staff-2025")
        ids = {u: get_account_by_username(s, u).id for u in ("admin", "leader", "staff")}
        ids["note_staff2"] = get_account_by_username(s, "note_staff2").id
        street, district = s.get(Region, mine.street_id).code, s.get(Region, mine.district_id).code
        community = mine.code
        other = s.scalar(
            select(Region.code)
            .where(Region.level == "community", Region.district_id != mine.district_id)
            .order_by(Region.code)
            .limit(1)
        )
    engine.dispose()
    return World(
        write_db_url,
        ids["admin"],
        ids["leader"],
        ids["staff"],
        ids["note_staff2"],
        community,
        street,
        district,
        other,
    )


def _write(world: World, fn, *args, **kwargs):
    engine = open_store(world.url)
    try:
        with write_session(engine) as s:
            return fn(s, *args, **kwargs)
    finally:
        engine.dispose()


def _read(world: World, fn, *args, **kwargs):
    engine = open_store(world.url)
    try:
        with read_session(engine) as s:
            return fn(s, *args, **kwargs)
    finally:
        engine.dispose()


def _audit(world: World, note_id: int) -> list[tuple[str, int, dict | None, dict | None]]:
    def rows(s):
        found = s.execute(
            select(AuditLog.action, AuditLog.account_id, AuditLog.before_json, AuditLog.after_json)
            .where(AuditLog.entity == "note", AuditLog.entity_id == str(note_id))
            .order_by(AuditLog.id)
        )
        return [(a, who, b and json.loads(b), c and json.loads(c)) for a, who, b, c in found]

    return _read(world, rows)


def test_staff_and_leaders_add_notes_in_their_scope_with_an_audit_row(world):
    by_staff = _write(
        world, add_note, world.staff, world.community, DAY, "3月起开展“解民忧”专项行动"
    )
    by_leader = _write(
        world, add_note, world.leader, world.district, DAY, "数据口径调整", pillar="governance"
    )
    assert by_staff.ok and by_leader.ok
    assert _audit(world, by_staff.note_id)[0][:2] == ("add", world.staff)
    assert _audit(world, by_leader.note_id)[0][3]["pillar"] == "governance"
    # The district's list holds its own note and its community's (with_children).
    listed = _read(world, list_notes, world.leader, world.district, Q1)
    assert {by_staff.note_id, by_leader.note_id} <= {n.id for n in listed}
    own_only = _read(world, list_notes, world.leader, world.district, Q1, with_children=False)
    assert by_staff.note_id not in {n.id for n in own_only}
    # The community's list, with the regions above it, shows the district's note to the
    # district's leader; the community's staff see only their own scope (as for activities).
    above = _read(world, list_notes, world.leader, world.community, Q1, with_ancestors=True)
    assert by_leader.note_id in {n.id for n in above}
    mine = _read(world, list_notes, world.staff, world.community, Q1, with_ancestors=True)
    assert by_leader.note_id not in {n.id for n in mine} and by_staff.note_id in {
        n.id for n in mine
    }


@pytest.mark.parametrize(
    "who,where",
    [
        ("staff", "street"),  # above the staff member's community
        ("staff", "other_district_community"),
        ("leader", "other_district_community"),
    ],
)
def test_a_note_outside_the_accounts_scope_is_refused_and_nothing_written(world, who, where):
    def count(s):
        return len(s.scalars(select(Note.id)).all())

    before = _read(world, count)
    with pytest.raises(PermissionDenied):
        _write(world, add_note, getattr(world, who), getattr(world, where), DAY, "越权")
    assert _read(world, count) == before


def test_reading_a_note_by_id_out_of_scope_answers_like_an_unknown_id(world):
    made = _write(world, add_note, world.leader, world.district, DAY, "区里的备注")
    other = _write(world, add_note, world.admin, world.other_district_community, DAY, "别区")
    assert _read(world, get_note, world.leader, made.note_id).text == "区里的备注"
    with pytest.raises(PermissionDenied) as out_of_scope:
        _read(world, get_note, world.leader, other.note_id)
    with pytest.raises(PermissionDenied) as unknown:
        _read(world, get_note, world.leader, 10**9)
    assert out_of_scope.value.message == unknown.value.message
    with pytest.raises(PermissionDenied):
        _read(world, list_notes, world.leader, world.other_district_community, Q1)
    # Edits and deletes by id are checked the same way.
    with pytest.raises(PermissionDenied) as edit_out:
        _write(world, edit_note, world.leader, other.note_id, "改")
    assert edit_out.value.message == unknown.value.message


def test_only_the_author_edits_a_note_and_the_edit_is_audited(world):
    made = _write(world, add_note, world.staff, world.community, DAY, "原文")
    for intruder in (world.staff2, world.admin, world.leader):
        with pytest.raises(PermissionDenied):
            _write(world, edit_note, intruder, made.note_id, "改写")
    done = _write(world, edit_note, world.staff, made.note_id, "改后")
    assert done.ok
    note = _read(world, get_note, world.staff, made.note_id)
    assert (note.text, note.version) == ("改后", 2)
    action, who, before, after = _audit(world, made.note_id)[-1]
    assert (action, who, before["text"], after["text"]) == ("edit", world.staff, "原文", "改后")


def test_delete_is_soft_by_the_author_or_an_admin_and_audited(world):
    made = _write(world, add_note, world.staff, world.community, DAY, "要删的")
    with pytest.raises(PermissionDenied):
        _write(world, delete_note, world.staff2, made.note_id)
    _write(world, delete_note, world.staff, made.note_id)
    row = _read(
        world,
        lambda s: s.execute(
            select(Note.deleted_at, Note.text).where(Note.id == made.note_id)
        ).one(),
    )
    assert row.deleted_at is not None and row.text == "要删的"  # still there, marked deleted
    assert made.note_id not in {
        n.id for n in _read(world, list_notes, world.staff, world.community, Q1)
    }
    with pytest.raises(PermissionDenied):
        _read(world, get_note, world.staff, made.note_id)
    with pytest.raises(PermissionDenied):  # deleted: no second delete, no edit
        _write(world, edit_note, world.staff, made.note_id, "复活")
    action, who, _before, after = _audit(world, made.note_id)[-1]
    assert (action, who, after["deleted"]) == ("delete", world.staff, True)
    by_admin = _write(world, add_note, world.staff, world.community, DAY, "管理员删")
    _write(world, delete_note, world.admin, by_admin.note_id)
    assert _audit(world, by_admin.note_id)[-1][:2] == ("delete", world.admin)


@pytest.mark.parametrize("text", HOSTILE, ids=["script", "formula", "10000", "rtl", "markdown"])
def test_hostile_text_is_stored_exactly_as_typed(world, text):
    made = _write(world, add_note, world.staff, world.community, DAY, text)
    assert made.ok
    assert _read(world, get_note, world.staff, made.note_id).text == text


@pytest.mark.parametrize(
    "text,field",
    [("", "text"), ("   ", "text"), ("x" * (TEXT_MAX + 1), "text"), ("a\u202eb", "text")],
    ids=["empty", "blank", "too-long", "bidi-override"],
)
def test_bad_text_comes_back_as_a_field_error_and_nothing_is_written(world, text, field):
    def count(s):
        return len(s.scalars(select(Note.id)).all())

    before = _read(world, count)
    result = _write(world, add_note, world.staff, world.community, DAY, text)
    assert not result.ok and result.errors[0].field == field
    assert result.errors[0].message.zh and result.errors[0].message.en
    assert _read(world, count) == before


def test_notes_outside_the_period_are_not_listed(world):
    made = _write(world, add_note, world.staff, world.community, date(2025, 4, 1), "四月")
    assert made.note_id not in {
        n.id for n in _read(world, list_notes, world.staff, world.community, Q1)
    }
    q2 = _read(world, list_notes, world.staff, world.community, parse_period("2025Q2"))
    assert made.note_id in {n.id for n in q2}


# On the pages (AppTest): the form writes through write(), the list shows the text through the
# one escaper, the trend chart carries the notes as marks with the text as data.

PAGE_TEXT = "<script>alert(1)</script> =cmd|'/c calc'!A0 مرحبا"


def _specs(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _marks(spec: dict) -> list[dict]:
    layers = spec.get("layer", [])
    return [row for layer in layers[1:] for row in layer.get("data", {}).get("values", [])]


def _open_add_form(at, key: str) -> None:
    """Click 添加备注: the add form is drawn only when asked."""
    at.button(key=f"{key}_ask").click().run()
    assert not at.exception


def _form_drawn(at, key: str) -> bool:
    return any(b.form_id == key for b in at.button)


def test_the_add_form_is_drawn_only_when_asked_and_closes_on_cancel(record_env):
    from tests.auth_helpers import app_as

    at = app_as(record_env, "staff", period="2025")
    key = f"note_add_{at.query_params['region']}_"
    assert not _form_drawn(at, key)
    assert at.button(key=f"{key}_ask").label == "添加备注"
    _open_add_form(at, key)
    assert at.text_area(key=f"{key}_text").value in ("", None)
    at.run()  # the form stays open while in use
    assert _form_drawn(at, key)
    next(b for b in at.button if b.label == "取消" and b.form_id == key).click().run()
    assert not at.exception
    assert not _form_drawn(at, key)
    assert at.button(key=f"{key}_ask")


def test_a_note_added_on_the_overview_lists_as_text_and_marks_the_trend(record_env, monkeypatch):
    from datetime import UTC, datetime

    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    from tests.auth_helpers import app_as
    from ui.plain import plain

    moment = datetime(2025, 12, 20, 4, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)
    at = app_as(record_env, "staff", period="2025")
    assert not at.exception
    code = at.query_params["region"]
    key = f"note_add_{code}_"
    _open_add_form(at, key)
    at.date_input(key=f"{key}_day").set_value(date(2025, 11, 3))
    at.text_area(key=f"{key}_text").input(PAGE_TEXT)
    # The add form's button (the shared store may hold earlier notes with edit forms of their own).
    next(b for b in at.button if b.label == "保存备注" and b.form_id == key).click().run()
    assert not at.exception
    assert plain(PAGE_TEXT) in [m.value for m in at.markdown]
    assert "备注已保存。" in [s.value for s in at.success]
    _open_add_form(at, key)  # saved: the form closed, and opens with an empty box
    assert at.text_area(key=f"{key}_text").value in ("", None)
    trend = [s for s in _specs(at) if len(s.get("layer", [])) > 1]  # the chart and its marks
    assert trend, "the trend chart carries the notes"
    rows = _marks(trend[0])
    assert any(r["note"] == f"2025-11-03 {PAGE_TEXT}" and r["月份"] == "2025-11" for r in rows)
    problem = validate_jsonschema(
        {**trend[0], "data": {"name": "f"}}, load_schema(), raise_error=False
    )
    assert problem is None, problem.message
    engine = open_store(record_env)
    with read_session(engine) as s:
        stored = s.scalars(select(Note.text).where(Note.text == PAGE_TEXT)).all()
    engine.dispose()
    assert stored == [PAGE_TEXT]


def test_a_bad_note_on_the_page_says_why_and_keeps_the_input(record_env):
    from tests.auth_helpers import app_as
    from ui.plain import plain

    at = app_as(record_env, "staff", period="2025")
    key = f"note_add_{at.query_params['region']}_"
    _open_add_form(at, key)
    at.text_area(key=f"{key}_text").input("a\u202eb")
    # The add form's button (the shared store may hold earlier notes with edit forms of their own).
    next(b for b in at.button if b.label == "保存备注" and b.form_id == key).click().run()
    assert not at.exception
    assert any(plain("U+202E") in m.value for m in at.markdown)  # the field's error
    assert at.text_area(key=f"{key}_text").value == "a\u202eb"


def test_a_long_note_shows_whole_in_the_list_and_cut_on_the_chart(record_env):
    from tests.auth_helpers import app_as
    from ui.notes import TOOLTIP_CHARS
    from ui.plain import plain

    engine = open_store(record_env)
    with write_session(engine) as s:
        staff = get_account_by_username(s, "staff")
        code = s.get(Region, staff.scope_region_id).code
        long_text = "长" * TEXT_MAX
        add_note(s, staff.id, code, date(2025, 10, 9), long_text)
    engine.dispose()
    at = app_as(record_env, "staff", period="2025")
    assert not at.exception
    assert plain(long_text) in [m.value for m in at.markdown]
    rows = [r for s in _specs(at) for r in _marks(s)]
    cut = [r for r in rows if r["note"].startswith("2025-10-09 长")]
    assert cut and len(cut[0]["note"]) == len("2025-10-09 ") + TOOLTIP_CHARS + 1
