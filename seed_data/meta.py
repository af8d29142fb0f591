"""Whether a store holds the demo city, and how it was generated: read without importing the
demo generator (numpy, shapely), which the start of every server process would otherwise pay
for (ui/auth.py asks it once per process; issue 15)."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import AppMeta

META_KEY = "demo_seed"


def get_seed_meta(session: Session) -> dict | None:
    """How the store's demo data was generated, or None if it holds none."""
    value = session.scalar(select(AppMeta.value).where(AppMeta.key == META_KEY))
    return json.loads(value) if value else None
