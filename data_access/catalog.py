"""Keeping the pillars, indicators and activity-types tables in step with the registry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import ActivityTypeRow, IndicatorRow, PillarRow
from data_access.once import serialise
from data_access.registry import ACTIVITY_TYPES, INDICATORS, PILLARS, Indicator


def _describe(ind: Indicator) -> str:
    return repr(ind.computation)[:200]


def _registry_rows() -> list[tuple[type, str, dict, dict]]:
    """Each registry entry as a row: its model, key, the fields the registry owns, and the
    fields a new row starts with (targets and weights an administrator may change later)."""
    rows: list[tuple[type, str, dict, dict]] = []
    for order, p in enumerate(PILLARS):
        owned = {"name_zh": p.name_zh, "name_en": p.name_en, "sort_order": order}
        rows.append((PillarRow, p.key, owned, {"weight": 1.0}))
    for order, ind in enumerate(INDICATORS):
        owned = {
            "pillar_key": ind.pillar,
            "name_zh": ind.name_zh,
            "name_en": ind.name_en,
            "unit_zh": ind.unit_zh,
            "unit_en": ind.unit_en,
            "kind": ind.kind,
            "higher_is_better": ind.higher_is_better,
            "computation": _describe(ind),
            "sort_order": order,
        }
        rows.append((IndicatorRow, ind.key, owned, {"target": ind.target, "weight": ind.weight}))
    for order, at in enumerate(ACTIVITY_TYPES):
        owned = {
            "pillar_key": at.pillar,
            "name_zh": at.name_zh,
            "name_en": at.name_en,
            "measures": ",".join(at.measures),
            "sort_order": order,
        }
        rows.append((ActivityTypeRow, at.key, owned, {}))
    return rows


def registry_in_step(session: Session) -> bool:
    """Whether the tables already hold every registry entry as the registry says (a read, so a
    server starting while another process writes need not wait for the write lock)."""
    stored = {
        model: {row.key: row for row in session.scalars(select(model))}
        for model in (PillarRow, IndicatorRow, ActivityTypeRow)
    }
    for model, key, owned, _new in _registry_rows():
        row = stored[model].get(key)
        if row is None or any(getattr(row, name) != value for name, value in owned.items()):
            return False
    return True


def add_registry_rows(session: Session) -> None:
    """Insert registry entries missing from the database and refresh their names; targets and
    weights that an administrator has set are kept. Servers started together take turns."""
    serialise(session, "catalog")
    stored = {
        model: {row.key: row for row in session.scalars(select(model))}
        for model in (PillarRow, IndicatorRow, ActivityTypeRow)
    }
    for model, key, owned, new in _registry_rows():
        row = stored[model].get(key)
        if row is None:
            row = model(key=key, **new)
            session.add(row)
        for name, value in owned.items():
            setattr(row, name, value)
        if model is PillarRow:
            session.flush()  # indicators refer to their pillar
    session.flush()
