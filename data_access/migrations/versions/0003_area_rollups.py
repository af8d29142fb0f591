"""area rollups: monthly totals per city, district and street (summary tables for fast views)

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

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
    op.create_table(
        "area_rollups",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("type_key", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        *(sa.Column(name, kind, nullable=False) for name, kind in MEASURES),
        sa.PrimaryKeyConstraint("region_id", "month", "type_key", name=op.f("pk_area_rollups")),
    )
    op.create_index("ix_area_rollups_parent_month", "area_rollups", ["parent_id", "month"])
    op.create_index("ix_area_rollups_level_month", "area_rollups", ["level", "month"])
    op.create_table(
        "area_stocks",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("indicator_key", sa.String(length=60), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("region_id", "month", "indicator_key", name=op.f("pk_area_stocks")),
    )
    op.create_index("ix_area_stocks_parent_month", "area_stocks", ["parent_id", "month"])
    op.create_index("ix_area_stocks_month", "area_stocks", ["month"])
    # A store that already holds activities gets its summaries now, from its rollups (the
    # monthly ones: the yearly ones come with their table, 0012).
    from data_access.rollups import refresh_area_month_rollups

    refresh_area_month_rollups(op.get_bind(), None)


def downgrade() -> None:
    op.drop_index("ix_area_stocks_month", table_name="area_stocks")
    op.drop_index("ix_area_stocks_parent_month", table_name="area_stocks")
    op.drop_table("area_stocks")
    op.drop_index("ix_area_rollups_level_month", table_name="area_rollups")
    op.drop_index("ix_area_rollups_parent_month", table_name="area_rollups")
    op.drop_table("area_rollups")
