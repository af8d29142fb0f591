"""The Overview's cold reads (issue 15): the live activities by community and day (on SQLite a
partial index, WHERE deleted_at IS NULL, with deleted_at among its columns so that SQLite counts
it as covering; on PostgreSQL the whole index, read index-only), so that the
60-days-without-activity rule's one step back per community reads the index alone, not each
activity's row to see whether it was deleted; the monthly reports by month, level and status,
so that the city's counts of a level's reports are read from the index alone; and the area
rollups' yearly sums (area_year_rollups), so that a year's ranking of the districts sums one row
per district and type, not twelve, filled here from the area rollups.

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
MEASURES = (
    ("participants", sa.Integer()),
    ("beneficiaries", sa.Integer()),
    ("hours", sa.Float()),
    ("sessions", sa.Integer()),
    ("cases_received", sa.Integer()),
    ("cases_resolved", sa.Integer()),
    ("cases_satisfied", sa.Integer()),
)


def upgrade() -> None:
    op.create_index(
        "ix_activities_community_live",
        "activities",
        ["community_id", "occurred_on", "deleted_at"],
        unique=False,
        sqlite_where=LIVE,  # partial on SQLite only, as models.py says why
    )
    op.create_index(
        "ix_monthly_reports_month_level",
        "monthly_reports",
        ["month", "level", "status"],
        unique=False,
    )
    op.create_table(
        "area_year_rollups",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("type_key", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        *(sa.Column(name, kind, nullable=False) for name, kind in MEASURES),
        sa.PrimaryKeyConstraint("region_id", "year", "type_key", name=op.f("pk_area_year_rollups")),
    )
    op.create_index("ix_area_year_rollups_parent_year", "area_year_rollups", ["parent_id", "year"])
    op.create_index("ix_area_year_rollups_level_year", "area_year_rollups", ["level", "year"])
    # A store that already holds activities gets its yearly sums now, from its area rollups.
    from data_access.rollups import refresh_area_year_rollups

    refresh_area_year_rollups(op.get_bind(), None)


def downgrade() -> None:
    op.drop_index("ix_area_year_rollups_level_year", table_name="area_year_rollups")
    op.drop_index("ix_area_year_rollups_parent_year", table_name="area_year_rollups")
    op.drop_table("area_year_rollups")
    op.drop_index("ix_monthly_reports_month_level", table_name="monthly_reports")
    op.drop_index("ix_activities_community_live", table_name="activities")
