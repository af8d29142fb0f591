"""What the map needs, for all regions of one level inside another at once: indicator values,
index scores, district boundaries and activity weights per community, each in a few GROUP BY
queries over the rollups (never the raw activities)."""

from __future__ import annotations

import json

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from data_access.indicators import TOTAL_COLUMNS, compute_indicator_values
from data_access.models import AreaRollup, Region, Rollup
from data_access.periods import Period
from data_access.regions import RegionInfo, scope_clause, select_region_info
from data_access.registry import LEVELS
from data_access.scoring import IndexResult, RegionShare, compute_index, get_settings
from data_access.stocks import get_stocks_within, values_of

MAP_LEVELS = ("district", "street", "community")


def _check_level(region: RegionInfo, level: str) -> None:
    if level not in MAP_LEVELS or LEVELS.index(level) <= LEVELS.index(region.level):
        raise ValueError(f"no {level} level inside a {region.level}")


def _scoped(stmt, table, region: RegionInfo):
    clause = scope_clause(table, region)
    return stmt if clause is None else stmt.where(clause)


def list_regions_within(session: Session, region: RegionInfo, level: str) -> list[RegionInfo]:
    """The regions of a level inside a region (e.g. all communities of a district), by code."""
    _check_level(region, level)
    stmt = _scoped(select_region_info().where(Region.level == level), Region, region)
    return [RegionInfo(*row) for row in session.execute(stmt.order_by(Region.code))]


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


def _source(table, region: RegionInfo, level: str):
    """Where the sums per region of a level inside a region are: the area summaries (one row per
    street or district, month and key) above community level, else the community rows of
    `table`. Returns the table, the column naming the region, and the WHERE clause."""
    _check_level(region, level)
    if level == "community":
        return table, table.community_id, scope_clause(table, region)
    area = AreaRollup
    # A district or street level below a region: every such area of the city, or the streets
    # whose parent is the given district.
    where = area.level == level
    if region.level != "city":
        where = and_(where, area.parent_id == region.id)
    return area, area.region_id, where


def get_totals_within(
    session: Session, region: RegionInfo, level: str, period: Period
) -> dict[int, dict[str, dict[str, float]]]:
    """Per region of the level: per activity type, the count and measure sums (from rollups)."""
    table, key, where = _source(Rollup, region, level)
    stmt = (
        select(key, table.type_key, *(func.sum(getattr(table, c)) for c in TOTAL_COLUMNS))
        .where(table.month.between(period.start, period.end), where)
        .group_by(key, table.type_key)
    )
    out: dict[int, dict[str, dict[str, float]]] = {}
    for row in session.execute(stmt):
        out.setdefault(row[0], {})[row[1]] = {
            col: (value or 0) for col, value in zip(TOTAL_COLUMNS, row[2:], strict=True)
        }
    return out


def get_values_within(
    session: Session, region: RegionInfo, level: str, period: Period
) -> dict[str, dict[str, float | None]]:
    """Every indicator's value for each region of the level inside the region, by code."""
    _check_level(region, level)
    totals = get_totals_within(session, region, level, period)
    stocks = get_stocks_within(session, region, level, period)
    return {
        r.code: compute_indicator_values(
            totals.get(r.id, {}),
            values_of(stocks.get(r.id, {})),
            r.level,
            r.population,
            period.n_months,
        )
        for r in list_regions_within(session, region, level)
    }


def get_index_within(
    session: Session,
    region: RegionInfo,
    level: str,
    city: RegionInfo,
    period: Period,
    values: dict[str, dict[str, float | None]] | None = None,
) -> dict[str, IndexResult]:
    """The happiness index of each region of the level inside the region, by code."""
    if values is None:
        values = get_values_within(session, region, level, period)
    settings = get_settings(session)
    community_count = func.count()
    if level == "community":
        per_region: dict[int, int] = {}
    else:
        key = getattr(Region, f"{level}_id")
        stmt = _scoped(
            select(key, community_count).where(Region.level == "community").group_by(key),
            Region,
            region,
        )
        per_region = dict(session.execute(stmt).all())
    total = session.scalar(select(func.count()).where(Region.level == "community")) or 1
    out = {}
    for r in list_regions_within(session, region, level):
        mine = 1 if level == "community" else per_region.get(r.id, 0)
        population = r.population / city.population if city.population else 0.0
        share = RegionShare(population, mine / total)
        out[r.code] = compute_index(values.get(r.code, {}), settings, share, period, level)
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
