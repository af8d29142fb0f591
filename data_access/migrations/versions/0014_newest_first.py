"""Index the activities in the orders the pages read them newest first, so that a read stops at
what it shows instead of reading (or sorting) every record before it:

- the live activities in the activity log's two orders, the latest entered (id) and the latest
  dated (day, then id): finding where a deep page starts walks a narrow index of the live
  records, not every record's row. On a store of 7.4 million activities, the log's last page
  took 6.7 s (18.8 s by date); it now takes 10 ms, and the middle 0.15 s (0.19 s)
  (activity_log.list_activities, bench/newest_first.py). Partial on SQLite only, as models.py
  says why.
- a community's, street's and district's records by id: a wall screen's latest 8 activities
  sorted all of a district's records by entry time (3.7 s on that store, 18 s from a cold file
  cache); they are now the last 8 of the region's index. The entry-time index (only that read
  used it) goes, and the street's index gains the id. With deleted_at, a district's or
  street's log (a leader's) finds where a deep page starts along the region's index alone (a
  district's first page took 3.1 s: its records were sorted).
- a community's, street's and district's records by day, then id (the log in date order for a
  region): the community's and district's day indexes gain the id and deleted_at (they serve
  every read they served), and a street has one (its records were sorted).

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
LEVELS = ("community", "street", "district")


def upgrade() -> None:
    op.create_index("ix_activities_live_id", "activities", ["id", "deleted_at"], sqlite_where=LIVE)
    op.create_index(
        "ix_activities_live_date",
        "activities",
        ["occurred_on", "id", "deleted_at"],
        sqlite_where=LIVE,
    )
    op.drop_index("ix_activities_created_at", table_name="activities")
    op.drop_index("ix_activities_street_id", table_name="activities")
    op.drop_index("ix_activities_community_date", table_name="activities")
    op.drop_index("ix_activities_district_date", table_name="activities")
    for level in LEVELS:
        op.create_index(
            f"ix_activities_{level}_entered", "activities", [f"{level}_id", "id", "deleted_at"]
        )
        op.create_index(
            f"ix_activities_{level}_dated",
            "activities",
            [f"{level}_id", "occurred_on", "id", "deleted_at"],
        )


def downgrade() -> None:
    for level in LEVELS:
        op.drop_index(f"ix_activities_{level}_dated", table_name="activities")
        op.drop_index(f"ix_activities_{level}_entered", table_name="activities")
    op.create_index("ix_activities_district_date", "activities", ["district_id", "occurred_on"])
    op.create_index("ix_activities_community_date", "activities", ["community_id", "occurred_on"])
    op.create_index("ix_activities_street_id", "activities", ["street_id"])
    op.create_index("ix_activities_created_at", "activities", ["created_at"])
    op.drop_index("ix_activities_live_date", table_name="activities")
    op.drop_index("ix_activities_live_id", table_name="activities")
