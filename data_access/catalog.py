"""Keeping the pillars, indicators and activity-types tables in step with the registry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import ActivityTypeRow, IndicatorRow, PillarRow
from data_access.registry import ACTIVITY_TYPES, INDICATORS, PILLARS, Indicator


def _describe(ind: Indicator) -> str:
    return repr(ind.computation)[:200]


def add_registry_rows(session: Session) -> None:
    """Insert registry entries missing from the database and refresh their names; targets and
    weights that an administrator has set are kept."""
    pillars = {p.key: p for p in session.scalars(select(PillarRow))}
    for order, p in enumerate(PILLARS):
        row = pillars.get(p.key) or PillarRow(key=p.key, weight=1.0)
        row.name_zh, row.name_en, row.sort_order = p.name_zh, p.name_en, order
        session.add(row)
    session.flush()
    indicators = {i.key: i for i in session.scalars(select(IndicatorRow))}
    for order, ind in enumerate(INDICATORS):
        row = indicators.get(ind.key)
        if row is None:
            row = IndicatorRow(key=ind.key, target=ind.target, weight=ind.weight)
        row.pillar_key, row.name_zh, row.name_en = ind.pillar, ind.name_zh, ind.name_en
        row.unit_zh, row.unit_en, row.kind = ind.unit_zh, ind.unit_en, ind.kind
        row.higher_is_better, row.computation, row.sort_order = (
            ind.higher_is_better,
            _describe(ind),
            order,
        )
        session.add(row)
    types = {t.key: t for t in session.scalars(select(ActivityTypeRow))}
    for order, at in enumerate(ACTIVITY_TYPES):
        row = types.get(at.key) or ActivityTypeRow(key=at.key)
        row.pillar_key, row.name_zh, row.name_en = at.pillar, at.name_zh, at.name_en
        row.measures, row.sort_order = ",".join(at.measures), order
        session.add(row)
