"""Reading the activity log: one record and its history, and the filtered, paged list and its
export, each limited to what the viewer may see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from data_access.activities import snapshot
from data_access.auth import viewer_clause, viewer_scope
from data_access.models import Activity, AuditLog, Region, Rollup
from data_access.regions import (
    RegionInfo,
    get_city,
    get_region_by_id,
    scope_clause,
    summary_source,
)
from data_access.registry import DATA_LEVELS, LEVELS, MEASURE_KEYS, activity_types_of


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


def _type_keys(flt: ActivityFilter) -> list[str] | None:
    """The activity types the filter keeps (None: every type)."""
    if flt.type_key:
        return [flt.type_key]
    if flt.pillar:
        return [t.key for t in activity_types_of(flt.pillar)]
    return None


def _filtered(session: Session, query, flt: ActivityFilter):
    live = Activity.deleted_at.is_(None)
    conditions = [~live if flt.deleted else live, viewer_clause(session, flt.viewer, Activity)]
    if flt.start:
        conditions.append(Activity.occurred_on >= flt.start)
    if flt.end:
        conditions.append(Activity.occurred_on <= flt.end)
    if flt.level in LEVELS[1:] and flt.region_id is not None:
        conditions.append(getattr(Activity, f"{flt.level}_id") == flt.region_id)
    keys = _type_keys(flt)
    if keys is not None:
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


def _sort_columns(flt: ActivityFilter) -> tuple:
    # Ids grow with every insert: the latest entered is the highest id (created_at is a local
    # clock reading, the same second for a whole import).
    if flt.order == "date":
        return (Activity.occurred_on, Activity.id)
    return (Activity.id,)


def _newest_first(flt: ActivityFilter) -> tuple:
    return tuple(c.desc() for c in _sort_columns(flt))


def _oldest_first(flt: ActivityFilter) -> tuple:
    return tuple(c.asc() for c in _sort_columns(flt))


def page_key(row: dict[str, Any], order: str) -> tuple:
    """Where a listed record stands in the log's order (`ActivityFilter.order`): what a page
    next to it is sought from (list_activities' `seek`)."""
    return (row["occurred_on"], row["id"]) if order == "date" else (row["id"],)


def _whole_months(flt: ActivityFilter) -> tuple[int | None, int | None] | None:
    """The filter's first and last month (yyyymm; None: open) when its dates are whole months,
    else None."""
    if flt.start and flt.start.day != 1:
        return None
    if flt.end and (flt.end + timedelta(days=1)).day != 1:
        return None
    return (
        flt.start.year * 100 + flt.start.month if flt.start else None,
        flt.end.year * 100 + flt.end.month if flt.end else None,
    )


def _narrowest(session: Session, regions: list[RegionInfo]) -> RegionInfo | None:
    """The region that both regions (the viewer's scope, the filter's) cover, None when they do
    not overlap; the city when none is given."""
    if not regions:
        return get_city(session)
    if len(regions) == 1:
        return regions[0]
    outer, inner = sorted(regions, key=lambda r: LEVELS.index(r.level))
    if outer.level == inner.level:
        return inner if inner.id == outer.id else None
    clause = scope_clause(Region, outer)
    if clause is None:
        return inner
    inside = session.scalar(select(Region.id).where(Region.id == inner.id, clause))
    return inner if inside is not None else None


def _summary_count(session: Session, flt: ActivityFilter) -> int | None:
    """How many live records match, read from the monthly summaries, which count every live
    record exactly (`python -m data_access check`): a few rows at any number of records. None
    when they cannot answer (a text search, deleted records, dates that are not whole months,
    a grid)."""
    months = _whole_months(flt)
    if months is None or flt.deleted or (flt.text and flt.text.strip()):
        return None
    scope = viewer_scope(session, flt.viewer)
    if scope is False:
        return 0
    regions = [] if scope is True else [scope]
    if flt.level in LEVELS[1:] and flt.region_id is not None:
        if flt.level not in DATA_LEVELS:
            return None
        chosen = get_region_by_id(session, flt.region_id)
        if chosen is None or chosen.level != flt.level:
            return 0  # no record's {level}_id is the id of a region of another level
        regions.append(chosen)
    region = _narrowest(session, regions)
    if region is None:
        return 0 if regions else None
    table, _, where = summary_source(Rollup, region, region.level)
    stmt = select(func.coalesce(func.sum(table.n), 0)).where(where)
    first, last = months
    if first is not None:
        stmt = stmt.where(table.month >= first)
    if last is not None:
        stmt = stmt.where(table.month <= last)
    keys = _type_keys(flt)
    if keys is not None:
        stmt = stmt.where(table.type_key.in_(keys))
    return int(session.scalar(stmt))


def count_activities(session: Session, flt: ActivityFilter) -> int:
    """How many records match the filter: from the monthly summaries when they can answer (the
    log as it opens: no text, whole months), else by counting the records."""
    counted = _summary_count(session, flt)
    if counted is not None:
        return counted
    return session.scalar(_filtered(session, select(func.count()).select_from(Activity), flt)) or 0


def list_activities(
    session: Session,
    flt: ActivityFilter,
    page: int = 1,
    page_size: int = 50,
    lang: str = "zh",
    seek: tuple[str, tuple] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching records, newest first (the latest entered, or the latest dated), and
    how many match in all.

    A page is never read by skipping the records before it (a SQL OFFSET reads and joins every
    skipped record: the last page of 7.4 million took 8–27 s). With `seek`, the page next to one
    already shown is read from that page's edge, at any depth: ("after", the last record's
    page_key) for the page after it, ("before", the first record's page_key) for the page
    before it; if nothing is there any more (records deleted since), the page is found by its
    number. Without it, the record the page starts at is found by walking the narrow index of
    the live records in the log's order from whichever end of the log is nearer (at most half
    the matching records), and the page is read from there."""
    total = count_activities(session, flt) or 0
    page_size = max(1, min(page_size, 500))
    page = max(1, page)
    listed = _filtered(session, _log_select(lang), flt)
    order = tuple_(*_sort_columns(flt))
    if seek is not None:
        side, key = seek
        if side == "before":
            rows = session.execute(
                listed.where(order > tuple(key)).order_by(*_oldest_first(flt)).limit(page_size)
            ).all()[::-1]
        else:
            rows = session.execute(
                listed.where(order < tuple(key)).order_by(*_newest_first(flt)).limit(page_size)
            ).all()
        if rows:
            return [dict(r._mapping) for r in rows], total
    skipped = (page - 1) * page_size
    if skipped:
        first = _key_at(session, flt, skipped, total)
        if first is None:
            return [], total
        listed = listed.where(order <= first)
    rows = session.execute(listed.order_by(*_newest_first(flt)).limit(page_size)).all()
    return [dict(r._mapping) for r in rows], total


def _key_at(session: Session, flt: ActivityFilter, position: int, total: int) -> tuple | None:
    """The sort key of the matching record at `position` in the log's order (0: the newest),
    read from the index of the live records alone, from the newer end or, past the middle, from
    the older one; None past the last record."""
    if position >= total:
        return None
    keys = _filtered(session, select(*_sort_columns(flt)), flt)
    if position < total - position:
        keys = keys.order_by(*_newest_first(flt)).offset(position)
    else:
        keys = keys.order_by(*_oldest_first(flt)).offset(max(0, total - 1 - position))
    found = session.execute(keys.limit(1)).first()
    return tuple(found) if found is not None else None


def export_activities(
    session: Session, flt: ActivityFilter, limit: int, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Up to `limit` matching records, newest first (as the log lists them), for a CSV or Excel
    export."""
    rows = session.execute(
        _filtered(session, _log_select(lang), flt).order_by(*_newest_first(flt)).limit(limit)
    )
    return [dict(r._mapping) for r in rows]
