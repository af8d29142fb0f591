"""Recording activities: exactly-once saves, edits with optimistic locking, soft deletion, the
audit trail, and the monthly rollups kept exact in the same transaction. The fields are checked
by data_access.validation; the log's reads are in data_access.activity_log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from data_access.audit import add_audit_row
from data_access.auth import check_scope, require_admin
from data_access.db import Writes, dialect_insert, prepared_write
from data_access.indicators import TOTAL_COLUMNS
from data_access.models import Activity, AreaRollup, AreaYearRollup, Region, Rollup, Totals
from data_access.region_facts import RegionFacts
from data_access.registry import MEASURE_KEYS
from data_access.validation import FIELDS, FieldError, validate_activity

SaveStatus = Literal["saved", "already_saved", "duplicate", "invalid", "conflict", "not_found"]


@dataclass
class SaveResult:
    """What a write did (`status`), with what the page shows of it."""

    status: SaveStatus
    activity_id: int | None = None
    errors: list[FieldError] = field(default_factory=list)
    # duplicate: the existing record; conflict: the record as the other person saved it.
    other: dict[str, Any] | None = None
    version: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the record is now in the store as asked."""
        return self.status in ("saved", "already_saved")


def local_now() -> datetime:
    """Now, in the server's local time: the times a record keeps of itself (entered, edited,
    deleted), which pages and the demo data show as they are. Audit rows are UTC (audit.py)."""
    return datetime.now().replace(microsecond=0)


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


SNAPSHOT_NAMES = (
    "id",
    *FIELDS,
    "street_id",
    "district_id",
    "status",
    "source",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
    "deleted_at",
)


def snapshot(row: Activity) -> dict[str, Any]:
    """A record as its audit rows keep it (JSON values)."""
    return {name: _json_value(getattr(row, name)) for name in SNAPSHOT_NAMES}


def snapshot_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot a record with these values (a missing one is NULL) reads back as, worked
    out before it is written (tests/test_write_integration.py checks the two agree)."""
    return {name: _json_value(values.get(name)) for name in SNAPSHOT_NAMES}


def _month(day: date) -> int:
    return day.year * 100 + day.month


RollupKey = tuple[int, int, str]


def add_delta(
    deltas: dict[RollupKey, dict[str, Any]], values: Mapping[str, Any], sign: int
) -> None:
    key = (values["community_id"], _month(values["occurred_on"]), values["type_key"])
    entry = deltas.setdefault(
        key,
        {
            "community_id": key[0],
            "month": key[1],
            "type_key": key[2],
            "street_id": values["street_id"],
            "district_id": values["district_id"],
            "n": 0,
            **{m: 0 for m in MEASURE_KEYS},
        },
    )
    entry["n"] += sign
    for m in MEASURE_KEYS:
        entry[m] += sign * (values.get(m) or 0)


# The write transaction's statements are made on the tables, not the mapped classes: a
# statement on a class goes through the ORM's bulk-insert machinery on every execution (half a
# save's CPU on PostgreSQL, docs/performance.md "Issue 15, session 17"); on the table it is a
# plain Core statement, with the same SQL.
@cache
def _totals_upsert(dialect: str, model: type[Totals]):
    """INSERT … ON CONFLICT (primary key) DO UPDATE adding to each total: atomic per row."""
    table = model.__table__
    stmt = dialect_insert(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={name: table.c[name] + stmt.excluded[name] for name in TOTAL_COLUMNS},
    )


def _add_totals(session: Session, model: type[Totals], rows: list[dict[str, Any]]) -> None:
    """Add signed totals to a summary table (Rollup, AreaRollup, AreaYearRollup), keyed by its
    primary key; a row left with no activity goes, as a recount would give."""
    connection = session.connection()
    connection.execute(_totals_upsert(connection.dialect.name, model), rows)
    table = model.__table__
    keys = list(table.primary_key.columns)
    for row in (r for r in rows if r["n"] < 0):
        connection.execute(
            delete(table).where(*(key == row[key.name] for key in keys), table.c.n <= 0)
        )


def _area_rows(city_id: int | None, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The same change, summed into the street's, the district's and the city's area rollups.
    sums: dict[tuple[int, int, str], dict[str, Any]] = {}
    for row in rows:
        for region_id, level, parent_id in (
            (row["street_id"], "street", row["district_id"]),
            (row["district_id"], "district", city_id),
            (city_id, "city", None),
        ):
            key = (region_id, row["month"], row["type_key"])
            entry = sums.setdefault(
                key,
                {"region_id": region_id, "month": row["month"], "type_key": row["type_key"],
                 "level": level, "parent_id": parent_id, "n": 0, **dict.fromkeys(MEASURE_KEYS, 0)},
            )  # fmt: skip
            for name in TOTAL_COLUMNS:
                entry[name] += row[name]
    return list(sums.values())


def _year_rows(area_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The area rows' changes summed by calendar year, for the yearly area rollups.
    sums: dict[tuple[int, int, str], dict[str, Any]] = {}
    for row in area_rows:
        year = row["month"] // 100
        entry = sums.setdefault(
            (row["region_id"], year, row["type_key"]),
            {"region_id": row["region_id"], "year": year, "type_key": row["type_key"],
             "level": row["level"], "parent_id": row["parent_id"], "n": 0,
             **dict.fromkeys(MEASURE_KEYS, 0)},
        )  # fmt: skip
        for name in TOTAL_COLUMNS:
            entry[name] += row[name]
    return list(sums.values())


@cache
def _insert_once(dialect: str):
    table = Activity.__table__
    return (
        dialect_insert(dialect)(table)
        .on_conflict_do_nothing(index_elements=[table.c.client_token])
        .returning(table.c.id)
    )


@dataclass(frozen=True)
class RollupChanges:
    """Signed changes to the rollups and the area rollups (monthly and yearly), worked out
    before a write's transaction (rollup_changes) and added inside it (write_rollup_changes)."""

    rollups: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    years: list[dict[str, Any]]


def rollup_changes(session: Session, deltas: Iterable[Mapping[str, Any]]) -> RollupChanges:
    """The rollup and area-rollup rows (street, district, city; by month and by year) that
    per-(community, month, type) changes add up to; reads only the city's id."""
    rows = [dict(d) for d in deltas if d["n"] or any(d[m] for m in MEASURE_KEYS)]
    if not rows:
        return RollupChanges([], [], [])
    city_id = session.scalar(select(Region.id).where(Region.level == "city"))
    areas = _area_rows(city_id, rows)
    return RollupChanges(rows, areas, _year_rows(areas))


def write_rollup_changes(session: Session, changes: RollupChanges) -> None:
    """Add the changes in the session's transaction, atomically per row on both SQLite and
    PostgreSQL (an upsert, no read first)."""
    if changes.rollups:
        _add_totals(session, Rollup, changes.rollups)
        _add_totals(session, AreaRollup, changes.areas)
        _add_totals(session, AreaYearRollup, changes.years)


def apply_rollup_deltas(session: Session, deltas: Iterable[Mapping[str, Any]]) -> None:
    """Add signed per-(community, month, type) changes to the rollups and to the area rollups of
    their street, district and city, in the session's transaction."""
    write_rollup_changes(session, rollup_changes(session, deltas))


def _row_values(row: Activity) -> dict[str, Any]:
    return {
        name: getattr(row, name)
        for name in ("community_id", "street_id", "district_id", "occurred_on", "type_key")
    } | {m: getattr(row, m) for m in MEASURE_KEYS}


def find_duplicate(session: Session, clean: Mapping[str, Any], exclude_id: int | None = None):
    """A live record with the same community, type, date and title, as a dict (or None)."""
    query = select(Activity).where(
        Activity.community_id == clean["community_id"],
        Activity.type_key == clean["type_key"],
        Activity.occurred_on == clean["occurred_on"],
        Activity.title == clean["title"],
        Activity.deleted_at.is_(None),
    )
    if exclude_id is not None:
        query = query.where(Activity.id != exclude_id)
    row = session.scalars(query.limit(1)).first()
    return snapshot(row) if row else None


@prepared_write
def add_activity(
    session: Session,
    data: Mapping[str, Any],
    client_token: str,
    actor: int | None = None,
    confirm_duplicate: bool = False,
    source: str = "form",
    today: date | None = None,
) -> SaveResult | Writes:
    """Save one activity exactly once per client_token, with its rollups and an audit row."""
    existing = session.scalar(select(Activity.id).where(Activity.client_token == client_token))
    if existing is not None:
        return SaveResult("already_saved", existing)
    clean, errors = validate_activity(data, RegionFacts(session), today)
    if clean is None:
        return SaveResult("invalid", errors=errors)
    check_scope(session, actor, clean["community_id"])
    if not confirm_duplicate:
        duplicate = find_duplicate(session, clean)
        if duplicate is not None:
            return SaveResult("duplicate", duplicate["id"], other=duplicate)
    values = clean | {
        "status": "done",
        "source": source,
        "client_token": client_token,
        "created_by": actor,
        "created_at": local_now(),
        "version": 1,
    }
    deltas: dict[RollupKey, dict[str, Any]] = {}
    add_delta(deltas, clean, +1)
    changes = rollup_changes(session, deltas.values())
    insert_once = _insert_once(session.get_bind().dialect.name)

    def writes(session: Session) -> SaveResult:
        # Two submissions with one token racing each other: the second inserts nothing.
        new_id = session.connection().execute(insert_once, values).scalar()
        if new_id is None:
            token = Activity.client_token == client_token
            return SaveResult("already_saved", session.scalar(select(Activity.id).where(token)))
        write_rollup_changes(session, changes)
        after = snapshot_of(values | {"id": new_id})
        add_audit_row(session, actor, "create", "activity", new_id, None, after)
        return SaveResult("saved", new_id, version=1)

    return Writes(writes)


def _conflict(session: Session, activity_id: int) -> SaveResult:
    """The record as the other person saved it (a write found its version moved on)."""
    current = session.get(Activity, activity_id, populate_existing=True)
    if current is None:
        return SaveResult("not_found", activity_id)
    return SaveResult("conflict", activity_id, other=snapshot(current), version=current.version)


def _change(
    session: Session,
    row: Activity,
    new: Mapping[str, Any],
    deltas: dict[RollupKey, dict[str, Any]],
    actor: int | None,
    action: str,
) -> Writes:
    """The writes of an edit, a deletion or a restoration of a record read at its version:
    the UPDATE (still at that version, else a conflict), the rollup changes and the audit row."""
    activity_id, version = row.id, row.version
    before = snapshot(row)
    values = {**new, "updated_by": actor, "updated_at": local_now(), "version": version + 1}
    after = before | {name: _json_value(value) for name, value in values.items()}
    changes = rollup_changes(session, deltas.values())
    # The version in the WHERE makes the check and the write one step on PostgreSQL too, and
    # proves the record is still as read before the transaction.
    statement = (
        update(Activity)
        .where(Activity.id == activity_id, Activity.version == version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )

    def writes(session: Session) -> SaveResult:
        if row in session:  # prepared in this session: its copy of the record is stale now
            session.expire(row)
        if session.execute(statement).rowcount != 1:
            return _conflict(session, activity_id)
        write_rollup_changes(session, changes)
        add_audit_row(session, actor, action, "activity", activity_id, before, after)
        return SaveResult("saved", activity_id, version=version + 1)

    return Writes(writes)


@prepared_write
def update_activity(
    session: Session,
    activity_id: int,
    data: Mapping[str, Any],
    expected_version: int,
    actor: int | None = None,
    confirm_duplicate: bool = False,
    today: date | None = None,
) -> SaveResult | Writes:
    """Save an edit if nobody saved the record since `expected_version` was read; otherwise a
    conflict carrying the other person's version of the record."""
    row = session.get(Activity, activity_id, populate_existing=True)
    if row is None or row.deleted_at is not None:
        return SaveResult("not_found", activity_id)
    # Before anything of the record is returned (a conflict carries it).
    check_scope(session, actor, row.community_id)
    if row.version != expected_version:
        return SaveResult("conflict", activity_id, other=snapshot(row), version=row.version)
    clean, errors = validate_activity(data, RegionFacts(session), today)
    if clean is None:
        return SaveResult("invalid", activity_id, errors=errors)
    check_scope(session, actor, clean["community_id"])
    if not confirm_duplicate:
        duplicate = find_duplicate(session, clean, exclude_id=activity_id)
        if duplicate is not None:
            return SaveResult("duplicate", duplicate["id"], other=duplicate)
    deltas: dict[RollupKey, dict[str, Any]] = {}
    add_delta(deltas, _row_values(row), -1)
    add_delta(deltas, clean, +1)
    return _change(session, row, clean, deltas, actor, "update")


def _set_deleted(
    session: Session, activity_id: int, expected_version: int | None, actor: int | None, on: bool
) -> SaveResult | Writes:
    row = session.get(Activity, activity_id, populate_existing=True)
    if row is None or (row.deleted_at is not None) == on:
        return SaveResult("not_found", activity_id)
    check_scope(session, actor, row.community_id)  # before a conflict returns the record
    if expected_version is not None and row.version != expected_version:
        return SaveResult("conflict", activity_id, other=snapshot(row), version=row.version)
    deltas: dict[RollupKey, dict[str, Any]] = {}
    add_delta(deltas, _row_values(row), -1 if on else +1)
    new = {"deleted_at": local_now() if on else None}
    return _change(session, row, new, deltas, actor, "delete" if on else "restore")


@prepared_write
def delete_activity(
    session: Session,
    activity_id: int,
    expected_version: int | None = None,
    actor: int | None = None,
) -> SaveResult | Writes:
    """Soft-delete a record (restorable), with rollups and an audit row."""
    return _set_deleted(session, activity_id, expected_version, actor, on=True)


@prepared_write
def restore_activity(
    session: Session,
    activity_id: int,
    expected_version: int | None = None,
    actor: int | None = None,
) -> SaveResult | Writes:
    """Bring back a soft-deleted record, with rollups and an audit row (administrators only)."""
    require_admin(session, actor)
    return _set_deleted(session, activity_id, expected_version, actor, on=False)
