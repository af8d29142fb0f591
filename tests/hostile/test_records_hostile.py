"""Hostile input against the activity writes and the readers by id, on SQLite and PostgreSQL:
bad characters, formulas and Markdown in text, odd numbers and dates, and ids outside the
viewer's scope. Nothing refused may be written, nothing out of scope may be read."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select, update

from data_access.activities import (
    add_activity,
    delete_activity,
    update_activity,
)
from data_access.activity_log import (
    ActivityFilter,
    export_activities,
    get_activity,
    list_activities,
    list_history,
)
from data_access.auth import PermissionDenied, get_account_by_username
from data_access.db import read_session, write_session
from data_access.models import Account, Activity, AuditLog, Region
from data_access.store import open_store
from tests.hostile.payloads import BAD_CHARACTERS, DATES, FORMULAS, MARKDOWN, NUMBERS

TEXT_FIELDS = ("title", "description", "location")


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def today() -> date:
    """The 'today' the writes are given (the clock is injected, never written into a test)."""
    return date.today()


@pytest.fixture(scope="module")
def places(engine) -> dict[str, dict[str, int]]:
    """The staff account's community (多福社区), another community of the leader's district, and
    a community of another district; with the accounts' ids."""
    with read_session(engine) as session:
        staff = get_account_by_username(session, "staff")
        leader = get_account_by_username(session, "leader")
        admin = get_account_by_username(session, "admin")
        own = session.get(Region, staff.scope_region_id)
        neighbour = session.scalar(
            select(Region).where(
                Region.level == "community",
                Region.district_id == own.district_id,
                Region.id != own.id,
            )
        )
        far = session.scalar(
            select(Region).where(Region.level == "community", Region.district_id != own.district_id)
        )
        return {
            name: {"community_id": r.id, "street_id": r.street_id, "district_id": r.district_id}
            for name, r in (("own", own), ("neighbour", neighbour), ("far", far))
        } | {"accounts": {"staff": staff.id, "leader": leader.id, "admin": admin.id}}


def _data(community_id: int, **changes) -> dict:
    data = {
        "type_key": "mediation",
        "community_id": community_id,
        "occurred_on": date.today() - timedelta(days=30),
        "title": f"敌意 {uuid4().hex[:8]}",
        "participants": 2,
        "cases_resolved": 1,
    }
    return data | changes


def _add(engine, data: dict, actor: int | None = None, today: date | None = None, **kwargs):
    with write_session(engine) as session:
        return add_activity(session, data, uuid4().hex, actor=actor, today=today, **kwargs)


def _count(engine, **where) -> int:
    with read_session(engine) as session:
        query = select(func.count()).select_from(Activity)
        for name, value in where.items():
            query = query.where(getattr(Activity, name) == value)
        return session.scalar(query)


@pytest.mark.parametrize("char", BAD_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_bad_characters_are_refused_by_every_text_field_and_nothing_is_written(
    engine, places, field, char
):
    marker = f"坏字符 {uuid4().hex[:8]}"
    value = f"前{char}后" if field != "title" else f"{marker}{char}后"
    data = _data(places["own"]["community_id"], title=marker) | {field: value}
    before = _count(engine)
    result = _add(engine, data)
    assert result.status == "invalid"
    messages = {e.field: e for e in result.errors}
    assert field in messages
    assert f"U+{ord(char):04X}" in messages[field].message.zh
    assert messages[field].message.zh != messages[field].message.en
    assert _count(engine) == before


def test_a_line_break_is_refused_in_title_and_location_but_kept_in_the_description(engine, places):
    community = places["own"]["community_id"]
    for field in ("title", "location"):
        result = _add(engine, _data(community) | {field: "第一行\n===\n第二行"})
        assert result.status == "invalid" and result.errors[0].field == field
        assert "换行" in result.errors[0].message.zh
    text = "第一行\r\n===\n第二行"
    saved = _add(engine, _data(community, description=text))
    assert saved.status == "saved"
    with read_session(engine) as session:
        assert (
            get_activity(session, saved.activity_id, None)["description"] == "第一行\n===\n第二行"
        )


def test_an_edit_with_bad_characters_changes_nothing(engine, places):
    data = _data(places["own"]["community_id"])
    saved = _add(engine, data)
    for char in BAD_CHARACTERS:
        with write_session(engine) as session:
            result = update_activity(
                session, saved.activity_id, data | {"title": f"改{char}后"}, expected_version=1
            )
        assert result.status == "invalid", repr(char)
    with read_session(engine) as session:
        stored = get_activity(session, saved.activity_id, None)
    assert stored["title"] == data["title"] and stored["version"] == 1


@pytest.mark.parametrize("text", FORMULAS + MARKDOWN)
def test_formulas_and_markdown_are_stored_exactly_as_text(engine, places, text):
    # They are harmless text in the store; exports neutralise formulas, pages escape Markdown.
    field = "description" if "\n" in text.strip() else "title"
    data = _data(places["own"]["community_id"]) | {field: text}
    result = _add(engine, data, confirm_duplicate=True)  # "\t=1+1" is "=1+1" once trimmed
    assert result.status == "saved", result.errors
    with read_session(engine) as session:
        assert get_activity(session, result.activity_id, None)[field] == text.strip()


@pytest.mark.parametrize("raw", NUMBERS)
def test_odd_numbers_are_refused_or_saved_as_written(engine, places, raw):
    result = _add(engine, _data(places["own"]["community_id"], participants=raw))
    if result.status == "invalid":
        assert [e.field for e in result.errors] == ["participants"]
        return
    assert result.status == "saved"
    with read_session(engine) as session:
        stored = get_activity(session, result.activity_id, None)["participants"]
    assert stored == float(raw.replace(",", ""))


def test_a_fraction_of_a_person_is_refused_not_rounded(engine, places):
    result = _add(engine, _data(places["own"]["community_id"], participants=1.5))
    assert result.status == "invalid"
    assert result.errors[0].field == "participants"
    assert "整数" in result.errors[0].message.zh


def test_odd_dates_are_refused_whatever_today_is(engine, places, today):
    community = places["own"]["community_id"]
    future = (today + timedelta(days=25)).isoformat()
    for raw in (*DATES, future, date(today.year + 1, 1, 1)):
        before = _count(engine)
        result = _add(engine, _data(community, occurred_on=raw), today=today)
        assert result.status == "invalid", raw
        assert [e.field for e in result.errors] == ["occurred_on"], raw
        assert _count(engine) == before


# Reads by id: the viewer's scope decides, and unknown and out-of-scope ids answer alike.


@pytest.fixture(scope="module")
def records(engine, places) -> dict[str, int]:
    """One record (with an edit, so a history) in each of the three communities."""
    ids = {}
    for name in ("own", "neighbour", "far"):
        data = _data(places[name]["community_id"], title=f"范围 {name} {uuid4().hex[:6]}")
        saved = _add(engine, data)
        with write_session(engine) as session:
            update_activity(session, saved.activity_id, data | {"participants": 3}, 1)
        ids[name] = saved.activity_id
    with read_session(engine) as session:
        ids["unknown"] = session.scalar(select(func.max(Activity.id))) + 1000
    return ids


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("staff", {"own"}),
        ("leader", {"own", "neighbour"}),
        ("admin", {"own", "neighbour", "far"}),
        (None, {"own", "neighbour", "far"}),  # a trusted operator (the command line)
    ],
)
def test_a_record_and_its_history_are_read_only_within_the_viewers_scope(
    engine, places, records, viewer, visible
):
    actor = places["accounts"][viewer] if viewer else None
    with read_session(engine) as session:
        for name in ("own", "neighbour", "far", "unknown"):
            record = get_activity(session, records[name], actor)
            history = list_history(session, records[name], actor)
            if name in visible:
                assert record is not None and record["id"] == records[name]
                assert [h["action"] for h in history] == ["create", "update"]
            else:
                assert record is None, (viewer, name)
                assert history == [], (viewer, name)


def test_out_of_scope_and_unknown_ids_give_the_same_answer(engine, places, records):
    staff = places["accounts"]["staff"]
    with read_session(engine) as session:
        far = (
            get_activity(session, records["far"], staff),
            list_history(session, records["far"], staff),
        )
        unknown = (
            get_activity(session, records["unknown"], staff),
            list_history(session, records["unknown"], staff),
        )
    assert far == unknown == (None, [])


def test_a_disabled_account_reads_nothing(engine, places, records):
    staff = places["accounts"]["staff"]
    with write_session(engine) as session:
        session.execute(update(Account).where(Account.id == staff).values(is_active=False))
    try:
        with read_session(engine) as session:
            assert get_activity(session, records["own"], staff) is None
            assert list_history(session, records["own"], staff) == []
    finally:
        with write_session(engine) as session:
            session.execute(update(Account).where(Account.id == staff).values(is_active=True))


@pytest.mark.parametrize(("viewer", "level"), [("staff", "community"), ("leader", "district")])
def test_the_log_lists_and_exports_only_the_viewers_scope(engine, places, records, viewer, level):
    scope_id = places["own"][f"{level}_id"]
    flt = ActivityFilter(viewer=places["accounts"][viewer])
    with read_session(engine) as session:
        in_scope = session.scalar(
            select(func.count()).where(
                Activity.deleted_at.is_(None), getattr(Activity, f"{level}_id") == scope_id
            )
        )
        rows, total = list_activities(session, flt, page_size=500)
        exported = export_activities(session, flt, limit=500)
        shown = [r["id"] for r in rows] + [r["id"] for r in exported]
        places_shown = set(
            session.scalars(select(getattr(Activity, f"{level}_id")).where(Activity.id.in_(shown)))
        )
    assert total == in_scope
    assert places_shown == {scope_id}
    assert records["far"] not in shown


def test_a_write_out_of_scope_returns_nothing_of_the_record(engine, places, records):
    # A stale version used to come back as a conflict carrying the other district's record.
    staff = places["accounts"]["staff"]
    audit_before = _audit_rows(engine)
    with write_session(engine) as session:
        with pytest.raises(PermissionDenied):
            update_activity(session, records["far"], _data(1), expected_version=99, actor=staff)
        with pytest.raises(PermissionDenied):
            delete_activity(session, records["far"], expected_version=99, actor=staff)
    assert _audit_rows(engine) == audit_before


def _audit_rows(engine) -> int:
    with read_session(engine) as session:
        return session.scalar(select(func.count()).select_from(AuditLog))
