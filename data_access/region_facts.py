"""The region facts that checking an activity needs (which community a grid or compound lies
in), read from the session on demand (the communities all at once for an import of many
rows)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Compound, CompoundGrid, Region


class RegionFacts:
    """Region facts validation needs, read from the session on demand (or all at once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._communities: dict[int, tuple[int, int] | None] = {}
        self._grids: dict[int, int | None] = {}
        self._compounds: dict[int, int | None] = {}
        self._compound_grids: dict[int, set[int]] = {}
        self._loaded = False  # every community read

    def preload(self) -> RegionFacts:
        """Read every community at once (for imports of many rows); a grid or a compound is
        read when asked for (most rows name none, and there are many of them)."""
        rows = self.session.execute(
            select(Region.id, Region.street_id, Region.district_id).where(
                Region.level == "community"
            )
        )
        for rid, street_id, district_id in rows:
            self._communities[rid] = (street_id, district_id)
        self._loaded = True
        return self

    def community(self, region_id: int) -> tuple[int, int] | None:
        """(street_id, district_id) of a community, or None if the id is not a community."""
        if region_id not in self._communities and not self._loaded:
            row = self.session.execute(
                select(Region.street_id, Region.district_id).where(
                    Region.id == region_id, Region.level == "community"
                )
            ).first()
            self._communities[region_id] = (row[0], row[1]) if row else None
        return self._communities.get(region_id)

    def grid_community(self, grid_id: int) -> int | None:
        """The community a grid belongs to, or None if the id is not a grid."""
        if grid_id not in self._grids:
            self._grids[grid_id] = self.session.scalar(
                select(Region.parent_id).where(Region.id == grid_id, Region.level == "grid")
            )
        return self._grids.get(grid_id)

    def compound_community(self, compound_id: int) -> int | None:
        """The community a compound belongs to, or None if there is no such compound."""
        if compound_id not in self._compounds:
            self._compounds[compound_id] = self.session.scalar(
                select(Compound.community_id).where(Compound.id == compound_id)
            )
        return self._compounds.get(compound_id)

    def compound_grids(self, compound_id: int) -> set[int]:
        """The grids a compound is divided into."""
        if compound_id not in self._compound_grids:
            self._compound_grids[compound_id] = set(
                self.session.scalars(
                    select(CompoundGrid.grid_id).where(CompoundGrid.compound_id == compound_id)
                )
            )
        return self._compound_grids.get(compound_id, set())
