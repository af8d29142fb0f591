"""The feed of the latest recorded activities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Activity, Region
from data_access.regions import RegionInfo, scope_clause


def list_recent_activities(session: Session, region: RegionInfo, limit: int = 8) -> list[dict]:
    """The most recently recorded live activities in the region, newest first: the latest
    entered is the highest id (created_at is a local clock reading, the same second for a whole
    import), read back along the region's index of its records by id."""
    stmt = (
        select(
            Activity.id,
            Activity.type_key,
            Activity.title,
            Activity.occurred_on,
            Activity.created_at,
            Region.name_zh,
            Region.name_en,
        )
        .join(Region, Region.id == Activity.community_id)
        .where(Activity.deleted_at.is_(None))
        .order_by(Activity.id.desc())
        .limit(limit)
    )
    clause = scope_clause(Activity, region)
    if clause is not None:
        stmt = stmt.where(clause)
    rows: list[dict] = []
    for row in session.execute(stmt):
        occurred: date = row.occurred_on
        created: datetime | None = row.created_at
        rows.append(
            {
                "id": row.id,
                "type_key": row.type_key,
                "title": row.title,
                "occurred_on": occurred.isoformat(),
                "created_at": created.isoformat(sep=" ", timespec="minutes") if created else None,
                "community_zh": row.name_zh,
                "community_en": row.name_en,
            }
        )
    return rows
