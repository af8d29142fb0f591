"""The monthly rollups: rebuilt from raw activities in SQL, and compared with them."""

from __future__ import annotations

from sqlalchemy import Integer, cast, delete, extract, func, insert, select
from sqlalchemy.orm import Session

from data_access.models import Activity, Rollup
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
    return result.rowcount
