"""The audit trail: the one writer of audit rows, for every write of every feature, on one clock
(UTC, as every time in the store; pages show it in the users' zone)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from data_access.auth import utcnow
from data_access.models import AuditLog

_CHUNK = 5_000  # rows per INSERT (an import audits each of its rows)


@dataclass(frozen=True)
class AuditEntry:
    """One thing a write changed: what (`entity`, `entity_id`), with its before and after."""

    entity: str
    entity_id: object
    before: Mapping | None = None
    after: Mapping | None = None


def _dump(value: Mapping | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def add_audit_rows(
    session: Session,
    actor: int | None,
    action: str,
    entries: Sequence[AuditEntry],
    now: datetime | None = None,
) -> None:
    """Record what one write did in the audit log, in the caller's transaction, at `now` (naive
    UTC; by default the current time; an aware time is turned into UTC)."""
    at = now or utcnow()
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    rows = [
        {
            "at": at,
            "account_id": actor,
            "action": action,
            "entity": e.entity,
            "entity_id": None if e.entity_id is None else str(e.entity_id),
            "before_json": _dump(e.before),
            "after_json": _dump(e.after),
        }
        for e in entries
    ]
    connection = session.connection()  # a Core statement: no ORM bulk insert for a log row
    for start in range(0, len(rows), _CHUNK):
        connection.execute(insert(AuditLog.__table__), rows[start : start + _CHUNK])


def add_audit_row(
    session: Session,
    actor: int | None,
    action: str,
    entity: str,
    entity_id: object,
    before: Mapping | None,
    after: Mapping | None,
    now: datetime | None = None,
) -> None:
    """Record a write of one thing in the audit log (see add_audit_rows)."""
    add_audit_rows(session, actor, action, [AuditEntry(entity, entity_id, before, after)], now)
