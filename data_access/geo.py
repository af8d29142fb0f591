"""What the map needs beside the areas family (data_access/areas.py): district boundaries,
and activity weights per community (standing figures are read by data_access/stocks.py)."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.models import Region, Rollup
from data_access.periods import Period
from data_access.regions import RegionInfo, scope_clause


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
