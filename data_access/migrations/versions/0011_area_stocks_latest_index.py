"""Index area stocks by level and parent, then region, indicator and month: a ranking's "latest
row per area and indicator" read from the index alone, not a scan of every area's rows.

Revision ID: 0011
Revises: 0008
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["level", "parent_id", "region_id", "indicator_key", "month"]


def upgrade() -> None:
    with op.batch_alter_table("area_stocks") as batch_op:
        batch_op.create_index("ix_area_stocks_level_parent", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("area_stocks") as batch_op:
        batch_op.drop_index("ix_area_stocks_level_parent")
