"""Index the approved values by the month they stop standing (then the month they start), so
that the values standing at a month are a range of the index, not a scan of the history: a
city's communities' standing figures (the map at community level) read every value ever
approved (979 thousand on the demo store, 35 months) to keep 28 thousand. A value still
standing has until_month 999999 (stocks.OPEN): the current month's figures are the end of the
index.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_reported_values_until_month", "reported_values", ["until_month", "month"])


def downgrade() -> None:
    op.drop_index("ix_reported_values_until_month", table_name="reported_values")
