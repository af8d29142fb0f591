"""The monthly report (月报): regions report their standing figures, the level above reviews.

A report is one region's values of the indicators counted at its level for one month. Its life:
no row (not started) → draft → submitted → approved, or submitted → returned (with a comment) →
draft/submitted again. Approval publishes the values: they are copied into `reported_values`,
which every reader uses (so dashboards only ever see approved values), and the area summaries
(area_stocks) are brought up to date in the same transaction. An approved report is locked; an
administrator may reopen it (with a reason), which withdraws its values again.

Who may do what (checked here, whatever page or command calls):
- write (save, submit): active staff whose scope holds the region (a community's own staff, or
  its street or district importing for it), and admins; leaders never write;
- review (approve, return): active staff whose scope region is at the reviewing level of
  `registry.REVIEWED_BY` or above and holds the region (not their own report's region unless
  they are scoped to the city), and admins;
- reopen: admins only.
Every write leaves an audit row (accounts.add_audit_row) with the before and after.

Functions take the session first and the acting account's id (None: a trusted operator, the
command line or the demo generator); the caller owns the transaction. Times are UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data_access.activities import FieldError
from data_access.regions import RegionInfo
from data_access.registry import INDICATORS, REVIEWED_BY, Indicator, Reported

STATUSES = ("not_started", "draft", "submitted", "returned", "approved")
COMMENT_MAX = 500


class ReportError(Exception):
    """A report action that cannot be done (wrong status, edited meanwhile, unknown region or
    month); `zh` and `en` say why, `kind` is one of: not_found, locked, status, conflict, month."""

    def __init__(self, zh: str, en: str, kind: str = "status") -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en, self.kind = zh, en, kind

    def message(self, lang: str) -> str:
        """The reason in one language ('zh' or 'en')."""
        return self.zh if lang == "zh" else self.en


class ReportInvalid(ReportError):
    """Values that cannot be saved: `errors` holds one FieldError per indicator (field = key)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "月报有需要更正的数值", "Some values of the report need correcting", "invalid"
        )
        self.errors = errors


def reportable_indicators(level: str) -> tuple[Indicator, ...]:
    """The indicators reported monthly by regions of this level, in registry order."""
    return tuple(
        i
        for i in INDICATORS
        if isinstance(i.computation, Reported) and i.computation.counted_at == level
    )


def reviewer_level(level: str) -> str:
    """The level whose staff review the reports of a reporting level (registry.REVIEWED_BY)."""
    return REVIEWED_BY[level]


@dataclass(frozen=True)
class ReportRow:
    """One indicator of a report form."""

    indicator_key: str
    pillar: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    definition_zh: str
    definition_en: str
    value: float | None  # the report's value, or the pre-filled previous value
    previous: float | None  # the region's latest approved value before this month
    previous_month: int | None  # yyyymm of `previous`
    prefilled: bool  # value is `previous`, not (yet) saved in this report
    integer: bool = True  # counts: whole numbers only


@dataclass(frozen=True)
class ReportForm:
    """A region's report for a month as its form shows it."""

    region: RegionInfo
    month: int  # yyyymm
    status: str  # one of STATUSES
    version: int  # 0 when not started; pass back as expected_version
    comment: str | None  # the return comment or reopen reason
    rows: tuple[ReportRow, ...]
    editable: bool  # draft, returned or not started (and not approved or submitted)
    updated_at: datetime | None = None  # UTC
    submitted_at: datetime | None = None  # UTC
    reviewed_at: datetime | None = None  # UTC


@dataclass(frozen=True)
class SaveReportResult:
    """What save_report did: the report's id, status and new version, and plausibility warnings
    (saved all the same; FieldError with field = indicator key)."""

    report_id: int
    status: str
    version: int
    warnings: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class ValueChange:
    """One value of a report against the region's last approved value before its month."""

    indicator_key: str
    value: float | None
    previous: float | None
    previous_month: int | None


@dataclass(frozen=True)
class ReviewRow:
    """One child region in the review queue for a month."""

    region_id: int
    code: str
    name_zh: str
    name_en: str
    status: str  # one of STATUSES
    version: int
    submitted_at: datetime | None
    reviewed_at: datetime | None
    comment: str | None
    changes: tuple[ValueChange, ...]  # only the values that differ from the previous

    def name(self, lang: str) -> str:
        """The region's name in the language."""
        return self.name_zh if lang == "zh" else self.name_en


@dataclass(frozen=True)
class LateRegion:
    """A reporting region whose report for the month is not approved yet."""

    region_id: int
    code: str
    name_zh: str
    name_en: str
    parent_code: str | None  # its street (for communities)
    parent_name_zh: str | None
    parent_name_en: str | None
    status: str


@dataclass(frozen=True)
class Completeness:
    """How complete a month's reports are inside a region, for one reporting level."""

    month: int
    level: str
    total: int  # reporting regions of the level inside the region
    counts: dict[str, int]  # per status (every one of STATUSES, 0 when none)
    late: tuple[LateRegion, ...]  # not approved, by parent code then code

    @property
    def approved(self) -> int:
        """How many reports are approved."""
        return self.counts.get("approved", 0)


def get_report_form(
    session: Session, actor_id: int | None, region_id: int, month: int
) -> ReportForm:
    """The region's report for the month, pre-filled with its latest approved values where the
    report has none (read by anyone who may see the region)."""
    raise NotImplementedError


def save_report(
    session: Session,
    actor_id: int | None,
    region_id: int,
    month: int,
    values: Mapping[str, Any],
    *,
    submit: bool = False,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> SaveReportResult:
    """Save the region's report for the month as a draft (blanks allowed) or submit it (every
    value required), checking each value (whole numbers for counts, no negatives: ReportInvalid
    with zh/en per indicator) and the version the form was read at (ReportError 'conflict');
    values that move by more than the registry's factor come back as warnings."""
    raise NotImplementedError


def list_review_queue(
    session: Session, actor_id: int | None, month: int, parent_region_id: int | None = None
) -> list[ReviewRow]:
    """The reports the actor reviews for the month: one row per reporting region below the
    parent (default: the actor's scope), including those not started, by code."""
    raise NotImplementedError


def approve_reports(
    session: Session,
    actor_id: int | None,
    month: int,
    region_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Approve the submitted reports of these regions for the month (None: every submitted one
    the actor reviews); publish their values. Returns the approved regions' ids."""
    raise NotImplementedError


def return_report(
    session: Session,
    actor_id: int | None,
    region_id: int,
    month: int,
    comment: str,
    now: datetime | None = None,
) -> None:
    """Send a submitted report back to its region with a comment (required)."""
    raise NotImplementedError


def reopen_report(
    session: Session,
    actor_id: int | None,
    region_id: int,
    month: int,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Admins only: unlock an approved report (back to returned, with the reason) and withdraw
    its published values."""
    raise NotImplementedError


def get_completeness(
    session: Session, region: RegionInfo, month: int, level: str = "community"
) -> Completeness:
    """Counts per status of the month's reports of the regions of `level` inside the region,
    and the late ones (not approved) with their parent."""
    raise NotImplementedError
