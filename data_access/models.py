"""SQLAlchemy 2.x ORM models: the schema of the store (see docs and DESIGN.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that Alembic migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Region(Base):
    """One node of city → district → street → community → grid."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # The region's ancestors at each level (itself at its own level): filters need no recursion.
    district_id: Mapped[int | None] = mapped_column(Integer, index=True)
    street_id: Mapped[int | None] = mapped_column(Integer, index=True)
    community_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    boundary_geojson: Mapped[str | None] = mapped_column(Text)


class Compound(Base):
    """A residential compound (小区) of a community."""

    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    households: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class CompoundGrid(Base):
    """Which grid(s) a compound is divided into."""

    __tablename__ = "compound_grids"

    compound_id: Mapped[int] = mapped_column(ForeignKey("compounds.id"), primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True, index=True)


class PillarRow(Base):
    __tablename__ = "pillars"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(Integer)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class IndicatorRow(Base):
    """An indicator's editable settings (target, weight); its definition lives in the registry."""

    __tablename__ = "indicators"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    pillar_key: Mapped[str] = mapped_column(ForeignKey("pillars.key"), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160))
    unit_zh: Mapped[str] = mapped_column(String(10))
    unit_en: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    higher_is_better: Mapped[bool] = mapped_column(Boolean)
    computation: Mapped[str] = mapped_column(String(200))
    target: Mapped[float | None] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    sort_order: Mapped[int] = mapped_column(Integer)


class ActivityTypeRow(Base):
    __tablename__ = "activity_types"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    pillar_key: Mapped[str] = mapped_column(ForeignKey("pillars.key"), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(160))
    measures: Mapped[str] = mapped_column(String(200))
    sort_order: Mapped[int] = mapped_column(Integer)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(10))
    scope_region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # The single-sign-on identity (OIDC email or subject) that signs in as this account.
    sso_identity: Mapped[str | None] = mapped_column(String(200), unique=True)
    # The first admin's generated one-time password must be replaced at the first sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )


class AuthSession(Base):
    """A sign-in: the browser keeps the token in a cookie, the store only its SHA-256."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    via: Mapped[str] = mapped_column(String(10), default="password")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class ScreenLink(Base):
    """A read-only wall-screen link: a long random token limited to one page and one region."""

    __tablename__ = "screen_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80))
    page: Mapped[str] = mapped_column(String(30))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Optional end of validity (UTC), set by the admin; the screen stops at its next refresh.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInFailure(Base):
    """Failed sign-ins counted per (username, client address): a lock here holds back that
    client only, so nobody can lock the real owner of a name out from elsewhere. Unknown
    usernames are counted exactly like known ones."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (UniqueConstraint("username", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    client: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Activity(Base):
    """What community staff record: one activity, with the measures its type records."""

    __tablename__ = "activities"
    __table_args__ = (
        # A community's, street's and district's records the latest dated first (the log in
        # date order, a leader's scope or the region chosen), the keys of a deep page's start
        # in the index itself: a district's records were read one by one, a street's sorted.
        *(
            Index(f"ix_activities_{level}_dated", f"{level}_id", "occurred_on", "id", "deleted_at")
            for level in ("community", "street", "district")
        ),
        # The live activities only, by community and day: the 60-days-without-activity rule's
        # one step back per community reads this index alone, not each activity's row to see
        # whether it was deleted. deleted_at (always NULL here) is a column too: SQLite (3.40)
        # counts a partial index as covering only if it holds every column the query names.
        # Partial on SQLite only: a `postgresql_where` makes SQLAlchemy import PostgreSQL's
        # dialect with this module, on every SQLite server's start (tests/test_start_imports.py);
        # PostgreSQL reads the whole index (a few deleted rows more) index-only all the same.
        Index(
            "ix_activities_community_live",
            "community_id",
            "occurred_on",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The live activities in the activity log's two orders (the latest entered; the latest
        # dated), read index-only to find where a page starts (activity_log.list_activities):
        # a page deep in the log is a walk along one of these, not along the table's rows.
        # Partial on SQLite only, as above.
        Index("ix_activities_live_id", "id", "deleted_at", sqlite_where=text("deleted_at IS NULL")),
        Index(
            "ix_activities_live_date",
            "occurred_on",
            "id",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_activities_date", "occurred_on"),
        # A region's records the latest entered first (a wall screen's latest activities,
        # data_access/feed.py): a walk back from the region's newest record that stops at the
        # 8th, where reading all of a district's records to sort them took 3.7 s on a store of
        # 7.4 million. With deleted_at, a leader's log (a district's, a street's) finds where a
        # deep page starts along the index alone, as above.
        Index("ix_activities_community_entered", "community_id", "id", "deleted_at"),
        Index("ix_activities_street_entered", "street_id", "id", "deleted_at"),
        Index("ix_activities_district_entered", "district_id", "id", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_key: Mapped[str] = mapped_column(ForeignKey("activity_types.key"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    street_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    participants: Mapped[int | None] = mapped_column(Integer)
    beneficiaries: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[float | None] = mapped_column(Float)
    sessions: Mapped[int | None] = mapped_column(Integer)
    cases_received: Mapped[int | None] = mapped_column(Integer)
    cases_resolved: Mapped[int | None] = mapped_column(Integer)
    cases_satisfied: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="done")
    source: Mapped[str] = mapped_column(String(10), default="form")
    # A token the form sends once per submission: saving it twice hits the unique constraint.
    client_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class Note(Base):
    """A dated note on a region's timeline (optionally about a pillar or an indicator): shown on
    the trend charts of its region and of the regions it lies in, in their pages and briefings.
    Written by leaders, staff and admins inside their scope; edited by its author; soft-deleted."""

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_region_day", "region_id", "on_day"),
        Index("ix_notes_district_day", "district_id", "on_day"),
        Index("ix_notes_street_day", "street_id", "on_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    # The region's ancestors at each level (itself at its own level), as in `regions`: the
    # viewer's scope limits every read with one indexed comparison.
    district_id: Mapped[int | None] = mapped_column(Integer)
    street_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(Integer)
    on_day: Mapped[date] = mapped_column(Date)
    pillar: Mapped[str | None] = mapped_column(String(20))
    indicator: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)  # as typed; shown as text everywhere
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC
    version: Mapped[int] = mapped_column(Integer, default=1)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC
    deleted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class ReportedValue(Base):
    """A counted (not derived) indicator value for a region and month."""

    __tablename__ = "reported_values"
    __table_args__ = (
        UniqueConstraint("indicator_key", "region_id", "month"),
        Index("ix_reported_values_district_month", "district_id", "month"),
        Index("ix_reported_values_street_month", "street_id", "month"),
        Index("ix_reported_values_community_month", "community_id", "month"),
        Index("ix_reported_values_indicator_until", "indicator_key", "until_month"),
        # The values standing at a month: a range of it (migration 0013).
        Index("ix_reported_values_until_month", "until_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_key: Mapped[str] = mapped_column(ForeignKey("indicators.key"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    district_id: Mapped[int | None] = mapped_column(Integer)
    street_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)  # yyyymm
    value: Mapped[float] = mapped_column(Float)
    # The month of this region's next approved value of the indicator: the value stands from
    # `month` up to (not including) `until_month`, 999999 (stocks.OPEN) while it is the latest.
    # A month's standing values are the rows with month <= it < until_month, found without
    # grouping over the history.
    until_month: Mapped[int] = mapped_column(Integer)


class MonthlyReport(Base):
    """One region's monthly report (月报) of its standing figures: draft → submitted → approved,
    or returned with a comment; not started is no row. Approval copies its values into
    reported_values (the published values every reader uses); an admin's reopen removes them."""

    __tablename__ = "monthly_reports"
    __table_args__ = (
        UniqueConstraint("region_id", "month"),
        Index("ix_monthly_reports_month_status", "month", "status"),
        # The city's count of a level's reports by status for a month, from the index alone.
        Index("ix_monthly_reports_month_level", "month", "level", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    level: Mapped[str] = mapped_column(String(10))
    month: Mapped[int] = mapped_column(Integer)  # yyyymm
    status: Mapped[str] = mapped_column(String(10))  # draft, submitted, returned, approved
    version: Mapped[int] = mapped_column(Integer, default=1)
    comment: Mapped[str | None] = mapped_column(Text)  # the return comment or reopen reason
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    updated_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)  # UTC


class MonthlyReportValue(Base):
    """One indicator's value in a monthly report (None: not filled in yet)."""

    __tablename__ = "monthly_report_values"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("monthly_reports.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_key: Mapped[str] = mapped_column(ForeignKey("indicators.key"), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)


class Totals:
    """The columns of a summary row: the number of activities and each measure's sum."""

    n: Mapped[int] = mapped_column(Integer, default=0)
    participants: Mapped[int] = mapped_column(Integer, default=0)
    beneficiaries: Mapped[int] = mapped_column(Integer, default=0)
    hours: Mapped[float] = mapped_column(Float, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    cases_received: Mapped[int] = mapped_column(Integer, default=0)
    cases_resolved: Mapped[int] = mapped_column(Integer, default=0)
    cases_satisfied: Mapped[int] = mapped_column(Integer, default=0)


class Rollup(Totals, Base):
    """Monthly totals per community and activity type, kept exact by every activity write."""

    __tablename__ = "rollups"
    __table_args__ = (
        Index("ix_rollups_month_type", "month", "type_key"),
        Index("ix_rollups_district_month", "district_id", "month"),
        Index("ix_rollups_street_month", "street_id", "month"),
    )

    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # yyyymm
    type_key: Mapped[str] = mapped_column(ForeignKey("activity_types.key"), primary_key=True)
    street_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(Integer)


class AuditLog(Base):
    """One row for every write: who, when, what, before and after (JSON)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)


class AppMeta(Base):
    """Small key/value facts about the store (e.g. how the demo data was generated)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AreaRollup(Totals, Base):
    """Monthly totals per city, district or street and activity type: the rollups summed up once,
    so that city and district views read a few thousand rows at any volume of activities."""

    __tablename__ = "area_rollups"
    __table_args__ = (
        Index("ix_area_rollups_parent_month", "parent_id", "month"),
        Index("ix_area_rollups_level_month", "level", "month"),
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # yyyymm
    type_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(Integer)


class AreaYearRollup(Totals, Base):
    """Yearly totals per city, district or street and activity type: the area rollups of each
    calendar year summed, kept exact by every write like them, so that a year's ranking of the
    districts sums one row per district and type instead of twelve."""

    __tablename__ = "area_year_rollups"
    __table_args__ = (
        Index("ix_area_year_rollups_parent_year", "parent_id", "year"),
        Index("ix_area_year_rollups_level_year", "level", "year"),
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(Integer)


class AreaStock(Base):
    """Standing figures per city, district or street, month and indicator: the sum over the
    reporting regions inside of each one's latest approved value in or before the month (carried
    forward), and the oldest month among those parts. Rows run from an area's first report of
    the indicator to its last; a later month stands at the last row."""

    __tablename__ = "area_stocks"
    __table_args__ = (
        Index("ix_area_stocks_parent_month", "parent_id", "month"),
        Index("ix_area_stocks_month", "month"),
        # The children's latest row per indicator (stocks._area_stocks), from the index alone.
        Index(
            "ix_area_stocks_level_parent",
            "level",
            "parent_id",
            "region_id",
            "indicator_key",
            "month",
        ),
    )

    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # yyyymm
    indicator_key: Mapped[str] = mapped_column(String(60), primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    # The oldest month (yyyymm) among the values summed: "截至" when older than the month.
    as_of: Mapped[int | None] = mapped_column(Integer)
