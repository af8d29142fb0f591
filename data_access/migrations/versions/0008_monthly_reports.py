"""monthly reports (月报): reports and their values; reported values' spans; stock as-of months

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        *(
            sa.ForeignKeyConstraint(
                [who], ["accounts.id"], name=op.f(f"fk_monthly_reports_{who}_accounts")
            )
            for who in ("created_by", "updated_by", "submitted_by", "reviewed_by")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_monthly_reports_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_reports")),
        sa.UniqueConstraint("region_id", "month", name=op.f("uq_monthly_reports_region_id")),
    )
    op.create_index("ix_monthly_reports_month_status", "monthly_reports", ["month", "status"])
    op.create_table(
        "monthly_report_values",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("indicator_key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_key"],
            ["indicators.key"],
            name=op.f("fk_monthly_report_values_indicator_key_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["monthly_reports.id"],
            name=op.f("fk_monthly_report_values_report_id_monthly_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "report_id", "indicator_key", name=op.f("pk_monthly_report_values")
        ),
    )
    with op.batch_alter_table("reported_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("until_month", sa.Integer(), nullable=True))
    with op.batch_alter_table("area_stocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Integer(), nullable=True))

    # Values already in the store were published: each (region, month) becomes an approved
    # report holding them, each value's span ends at its region's next value, and the area
    # summaries are recounted with the carried-forward semantics.
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    bind.execute(
        sa.text(
            "INSERT INTO monthly_reports (region_id, level, month, status, version, "
            "created_at, updated_at, reviewed_at) "
            "SELECT DISTINCT rv.region_id, r.level, rv.month, 'approved', 1, :now, :now, :now "
            "FROM reported_values rv JOIN regions r ON r.id = rv.region_id"
        ),
        {"now": now},
    )
    bind.execute(
        sa.text(
            "INSERT INTO monthly_report_values (report_id, indicator_key, value) "
            "SELECT mr.id, rv.indicator_key, rv.value FROM reported_values rv "
            "JOIN monthly_reports mr ON mr.region_id = rv.region_id AND mr.month = rv.month"
        )
    )
    bind.execute(
        sa.text(
            "UPDATE reported_values SET until_month = COALESCE((SELECT MIN(n.month) "
            "FROM reported_values n WHERE n.region_id = reported_values.region_id "
            "AND n.indicator_key = reported_values.indicator_key "
            "AND n.month > reported_values.month), 999999)"
        )
    )
    with op.batch_alter_table("reported_values", schema=None) as batch_op:
        batch_op.alter_column("until_month", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_reported_values_indicator_until", ["indicator_key", "until_month"], unique=False
        )
        # Readers no longer look a month up across the city (stocks.py reads spans).
        batch_op.drop_index("ix_reported_values_month_indicator")
    from sqlalchemy.orm import Session

    from data_access.rollups import rebuild_area_stocks

    with Session(bind=bind) as session:  # joins the migration's transaction
        rebuild_area_stocks(session)
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table("area_stocks", schema=None) as batch_op:
        batch_op.drop_column("as_of")
    with op.batch_alter_table("reported_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reported_values_month_indicator", ["month", "indicator_key"], unique=False
        )
        batch_op.drop_index("ix_reported_values_indicator_until")
        batch_op.drop_column("until_month")
    op.drop_table("monthly_report_values")
    op.drop_index("ix_monthly_reports_month_status", table_name="monthly_reports")
    op.drop_table("monthly_reports")
