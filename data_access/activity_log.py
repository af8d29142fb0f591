"""Reading the activity log: one record and its history, and the filtered, paged list and its
export, each limited to what the viewer may see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from data_access.activities import snapshot
from data_access.auth import viewer_clause
from data_access.models import Activity, AuditLog, Region
from data_access.registry import LEVELS, MEASURE_KEYS, activity_types_of


def get_activity(session: Session, activity_id: int, viewer: int | None) -> dict[str, Any] | None:
    """One record (deleted ones too) as a dict of plain values; None when there is no such
    record or it lies outside the viewer's scope (one answer for both, so ids cannot be probed).
    The viewer is an account id (None: a trusted operator)."""
    row = session.scalars(
        select(Activity).where(Activity.id == activity_id, viewer_clause(session, viewer, Activity))
    ).first()
    return snapshot(row) if row else None


def list_history(session: Session, activity_id: int, viewer: int | None) -> list[dict[str, Any]]:
    """The record's audit rows, oldest first, with before/after decoded; none when there is no
    such record or it lies outside the viewer's scope (account id; None: a trusted operator)."""
    visible = session.scalar(
        select(Activity.id).where(
            Activity.id == activity_id, viewer_clause(session, viewer, Activity)
        )
    )
    if visible is None:
        return []
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "activity", AuditLog.entity_id == str(activity_id))
        .order_by(AuditLog.id)
    )
    return [
        {
            "at": r.at,
            "account_id": r.account_id,
            "action": r.action,
            "before": json.loads(r.before_json) if r.before_json else None,
            "after": json.loads(r.after_json) if r.after_json else None,
        }
        for r in rows
    ]


@dataclass(frozen=True)
class ActivityFilter:
    """What the activity log shows: all fields optional."""

    start: date | None = None
    end: date | None = None  # inclusive
    level: str | None = None  # district, street, community or grid
    region_id: int | None = None
    pillar: str | None = None
    type_key: str | None = None
    text: str | None = None
    deleted: bool = False  # True: only deleted records
    viewer: int | None = None  # the account looking: only its scope's records (None: all)
    order: str = "entered"  # "entered": the latest entered first; "date": the latest date first


def _filtered(session: Session, query, flt: ActivityFilter):
    live = Activity.deleted_at.is_(None)
    conditions = [~live if flt.deleted else live, viewer_clause(session, flt.viewer, Activity)]
    if flt.start:
        conditions.append(Activity.occurred_on >= flt.start)
    if flt.end:
        conditions.append(Activity.occurred_on <= flt.end)
    if flt.level in LEVELS[1:] and flt.region_id is not None:
        conditions.append(getattr(Activity, f"{flt.level}_id") == flt.region_id)
    if flt.type_key:
        conditions.append(Activity.type_key == flt.type_key)
    elif flt.pillar:
        keys = [t.key for t in activity_types_of(flt.pillar)]
        conditions.append(Activity.type_key.in_(keys))
    if flt.text and flt.text.strip():
        # LIKE wildcards typed by the user are matched literally.
        needle = flt.text.strip()[:100].replace("\\", "\\\\").replace("%", "\\%")
        pattern = "%" + needle.replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Activity.title.ilike(pattern, escape="\\"),
                Activity.description.ilike(pattern, escape="\\"),
                Activity.location.ilike(pattern, escape="\\"),
            )
        )
    return query.where(and_(*conditions))


LOG_COLUMNS = (
    "id",
    "occurred_on",
    "type_key",
    "district",
    "street",
    "community",
    "grid",
    "title",
    *MEASURE_KEYS,
    "source",
    "created_at",
    "updated_at",
    "version",
)


def _log_select(lang: str):
    district = Region.__table__.alias("d")
    street = Region.__table__.alias("s")
    community = Region.__table__.alias("c")
    grid = Region.__table__.alias("g")
    name = "name_zh" if lang == "zh" else "name_en"
    return (
        select(
            Activity.id,
            Activity.occurred_on,
            Activity.type_key,
            district.c[name].label("district"),
            street.c[name].label("street"),
            community.c[name].label("community"),
            grid.c[name].label("grid"),
            Activity.title,
            *(getattr(Activity, m) for m in MEASURE_KEYS),
            Activity.source,
            Activity.created_at,
            Activity.updated_at,
            Activity.version,
        )
        .join(district, district.c.id == Activity.district_id)
        .join(street, street.c.id == Activity.street_id)
        .join(community, community.c.id == Activity.community_id)
        .outerjoin(grid, grid.c.id == Activity.grid_id)
    )


def _newest_first(flt: ActivityFilter) -> tuple:
    # Ids grow with every insert: the latest entered is the highest id (created_at is a local
    # clock reading, the same second for a whole import).
    if flt.order == "date":
        return (Activity.occurred_on.desc(), Activity.id.desc())
    return (Activity.id.desc(),)


def list_activities(
    session: Session, flt: ActivityFilter, page: int = 1, page_size: int = 50, lang: str = "zh"
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching records, newest first (the latest entered, or the latest dated), and
    how many match in all."""
    total = session.scalar(_filtered(session, select(func.count()).select_from(Activity), flt))
    page_size = max(1, min(page_size, 500))
    page = max(1, page)
    rows = session.execute(
        _filtered(session, _log_select(lang), flt)
        .order_by(*_newest_first(flt))
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return [dict(r._mapping) for r in rows], total or 0


def export_activities(
    session: Session, flt: ActivityFilter, limit: int, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Up to `limit` matching records, newest first (as the log lists them), for a CSV or Excel
    export."""
    rows = session.execute(
        _filtered(session, _log_select(lang), flt).order_by(*_newest_first(flt)).limit(limit)
    )
    return [dict(r._mapping) for r in rows]
