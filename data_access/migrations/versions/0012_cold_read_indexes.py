"""Indexes for the Overview's cold reads (issue 15): the live activities by community and day
(a partial index, WHERE deleted_at IS NULL, with deleted_at among its columns so that SQLite
counts it as covering), so that the 60-days-without-activity rule's one step
back per community reads the index alone, not each activity's row to see whether it was deleted;
and the monthly reports by month, level and status, so that the city's counts of a level's
reports are read from the index alone.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_activities_community_live",
        "activities",
        ["community_id", "occurred_on", "deleted_at"],
        unique=False,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_index(
        "ix_monthly_reports_month_level",
        "monthly_reports",
        ["month", "level", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_monthly_reports_month_level", table_name="monthly_reports")
    op.drop_index("ix_activities_community_live", table_name="activities")
