"""The monthly rollups: rebuilt from raw activities in SQL; and their sums per city, district and
street (area rollups and area stocks), rebuilt from the rollups and the reported values."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, String, cast, delete, extract, func, insert, literal, null, select
from sqlalchemy.orm import Session

from data_access.indicators import TOTAL_COLUMNS
from data_access.models import Activity, AreaRollup, AreaStock, Region, ReportedValue, Rollup
from data_access.registry import MEASURE_KEYS

_MONTH = cast(
    extract("year", Activity.occurred_on) * 100 + extract("month", Activity.occurred_on), Integer
)


def select_rollups_from_activities():
    """A SELECT computing the rollups from the live (not deleted) activities."""
    return (
        select(
            Activity.community_id,
            _MONTH.label("month"),
            Activity.type_key,
            Activity.street_id,
            Activity.district_id,
            func.count().label("n"),
            *(func.coalesce(func.sum(getattr(Activity, m)), 0).label(m) for m in MEASURE_KEYS),
        )
        .where(Activity.deleted_at.is_(None))
        .group_by(
            Activity.community_id,
            _MONTH,
            Activity.type_key,
            Activity.street_id,
            Activity.district_id,
        )
    )


def rebuild_rollups(session: Session) -> int:
    """Replace all rollups by a recount of the activities; return the number of rollup rows."""
    session.execute(delete(Rollup))
    columns = ["community_id", "month", "type_key", "street_id", "district_id", "n", *MEASURE_KEYS]
    result = session.execute(insert(Rollup).from_select(columns, select_rollups_from_activities()))
    rebuild_area_rollups(session)
    return result.rowcount


_AREA_ROLLUP_COLUMNS = ["region_id", "month", "type_key", "level", "parent_id", "n", *MEASURE_KEYS]
_AREA_STOCK_COLUMNS = ["region_id", "month", "indicator_key", "level", "parent_id", "value"]


def _area_rollup_selects(months: list[int] | None):
    city_id = select(Region.id).where(Region.level == "city").scalar_subquery()
    sums = [func.sum(Rollup.n), *(func.sum(getattr(Rollup, m)) for m in MEASURE_KEYS)]
    levels = (
        ("city", city_id, null(), ()),
        ("district", Rollup.district_id, city_id, (Rollup.district_id,)),
        ("street", Rollup.street_id, Rollup.district_id, (Rollup.street_id, Rollup.district_id)),
    )
    for level, region_id, parent_id, keys in levels:
        stmt = select(
            region_id,
            Rollup.month,
            Rollup.type_key,
            literal(level, String),
            cast(parent_id, Integer),
            *sums,
        ).group_by(*keys, Rollup.month, Rollup.type_key)
        yield stmt.where(Rollup.month.in_(months)) if months is not None else stmt


def _area_stock_selects(months: list[int] | None):
    city_id = select(Region.id).where(Region.level == "city").scalar_subquery()
    rv = ReportedValue
    levels = (
        ("city", city_id, null(), (), None),
        ("district", rv.district_id, city_id, (rv.district_id,), rv.district_id),
        ("street", rv.street_id, rv.district_id, (rv.street_id, rv.district_id), rv.street_id),
    )
    for level, region_id, parent_id, keys, present in levels:
        stmt = select(
            region_id,
            rv.month,
            rv.indicator_key,
            literal(level, String),
            cast(parent_id, Integer),
            func.sum(rv.value),
        ).group_by(*keys, rv.month, rv.indicator_key)
        if present is not None:
            stmt = stmt.where(present.is_not(None))
        yield stmt.where(rv.month.in_(months)) if months is not None else stmt


def refresh_area_rollups(session: Session, months: list[int] | None = None) -> None:
    """Recompute the area rollups and area stocks of some months (all when None) from the
    community rollups and reported values; writers call it in the same transaction as their
    change so that the summaries stay exact."""
    for table, selects, columns in (
        (AreaRollup, _area_rollup_selects(months), _AREA_ROLLUP_COLUMNS),
        (AreaStock, _area_stock_selects(months), _AREA_STOCK_COLUMNS),
    ):
        wipe = delete(table)
        session.execute(wipe.where(table.month.in_(months)) if months is not None else wipe)
        for stmt in selects:
            session.execute(insert(table).from_select(columns, stmt))


def rebuild_area_rollups(session: Session) -> None:
    """Recompute every area rollup and area stock."""
    refresh_area_rollups(session, None)


def _differing(stored: tuple, recounted: tuple) -> list[int]:
    """The positions where two rows of totals differ. Hours are floats added and taken away one
    record at a time, so totals count as equal within a millionth."""
    return [
        i
        for i, (x, y) in enumerate(zip(stored, recounted, strict=True))
        if abs(float(x or 0) - float(y or 0)) > 1e-6 * max(1.0, abs(float(y or 0)))
    ]


def compare_area_rollups(session: Session) -> list[tuple[int, int, str]]:
    """The (region, month, type) keys whose stored area rollup differs from a recount of the
    community rollups (empty when they agree)."""
    columns = TOTAL_COLUMNS
    recount: dict[tuple[int, int, str], tuple] = {}
    for stmt in _area_rollup_selects(None):
        for row in session.execute(stmt):
            recount[(row[0], row[1], row[2])] = tuple(float(v or 0) for v in row[5:])
    stored = {
        (row[0], row[1], row[2]): tuple(float(v or 0) for v in row[3:])
        for row in session.execute(
            select(
                AreaRollup.region_id,
                AreaRollup.month,
                AreaRollup.type_key,
                *(getattr(AreaRollup, c) for c in columns),
            )
        )
    }
    zero = (0.0,) * len(columns)
    keys = recount.keys() | stored.keys()
    return sorted(k for k in keys if _differing(stored.get(k, zero), recount.get(k, zero)))


@dataclass(frozen=True)
class RollupDifference:
    """One rollup cell that differs from a recount of the activities."""

    community_id: int
    month: int
    type_key: str
    column: str
    stored: float
    recounted: float


def compare_rollups(session: Session, community_id: int | None = None) -> list[RollupDifference]:
    """Every difference between the stored rollups and a recount of the live activities (of
    one community, if given)."""
    names = ("street_id", "district_id", *TOTAL_COLUMNS)

    def by_key(rows) -> dict[tuple, tuple]:
        return {(r[0], int(r[1]), r[2]): tuple(r[3:]) for r in rows}

    recount_query = select_rollups_from_activities()
    stored_query = select(
        Rollup.community_id, Rollup.month, Rollup.type_key, *(getattr(Rollup, n) for n in names)
    )
    if community_id is not None:
        recount_query = recount_query.where(Activity.community_id == community_id)
        stored_query = stored_query.where(Rollup.community_id == community_id)
    recount = by_key(session.execute(recount_query))
    stored = by_key(session.execute(stored_query))
    zero = (None, None, *([0] * (len(names) - 2)))
    diffs: list[RollupDifference] = []
    for key in recount.keys() | stored.keys():
        a, b = stored.get(key, zero), recount.get(key, zero)
        if a[:2] != b[:2] and a is not zero and b is not zero:
            diffs.extend(
                RollupDifference(*key, names[i], a[i], b[i]) for i in (0, 1) if a[i] != b[i]
            )
        for i in _differing(a[2:], b[2:]):
            diffs.append(
                RollupDifference(*key, names[2 + i], float(a[2 + i] or 0), float(b[2 + i] or 0))
            )
    return sorted(diffs, key=lambda d: (d.community_id, d.month, d.type_key, d.column))


def rebuild_area_stocks(session) -> None:
    """Recount every area stock from the approved values (carried forward; see stocks.py)."""
    raise NotImplementedError
