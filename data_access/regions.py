"""Reading the region hierarchy."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from data_access.models import (
    AreaRollup,
    AreaStock,
    AreaYearRollup,
    Compound,
    CompoundGrid,
    Region,
    Rollup,
)
from data_access.registry import DATA_LEVELS, LEVELS, Level, child_level


@dataclass(frozen=True)
class RegionInfo:
    id: int
    code: str
    level: Level
    parent_id: int | None
    name_zh: str
    name_en: str
    lat: float
    lon: float
    population: int
    households: int

    def name(self, lang: str) -> str:
        """The region's name in the language ('zh' or 'en')."""
        return self.name_zh if lang == "zh" else self.name_en


def select_region_info() -> Select:
    """A SELECT of the columns RegionInfo is made of."""
    return select(
        Region.id,
        Region.code,
        Region.level,
        Region.parent_id,
        Region.name_zh,
        Region.name_en,
        Region.lat,
        Region.lon,
        Region.population,
        Region.households,
    )


def get_city(session: Session) -> RegionInfo | None:
    """The root region (the city), or None in an empty store."""
    row = session.execute(select_region_info().where(Region.level == "city")).first()
    return RegionInfo(*row) if row else None


def get_region(session: Session, code: str) -> RegionInfo | None:
    """The region with this code, or None."""
    if "\x00" in code:  # from a URL: PostgreSQL refuses NUL in text, and no code holds one
        return None
    row = session.execute(select_region_info().where(Region.code == code)).first()
    return RegionInfo(*row) if row else None


def get_region_by_id(session: Session, region_id: int) -> RegionInfo | None:
    """The region with this id, or None."""
    row = session.execute(select_region_info().where(Region.id == region_id)).first()
    return RegionInfo(*row) if row else None


def list_children(session: Session, region_id: int) -> list[RegionInfo]:
    """The direct children of a region, by code."""
    rows = session.execute(
        select_region_info().where(Region.parent_id == region_id).order_by(Region.code)
    )
    return [RegionInfo(*r) for r in rows]


def list_ancestors(session: Session, region: RegionInfo) -> list[RegionInfo]:
    """The region's ancestors from the city down to its parent."""
    chain: list[RegionInfo] = []
    parent_id = region.parent_id
    while parent_id is not None:
        parent = get_region_by_id(session, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    return chain[::-1]


def count_by_level(session: Session) -> dict[str, int]:
    """How many regions there are at each level."""
    rows = session.execute(select(Region.level, func.count()).group_by(Region.level))
    counts = dict(rows.all())
    return {level: counts.get(level, 0) for level in LEVELS}


def scope_clause(table, region: RegionInfo) -> ColumnElement[bool] | None:
    """A WHERE clause limiting a table with district_id/street_id/community_id columns to the
    region's subtree (None for the city: no limit)."""
    if region.level == "city":
        return None
    if region.level not in DATA_LEVELS:
        raise ValueError(f"no aggregate data below community level ({region.level})")
    return getattr(table, f"{region.level}_id") == region.id


def check_level(region: RegionInfo, level: Level) -> None:
    """Refuse a level that is not below the region or has no figures of its own (ValueError)."""
    if level not in DATA_LEVELS or LEVELS.index(level) <= LEVELS.index(region.level):
        raise ValueError(f"no {level} level inside a {region.level}")


def summary_source(table, region: RegionInfo, level: Level, whole_year: bool = False):
    """Where the sums of each region of a level inside a region are (the region's own at its own
    level): the area summaries (one row per city, district or street, month and key; for the
    activities' totals of a whole year, `whole_year`, one row per year and key) above community
    level, else the community rows of `table` (Rollup or ReportedValue). Returns the table to
    read, the column naming the region, and the WHERE clause (None: no limit)."""
    if level == "community":
        return table, table.community_id, scope_clause(table, region)
    if level not in DATA_LEVELS:
        raise ValueError(f"no aggregate data below community level ({level})")
    area = (AreaYearRollup if whole_year else AreaRollup) if table is Rollup else AreaStock
    if level == region.level:
        return area, area.region_id, area.region_id == region.id
    if level == child_level(region.level):
        return area, area.region_id, area.parent_id == region.id
    # The only deeper area level: every street of the city.
    return area, area.region_id, area.level == level


def count_communities(session: Session, region: RegionInfo, level: Level) -> dict[int, int]:
    """How many communities each region of a level inside a region (the region itself at its
    own level) has, by id."""
    if level == "city":
        total = select(func.count()).where(Region.level == "community")
        return {region.id: session.scalar(total) or 0}
    by = getattr(Region, f"{level}_id")
    stmt = select(by, func.count()).where(Region.level == "community").group_by(by)
    clause = scope_clause(Region, region)
    return dict(session.execute(stmt if clause is None else stmt.where(clause)).all())


def list_compounds(session: Session, community_id: int, grid_id: int | None = None) -> list[dict]:
    """The compounds of a community (of one of its grids, if given): id, code, names, by code."""
    query = select(Compound.id, Compound.code, Compound.name_zh, Compound.name_en).where(
        Compound.community_id == community_id
    )
    if grid_id is not None:
        query = query.join(CompoundGrid, CompoundGrid.compound_id == Compound.id).where(
            CompoundGrid.grid_id == grid_id
        )
    return [dict(r._mapping) for r in session.execute(query.order_by(Compound.code))]
