"""What the map needs beside the areas family (data_access/areas.py): district boundaries,
activity weights per community, and reported stocks per region of a level inside a region."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.indicators import get_stock_month, stock_month_in_reach
from data_access.models import Region, ReportedValue, Rollup
from data_access.periods import Period
from data_access.regions import RegionInfo, scope_clause

# The names get_stocks_within reads its rows through (r1 moves it to stocks.py).
from data_access.regions import check_level as _check_level
from data_access.regions import summary_source as _source


def _scoped(stmt, table, region: RegionInfo):
    clause = scope_clause(table, region)
    return stmt if clause is None else stmt.where(clause)


def get_district_boundaries(session: Session, tolerance: float = 0.0) -> dict[str, dict]:
    """Each district's boundary as a GeoJSON geometry (GCJ-02), by district code; with a
    tolerance (degrees), simplified as a coverage so that neighbours still share their edges."""
    rows = session.execute(
        select(Region.code, Region.boundary_geojson).where(
            Region.level == "district", Region.boundary_geojson.is_not(None)
        )
    )
    out = {}
    for code, text in rows:
        data = json.loads(text)
        out[code] = data.get("geometry", data) if data.get("type") == "Feature" else data
    if tolerance > 0 and out:
        import shapely
        from shapely.geometry import mapping, shape

        codes = list(out)
        simple = shapely.coverage_simplify([shape(out[c]) for c in codes], tolerance)
        out = {c: json.loads(json.dumps(mapping(g))) for c, g in zip(codes, simple, strict=True)}
    return out


def get_stocks_within(
    session: Session, region: RegionInfo, level: str, period: Period
) -> dict[int, dict[str, float]] | None:
    """Per region of the level: reported stocks as of the period's end (None: none reported)."""
    _check_level(region, level)
    month = get_stock_month(session, period)
    if not stock_month_in_reach(month, period.start):
        return None
    table, key, where = _source(ReportedValue, region, level)
    stmt = (
        select(key, table.indicator_key, func.sum(table.value))
        .where(table.month == month, where, key.is_not(None))
        .group_by(key, table.indicator_key)
    )
    out: dict[int, dict[str, float]] = {}
    for region_id, indicator, value in session.execute(stmt):
        out.setdefault(region_id, {})[indicator] = float(value)
    return out


def get_activity_weights(
    session: Session, region: RegionInfo, period: Period
) -> list[tuple[float, float, int]]:
    """(lon, lat, activities) per community inside the region in the period: the density layer's
    input, summed from the rollups so that the browser gets one point per community."""
    stmt = (
        select(Region.lon, Region.lat, func.sum(Rollup.n))
        .join(Region, Region.id == Rollup.community_id)
        .where(Rollup.month.between(period.start, period.end))
        .group_by(Rollup.community_id, Region.lon, Region.lat)
    )
    return [
        (float(lon), float(lat), int(n))
        for lon, lat, n in session.execute(_scoped(stmt, Rollup, region))
        if n
    ]
