"""notes (备注): dated notes on a region's timeline

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("street_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("pillar", sa.String(length=20), nullable=True),
        sa.Column("indicator", sa.String(length=60), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_notes_created_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by"], ["accounts.id"], name=op.f("fk_notes_deleted_by_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_notes_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    op.create_index("ix_notes_region_day", "notes", ["region_id", "on_day"])
    op.create_index("ix_notes_district_day", "notes", ["district_id", "on_day"])
    op.create_index("ix_notes_street_day", "notes", ["street_id", "on_day"])


def downgrade() -> None:
    op.drop_index("ix_notes_street_day", table_name="notes")
    op.drop_index("ix_notes_district_day", table_name="notes")
    op.drop_index("ix_notes_region_day", table_name="notes")
    op.drop_table("notes")
