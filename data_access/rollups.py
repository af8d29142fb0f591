"""The monthly rollups: rebuilt from raw activities in SQL; and their sums per city, district and
street (area rollups and area stocks), rebuilt from the rollups and the reported values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from data_access.bulk import bulk_insert
from data_access.indicators import TOTAL_COLUMNS
from data_access.models import (
    Activity,
    AreaRollup,
    AreaStock,
    AreaYearRollup,
    Region,
    ReportedValue,
    Rollup,
)
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


_AREA_LEVELS = ("city", "district", "street")


def _area_rollup_selects(months: list[int] | None):
    """Per level (_AREA_LEVELS), the monthly area rollups (of these months; all when None)
    summed from the community rollups, as SELECTs of _AREA_ROLLUP_COLUMNS."""
    city_id = select(Region.id).where(Region.level == "city").scalar_subquery()
    sums = [func.sum(getattr(Rollup, c)).label(c) for c in TOTAL_COLUMNS]
    levels = (
        (city_id, null(), ()),
        (Rollup.district_id, city_id, (Rollup.district_id,)),
        (Rollup.street_id, Rollup.district_id, (Rollup.street_id, Rollup.district_id)),
    )
    for level, (region_id, parent_id, keys) in zip(_AREA_LEVELS, levels, strict=True):
        stmt = select(
            region_id.label("region_id"),
            Rollup.month,
            Rollup.type_key,
            literal(level, String).label("level"),
            cast(parent_id, Integer).label("parent_id"),
            *sums,
        ).group_by(*keys, Rollup.month, Rollup.type_key)
        yield stmt.where(Rollup.month.in_(months)) if months is not None else stmt


def refresh_area_month_rollups(session: Session, months: list[int] | None = None) -> None:
    """Recompute the monthly area rollups of some months (all when None) from the community
    rollups (not their years: refresh_area_rollups does both)."""
    wipe = delete(AreaRollup)
    session.execute(wipe.where(AreaRollup.month.in_(months)) if months is not None else wipe)
    for stmt in _area_rollup_selects(months):
        session.execute(insert(AreaRollup).from_select(_AREA_ROLLUP_COLUMNS, stmt))


_YEAR = AreaRollup.month // 100  # yyyymm → yyyy (integer division on both engines)
_AREA_YEAR_COLUMNS = ["region_id", "year", "type_key", "level", "parent_id", *TOTAL_COLUMNS]


def _area_year_select(years: list[int] | None):
    """The yearly area rollups (of these years; all when None), summed from the monthly ones,
    as a SELECT of _AREA_YEAR_COLUMNS."""
    a = AreaRollup
    keys = (a.region_id, _YEAR.label("year"), a.type_key, a.level, a.parent_id)
    sums = (func.sum(getattr(a, c)).label(c) for c in TOTAL_COLUMNS)
    stmt = select(*keys, *sums).group_by(*keys)
    return stmt if years is None else stmt.where(_YEAR.in_(years))


def refresh_area_year_rollups(session: Session, years: list[int] | None = None) -> None:
    """Recompute the yearly area rollups of some years (all when None) from the monthly area
    rollups."""
    wipe = delete(AreaYearRollup)
    session.execute(wipe.where(AreaYearRollup.year.in_(years)) if years is not None else wipe)
    stmt = _area_year_select(years)
    session.execute(insert(AreaYearRollup).from_select(_AREA_YEAR_COLUMNS, stmt))


def refresh_area_rollups(session: Session, months: list[int] | None = None) -> None:
    """Recompute the area rollups of some months (all when None) and of their years from the
    community rollups. (Writers add their changes to all three instead: activities.py; area
    stocks follow the approved reports: refresh_area_stocks.)"""
    refresh_area_month_rollups(session, months)
    years = None if months is None else sorted({m // 100 for m in months})
    refresh_area_year_rollups(session, years)


def rebuild_area_rollups(session: Session) -> None:
    """Recompute every area rollup, monthly and yearly (area stocks: rebuild_area_stocks)."""
    refresh_area_rollups(session, None)


def _differing(stored: tuple, recounted: tuple) -> list[int]:
    """The positions where two rows of totals differ. Hours are floats added and taken away one
    record at a time, so totals count as equal within a millionth."""
    return [
        i
        for i, (x, y) in enumerate(zip(stored, recounted, strict=True))
        if abs(float(x or 0) - float(y or 0)) > 1e-6 * max(1.0, abs(float(y or 0)))
    ]


def _differ(stored: tuple, recounted: tuple) -> bool:
    """Whether two rows of totals differ (_differing), equal rows answered at C speed: nearly
    every row of a check is equal."""
    return stored != recounted and bool(_differing(stored, recounted))


def _beyond(stored, recounted):
    """SQL: whether two totals differ by more than a ten-millionth (a tenth of _differing's
    margin, so that the sift below never passes a row _differing would report)."""
    a, b = func.coalesce(stored, 0), func.coalesce(recounted, 0)
    return func.abs(a - b) > 1e-7 * case((func.abs(b) > 1, func.abs(b)), else_=1)


def _agree(session: Session, recount, stored, keys: Sequence[str], same: Sequence[str]) -> bool:
    """Whether the stored rows (a SELECT) are the recount (a SELECT) row for row: the same keys,
    the same `same` columns and totals (TOTAL_COLUMNS) within _beyond's margin, in one pass of
    the store's own engine. A stored row missing counts as zeros (so do the comparisons in
    Python), a stored row too many shows in the count. A sift: when it says no, the comparison
    in Python says where; a check of a sound store fetches no row at all (bench/check.py)."""
    r, s = recount.subquery("recounted"), stored.subquery("stored")
    on = and_(*(r.c[k] == s.c[k] for k in keys))
    wrong = or_(
        *(r.c[c].is_distinct_from(s.c[c]) for c in same),
        *(_beyond(s.c[c], r.c[c]) for c in TOTAL_COLUMNS),
    )
    conn = session.connection()
    matched, wrong_rows = conn.execute(
        select(
            func.count(s.c[keys[0]]), func.coalesce(func.sum(case((wrong, 1), else_=0)), 0)
        ).select_from(r.outerjoin(s, on))
    ).one()
    return not wrong_rows and matched == conn.execute(select(func.count()).select_from(s)).scalar()


def compare_area_rollups(session: Session) -> list[tuple[int, int, str]]:
    """The (region, month, type) keys whose stored area rollup differs from a recount of the
    community rollups, and (region, yyyy00, type) those of a yearly area rollup that differs
    from the sum of its year's recounted months (empty when they agree)."""
    if _area_rollups_agree(session):
        return []
    columns = TOTAL_COLUMNS
    recount: dict[tuple[int, int, str], tuple] = {}
    conn = session.connection()  # Core rows: the ORM's row loading was a tenth of a check
    for stmt in _area_rollup_selects(None):
        for row in conn.execute(stmt):
            recount[(row[0], row[1], row[2])] = tuple(float(v or 0) for v in row[5:])
    for (region_id, month, type_key), sums in list(recount.items()):
        year = (region_id, month // 100 * 100, type_key)
        before = recount.get(year, (0.0,) * len(columns))
        recount[year] = tuple(a + b for a, b in zip(before, sums, strict=True))
    stored = {}
    for model, period in ((AreaRollup, AreaRollup.month), (AreaYearRollup, AreaYearRollup.year)):
        scale = 100 if model is AreaYearRollup else 1
        for row in conn.execute(
            select(model.region_id, period, model.type_key, *(getattr(model, c) for c in columns))
        ):
            stored[(row[0], row[1] * scale, row[2])] = tuple(float(v or 0) for v in row[3:])
    zero = (0.0,) * len(columns)
    keys = recount.keys() | stored.keys()
    return sorted(k for k in keys if _differ(stored.get(k, zero), recount.get(k, zero)))


def _area_rollups_agree(session: Session) -> bool:
    """The sift (_agree) of compare_area_rollups: each level's monthly rows against their
    recount, and the yearly rows against the sums of the stored monthly rows (equal to the sums
    of the recounted ones once those agree)."""
    keys = ("region_id", "month", "type_key")
    columns = [getattr(AreaRollup, c) for c in (*keys, *TOTAL_COLUMNS)]
    for level, recount in zip(_AREA_LEVELS, _area_rollup_selects(None), strict=True):
        stored = select(*columns).where(AreaRollup.level == level)
        if not _agree(session, recount, stored, keys, ()):
            return False
    year_keys = ("region_id", "year", "type_key")
    stored = select(*(getattr(AreaYearRollup, c) for c in (*year_keys, *TOTAL_COLUMNS)))
    return _agree(session, _area_year_select(None), stored, year_keys, ())


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
    keys = ("community_id", "month", "type_key")
    if _agree(session, recount_query, stored_query, keys, names[:2]):
        return []
    conn = session.connection()  # Core rows, as in compare_area_rollups
    recount = by_key(conn.execute(recount_query))
    stored = by_key(conn.execute(stored_query))
    zero = (None, None, *([0] * (len(names) - 2)))
    diffs: list[RollupDifference] = []
    for key in recount.keys() | stored.keys():
        a, b = stored.get(key, zero), recount.get(key, zero)
        if a == b:
            continue
        if a[:2] != b[:2] and a is not zero and b is not zero:
            diffs.extend(
                RollupDifference(*key, names[i], a[i], b[i]) for i in (0, 1) if a[i] != b[i]
            )
        for i in _differing(a[2:], b[2:]):
            diffs.append(
                RollupDifference(*key, names[2 + i], float(a[2 + i] or 0), float(b[2 + i] or 0))
            )
    return sorted(diffs, key=lambda d: (d.community_id, d.month, d.type_key, d.column))


# Area stocks: per city, district and street, indicator and month, the standing total of the
# approved values inside (each reporting region's latest value in or before the month) and the
# oldest month among them. A row exists for each month in which some value inside starts; a
# reader takes an area's latest row up to the month it wants (nothing changed in between).
AreaStockKey = tuple[int, str, int]
AREA_STOCK_COLUMNS = (
    "region_id",
    "month",
    "indicator_key",
    "level",
    "parent_id",
    "value",
    "as_of",
)  # (area region id, indicator, month)


def _recount_area_stocks(
    session: Session, keys: Iterable[str] | None = None, since: int = 0
) -> dict[AreaStockKey, tuple[float, int]]:
    """(total, oldest month) per area row from `since` on, counted from the approved values of
    the indicators (all when None): one read of the values standing at or after `since`, those
    of a street with the same indicator and span summed by the store (standing_value_sums: a
    sixth as many rows on the demo city), then summed per area with numpy."""
    city_id = session.scalar(select(Region.id).where(Region.level == "city"))
    stmt = standing_value_sums(keys, since)
    return area_stock_totals(session.connection().execute(stmt).all(), city_id, since)


def standing_value_sums(keys: Iterable[str] | None, since: int, but: Sequence[int] = ()) -> Select:
    """The approved values of the indicators (all when None) standing after month `since`,
    summed per indicator, span, district and street, leaving out the values of the regions
    `but`: area_stock_totals' input as the store sums it (the recount's rows are linear in the
    values, and a span's values all start in its month)."""
    rv = ReportedValue
    spans = (rv.indicator_key, rv.month, rv.until_month)
    places = (rv.district_id, rv.street_id)
    stmt = select(*spans, func.sum(rv.value), *places).group_by(*spans, *places)
    if since > 0:  # every value stands after month 0: a whole recount reads the table in order
        stmt = stmt.where(rv.until_month > since)
    if keys is not None:
        stmt = stmt.where(rv.indicator_key.in_(sorted(set(keys))))
    if but:
        stmt = stmt.where(rv.region_id.not_in(list(but)))
    return stmt


def area_stock_totals(
    rows: Sequence[Sequence[Any]], city_id: int | None, since: int = 0
) -> dict[AreaStockKey, tuple[float, int]]:
    """(total, oldest month) per area row from `since` on, counted from approved values given as
    (indicator, month, until_month, value, district id, street id) rows: the one computation of
    the area stocks, for a recount of the store (_recount_area_stocks) and for a publication
    worked out before its write transaction (reports.py)."""
    if not rows or city_id is None:
        return {}
    import numpy as np  # here, not at import: the Overview imports this module, never runs this

    key_names = sorted({r[0] for r in rows})
    key_index = {k: i for i, k in enumerate(key_names)}
    cols = list(zip(*rows, strict=True))
    key = np.fromiter((key_index[k] for k in cols[0]), np.int64, len(rows))
    month = np.asarray(cols[1], np.int64)
    until = np.asarray(cols[2], np.int64)
    value = np.asarray(cols[3], np.float64)
    # Each value counts in its city, district and street (where it has one).
    parts = []
    for area_col in ([city_id] * len(rows), cols[4], cols[5]):
        area = np.asarray([-1 if a is None else a for a in area_col], np.int64)
        keep = area >= 0
        parts.append((area[keep], key[keep], month[keep], until[keep], value[keep]))
    area, key, month, until, value = (np.concatenate(c) for c in zip(*parts, strict=True))
    # The area rows: each (area, indicator, month) in which some value inside starts.
    group = area * len(key_names) + key
    stride = 1_000_000  # months are yyyymm < 10**6
    starts = np.unique((group * stride + month)[month >= since])
    first = group * stride + np.maximum(month, since)
    lo = np.searchsorted(starts, first, "left")
    hi = np.searchsorted(starts, group * stride + until, "left")
    counts = hi - lo
    entry = np.repeat(np.arange(len(group)), counts)
    target = np.repeat(lo, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    totals = np.bincount(target, weights=value[entry], minlength=len(starts))
    as_of = np.full(len(starts), stride, np.int64)
    np.minimum.at(as_of, target, month[entry])
    row_group, row_month = np.divmod(starts, stride)
    row_area, row_key = np.divmod(row_group, len(key_names))
    return {
        (int(a), key_names[k], int(m)): (float(t), int(o))
        for a, k, m, t, o in zip(
            row_area.tolist(),
            row_key.tolist(),
            row_month.tolist(),
            totals.tolist(),
            as_of.tolist(),
            strict=True,
        )
    }


def area_places(session: Session, areas: set[int]) -> dict[int, tuple[str, int | None]]:
    """The level and parent of each of these areas (city, district or street ids), for their
    area_stocks rows."""
    return {
        rid: (level, parent)
        for rid, level, parent in session.execute(
            select(Region.id, Region.level, Region.parent_id).where(
                Region.level.in_(("city", "district", "street"))
            )
        )
        if rid in areas
    }


def refresh_area_stocks(
    session: Session, keys: Iterable[str] | None = None, since: int = 0
) -> None:
    """Recount the area stocks of the indicators (all when None) from month `since` on, after
    approved values starting in `since` were added or withdrawn (same transaction)."""
    keys = None if keys is None else sorted(set(keys))
    recount = _recount_area_stocks(session, keys, since)
    wipe = delete(AreaStock).where(AreaStock.month >= since)
    if keys is not None:
        wipe = wipe.where(AreaStock.indicator_key.in_(keys))
    session.execute(wipe)
    place = area_places(session, {k[0] for k in recount})
    rows = (
        (area, month, key, *place[area], value, as_of)
        for (area, key, month), (value, as_of) in recount.items()
    )
    bulk_insert(session, AreaStock.__table__, AREA_STOCK_COLUMNS, rows)


def rebuild_area_stocks(session: Session) -> None:
    """Recount every area stock from the approved values."""
    refresh_area_stocks(session, None, 0)


@dataclass(frozen=True)
class StockDifference:
    """One area stock row that differs from a recount of the approved values."""

    region_id: int
    month: int
    indicator_key: str
    stored: tuple[float, int] | None  # (total, as-of month); None: missing
    recounted: tuple[float, int] | None


def compare_area_stocks(session: Session) -> list[StockDifference]:
    """Every area stock row that differs from a recount of the approved values (empty when
    they agree)."""
    recount = _recount_area_stocks(session)
    columns = (AreaStock.region_id, AreaStock.month, AreaStock.indicator_key)
    rows = session.connection().execute(select(*columns, AreaStock.value, AreaStock.as_of)).all()
    stored = {(r, k, m): (float(v), a) for r, m, k, v, a in rows}  # one fetch, not row by row
    if stored == recount:  # the usual answer, at C speed
        return []
    diffs = []
    for key in recount.keys() | stored.keys():
        a, b = stored.get(key), recount.get(key)
        same = a == b or (
            a is not None and b is not None and a[1] == b[1] and not _differing((a[0],), (b[0],))
        )
        if not same:
            diffs.append(StockDifference(key[0], key[2], key[1], a, b))
    return sorted(diffs, key=lambda d: (d.region_id, d.month, d.indicator_key))
