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

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, null, or_, select, true, union_all, update
from sqlalchemy.orm import Session, aliased

from data_access.audit import AuditEntry, add_audit_row, add_audit_rows
from data_access.auth import (
    PermissionDenied,
    check_region_scope,
    region_in_scope,
    require_admin,
    utcnow,
)
from data_access.bulk import bulk_insert
from data_access.db import Moved, Writes, dialect_insert, prepared_write
from data_access.messages import MessageError
from data_access.models import (
    Account,
    AppMeta,
    AreaStock,
    MonthlyReport,
    MonthlyReportValue,
    Region,
    ReportedValue,
)
from data_access.regions import RegionInfo, scope_clause
from data_access.registry import INDICATORS, LEVELS, REVIEWED_BY, Indicator, Reported
from data_access.rollups import (
    AREA_STOCK_COLUMNS,
    area_places,
    area_stock_totals,
    standing_value_sums,
)
from data_access.stocks import OPEN
from data_access.text import check_text
from data_access.validation import FieldError, _as_number, _blank, field_error

STATUSES = ("not_started", "draft", "submitted", "returned", "approved")
COMMENT_MAX = 500


class ReportError(MessageError):
    """A report action that cannot be done (wrong status, edited meanwhile, unknown region or
    month); `message` says why, `kind` is one of: not_found, locked, status, conflict, month."""

    def __init__(self, zh: str, en: str, kind: str = "status") -> None:
        super().__init__(zh, en)
        self.kind = kind


class ReportInvalid(ReportError):
    """Values that cannot be saved: `errors` holds one FieldError per indicator (field = key)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            "月报有需要更正的数值", "Some values of the report need correcting", "invalid"
        )
        self.errors = errors


@cache
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
class RegionStatus:
    """A reporting region's report status for a month, with its parent (a community's street)."""

    region_id: int
    code: str
    name_zh: str
    name_en: str
    parent_code: str | None  # its street (for communities)
    parent_name_zh: str | None
    parent_name_en: str | None
    status: str
    submitted_at: datetime | None = None  # UTC
    reviewed_at: datetime | None = None  # UTC

    def name(self, lang: str) -> str:
        """The region's name in the language."""
        return self.name_zh if lang == "zh" else self.name_en


LateRegion = RegionStatus  # a region whose report is not approved yet


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


LEVEL_NAMES = {
    "city": ("市", "city"),
    "district": ("区县", "district"),
    "street": ("街道", "street"),
    "community": ("社区", "community"),
}
MAX_VALUE = 100_000_000  # no standing figure of one region comes near; stops a pasted ID


def parse_month(text: str) -> int:
    """'2025-11' (or 202511) as yyyymm; ReportError 'month' otherwise."""
    raw = str(text).strip()
    match = re.fullmatch(r"(\d{4})-?(\d{2})", raw)
    if match and 2000 <= int(match[1]) <= 2999 and 1 <= int(match[2]) <= 12:
        return int(match[1]) * 100 + int(match[2])
    raise ReportError(
        f"月份 {raw!r} 无效，请写成 2025-11", f"Invalid month {raw!r}; write it as 2025-11", "month"
    )


def _check_month(month: int, now: datetime | None) -> int:
    """The month (yyyymm) if it is a real one from 2020 on and (given `now`) has started."""
    if (
        isinstance(month, bool)
        or not isinstance(month, int)
        or not 1 <= month % 100 <= 12
        or month // 100 < 2020
    ):
        raise ReportError("月份无效", f"Invalid month {month!r}", "month")
    if now is not None and month > now.year * 100 + now.month:
        raise ReportError(
            "不能填报尚未开始的月份", "A month that has not started cannot be reported", "month"
        )
    return month


def _region(session: Session, region_id: int) -> Region:
    region = session.get(Region, region_id) if isinstance(region_id, int) else None
    if region is None or not reportable_indicators(region.level):
        raise ReportError("没有这个填报单位", "No such reporting region", "not_found")
    return region


def _info(region: Region) -> RegionInfo:
    return RegionInfo(
        region.id,
        region.code,
        region.level,
        region.parent_id,
        region.name_zh,
        region.name_en,
        region.lat,
        region.lon,
        region.population,
        region.households,
    )


def _account(session: Session, actor_id: int) -> Account:
    account = session.get(Account, actor_id)
    if account is None or not account.is_active:
        raise PermissionDenied("账户不存在或已停用", "This account is missing or disabled")
    return account


def _check_viewer(session: Session, actor_id: int | None, region_id: int) -> None:
    """Anyone whose scope holds the region may read its reports (leaders too)."""
    if actor_id is None:
        return
    account = _account(session, actor_id)
    if account.role != "admin" and not region_in_scope(session, account.scope_region_id, region_id):
        raise PermissionDenied("该地区不在您的管辖范围内", "This region is outside your scope")


def may_review(session: Session, actor_id: int | None, region: Region) -> bool:
    """Whether the actor may approve or return the region's reports."""
    if actor_id is None:
        return True
    account = session.get(Account, actor_id)
    if account is None or not account.is_active:
        return False
    if account.role == "admin":
        return True
    if account.role != "staff":
        return False
    scope = session.get(Region, account.scope_region_id)
    needed = REVIEWED_BY.get(region.level)
    if scope is None or needed is None or scope.level not in LEVELS:
        return False
    if LEVELS.index(scope.level) > LEVELS.index(needed):
        return False
    if scope.id == region.id and scope.level != "city":
        return False  # nobody reviews their own region's report, except at the top
    return region_in_scope(session, scope.id, region.id)


def _check_reviewer(session: Session, actor_id: int | None, region: Region) -> None:
    if actor_id is not None:
        _account(session, actor_id)
    if not may_review(session, actor_id, region):
        reviewer_zh, reviewer_en = LEVEL_NAMES[REVIEWED_BY[region.level]]
        raise PermissionDenied(
            f"只有上级（{reviewer_zh}）工作人员可以审核该地区的月报",
            f"Only {reviewer_en} staff above this region may review its reports",
        )


def _get(session: Session, region_id: int, month: int) -> MonthlyReport | None:
    stmt = select(MonthlyReport).where(
        MonthlyReport.region_id == region_id, MonthlyReport.month == month
    )
    return session.scalars(stmt).first()


def _report_values(session: Session, report_ids: list[int]) -> dict[int, dict[str, float | None]]:
    out: dict[int, dict[str, float | None]] = {rid: {} for rid in report_ids}
    mv = MonthlyReportValue
    for start in range(0, len(report_ids), 5_000):
        chunk = report_ids[start : start + 5_000]
        stmt = select(mv.report_id, mv.indicator_key, mv.value).where(mv.report_id.in_(chunk))
        for report_id, key, value in session.execute(stmt):
            out[report_id][key] = value
    return out


def previous_values(
    session: Session, regions: list[Region], month: int
) -> dict[tuple[int, str], tuple[float, int]]:
    """Per (region, indicator): the latest approved value before the month, with its month."""
    rv = ReportedValue
    region_ids = [r.id for r in regions]
    keys = sorted({i.key for r in regions for i in reportable_indicators(r.level)})
    out = {}
    for start in range(0, len(region_ids), 5_000):
        chunk = region_ids[start : start + 5_000]
        stmt = select(rv.region_id, rv.indicator_key, rv.value, rv.month).where(
            rv.indicator_key.in_(keys),
            rv.region_id.in_(chunk),
            rv.month < month,
            rv.until_month >= month,
        )
        for region_id, key, value, m in session.execute(stmt):
            out[(region_id, key)] = (float(value), m)
    return out


def _snapshot(
    report: MonthlyReport | _Stored, values: Mapping[str, float | None]
) -> dict[str, Any]:
    return {
        "region_id": report.region_id,
        "month": report.month,
        "status": report.status,
        "version": report.version,
        "comment": report.comment,
        "values": dict(values),
    }


def _definition(ind: Indicator, level: str) -> tuple[str, str]:
    level_zh, level_en = LEVEL_NAMES[level]
    unit_en = f" ({ind.unit_en})" if ind.unit_en else ""
    return (
        f"本{level_zh}月末实有的{ind.name_zh}（{ind.unit_zh}），没有填 0",
        f"{ind.name_en} in place in this {level_en} at the end of the month{unit_en}; 0 if none",
    )


def get_report_form(
    session: Session, actor_id: int | None, region_id: int, month: int
) -> ReportForm:
    """The region's report for the month, pre-filled with its latest approved values where the
    report has none (read by anyone whose scope holds the region)."""
    region = _region(session, region_id)
    _check_viewer(session, actor_id, region.id)
    _check_month(month, None)
    report = _get(session, region.id, month)
    saved = _report_values(session, [report.id])[report.id] if report else {}
    previous = previous_values(session, [region], month)
    rows = []
    for ind in reportable_indicators(region.level):
        prev = previous.get((region.id, ind.key))
        prefilled = ind.key not in saved
        value = (prev[0] if prev else None) if prefilled else saved[ind.key]
        definition_zh, definition_en = _definition(ind, region.level)
        rows.append(
            ReportRow(
                indicator_key=ind.key,
                pillar=ind.pillar,
                name_zh=ind.name_zh,
                name_en=ind.name_en,
                unit_zh=ind.unit_zh,
                unit_en=ind.unit_en,
                definition_zh=definition_zh,
                definition_en=definition_en,
                value=value,
                previous=prev[0] if prev else None,
                previous_month=prev[1] if prev else None,
                prefilled=prefilled and prev is not None,
            )
        )
    status = report.status if report else "not_started"
    return ReportForm(
        region=_info(region),
        month=month,
        status=status,
        version=report.version if report else 0,
        comment=report.comment if report else None,
        rows=tuple(rows),
        editable=status in ("not_started", "draft", "returned"),
        updated_at=report.updated_at if report else None,
        submitted_at=report.submitted_at if report else None,
        reviewed_at=report.reviewed_at if report else None,
    )


def validate_report_values(
    level: str, values: Mapping[str, Any], *, submit: bool
) -> tuple[dict[str, float | None], list[FieldError]]:
    """Check a report's values (the form's and the import's one rule): whole numbers, not
    negative, not absurdly large; blanks only in a draft. Returns the clean values (None for a
    blank) and the errors (field = indicator key)."""
    indicators = reportable_indicators(level)
    known = {i.key for i in indicators}
    errors = [
        field_error(key, "没有这个填报指标。", "There is no such reported indicator.")
        for key in values
        if key not in known
    ]
    clean: dict[str, float | None] = {}
    for ind in indicators:
        raw = values.get(ind.key)
        if type(raw) in (int, float) and 0 <= raw <= MAX_VALUE and raw == int(raw):
            clean[ind.key] = float(raw)  # the common case, decided at once
            continue
        number = None if _blank(raw) else _as_number(raw)
        if _blank(raw):
            clean[ind.key] = None
            if submit:
                errors.append(
                    field_error(ind.key, "请填写（没有就填 0）。", "Enter a number (0 if none).")
                )
        elif number is None or not math.isfinite(number):
            errors.append(field_error(ind.key, "请填写数字。", "Enter a number."))
        elif number < 0:
            errors.append(field_error(ind.key, "不能是负数。", "Cannot be negative."))
        elif not number.is_integer():
            errors.append(field_error(ind.key, "请填写整数。", "Enter a whole number."))
        elif number > MAX_VALUE:
            errors.append(
                field_error(
                    ind.key,
                    f"最多 {MAX_VALUE:,}，请核对。",
                    f"At most {MAX_VALUE:,}; please check.",
                )
            )
        else:
            clean[ind.key] = float(int(number))
    return clean, errors


def plausibility_warnings(
    level: str,
    values: Mapping[str, float | None],
    previous: Mapping[str, tuple[float, int]],
) -> list[FieldError]:
    """Values that moved by more than their indicator's factor against the last approved value
    (saved all the same: a warning, not a refusal)."""
    warnings = []
    for ind in reportable_indicators(level):
        value, prev = values.get(ind.key), previous.get(ind.key)
        if value is None or prev is None or prev[0] <= 0:
            continue
        factor = ind.computation.plausible_factor
        if value > prev[0] * factor or value < prev[0] / factor:
            y, m = divmod(prev[1], 100)
            warnings.append(
                field_error(
                    ind.key,
                    f"与上次（{y}-{m:02d}）的 {prev[0]:,.0f} 相差超过 {factor:g} 倍，请核对。",
                    f"Differs from the last value ({prev[0]:,.0f}, {y}-{m:02d}) by more than "
                    f"{factor:g} times; please check.",
                )
            )
    return warnings


@dataclass(frozen=True)
class _Stored:
    """A stored report as its preparation read it (plain values: the writes are statements, so
    no ORM object goes stale)."""

    id: int | None
    region_id: int
    month: int
    status: str
    version: int
    comment: str | None


def _stored_columns():
    mr = MonthlyReport
    return (mr.id, mr.region_id, mr.month, mr.status, mr.version, mr.comment)


def _stored(session: Session, region_ids: list[int], month: int) -> dict[int, _Stored]:
    """The stored reports of these regions for the month, by region id."""
    out = {}
    for start in range(0, len(region_ids), 5_000):
        chunk = region_ids[start : start + 5_000]
        stmt = select(*_stored_columns()).where(
            MonthlyReport.month == month, MonthlyReport.region_id.in_(chunk)
        )
        out.update({row[1]: _Stored(*row) for row in session.execute(stmt)})
    return out


@dataclass
class _Save:
    """One report's save, worked out before the write transaction."""

    region_id: int
    level: str
    stored: _Stored | None  # None: a new report
    clean: dict[str, float | None]
    before: dict | None
    after: _Stored
    action: str  # create, update or submit
    warnings: list[FieldError]


def _prepare_saves(
    session: Session,
    actor_id: int | None,
    month: int,
    items: list[tuple[Region, dict[str, float | None]]],
    *,
    submit: bool,
    expected_version: int | None = None,
) -> list[_Save]:
    """The saves of these regions' reports (values already checked), with the status and
    version checks, the audit rows' content and the plausibility warnings."""
    stored = _stored(session, [r.id for r, _c in items], month)
    values = _report_values(session, [s.id for s in stored.values()])
    previous: dict[int, dict[str, tuple[float, int]]] = {}
    for (rid, key), prev in previous_values(session, [r for r, _c in items], month).items():
        previous.setdefault(rid, {})[key] = prev
    status = "submitted" if submit else "draft"
    saves = []
    for region, clean in items:
        report = stored.get(region.id)
        if report is None:
            if expected_version not in (None, 0):
                raise _conflict()
            before, action = None, "create"
            after = _Stored(None, region.id, month, status, 1, None)
        else:
            if report.status == "approved":
                raise ReportError(
                    "该月报已通过审核，已锁定；如需修改请联系管理员重新打开",
                    "This report is approved and locked; an administrator can reopen it",
                    "locked",
                )
            if report.status == "submitted":
                raise ReportError(
                    "该月报已提交，等待审核；如需修改请请审核人退回",
                    "This report is submitted and awaits review; ask the reviewer to return it",
                    "status",
                )
            if expected_version is not None and expected_version != report.version:
                raise _conflict()
            before, action = _snapshot(report, values[report.id]), "update"
            after = replace(report, status=status, version=report.version + 1)
        saves.append(
            _Save(
                region.id,
                region.level,
                report,
                clean,
                before,
                after,
                "submit" if submit else action,
                plausibility_warnings(region.level, clean, previous.get(region.id, {})),
            )
        )
    return saves


@cache
def _insert_report(dialect: str):
    insert_fn = dialect_insert(dialect)
    table = MonthlyReport.__table__
    return (
        insert_fn(table)
        .on_conflict_do_nothing(index_elements=[table.c.region_id, table.c.month])
        .returning(table.c.id, table.c.region_id)
    )


def _expire_reports(session: Session) -> None:
    """A report object this session read before is stale after the statements: reload it."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, MonthlyReport):
            session.expire(obj)


def _write_saves(
    session: Session,
    actor_id: int | None,
    month: int,
    saves: list[_Save],
    now: datetime,
    *,
    conflict: bool,
) -> list[SaveReportResult]:
    """The writes of prepared saves: new reports inserted (none may exist meanwhile), stored ones
    updated at the version read (and still editable), their values replaced, the audit rows.
    What moved meanwhile is a conflict for a form (`conflict`) and a new preparation (Moved)
    otherwise."""
    moved = _conflict() if conflict else Moved()
    conn = session.connection()
    table = MonthlyReport.__table__
    submitted = (
        {"submitted_by": actor_id, "submitted_at": now}
        if saves[0].after.status == ("submitted")
        else {}
    )
    new = [s for s in saves if s.stored is None]
    if new:
        rows = [
            {"region_id": s.region_id, "level": s.level, "month": month,
             "status": s.after.status, "version": 1, "created_by": actor_id,
             "updated_by": actor_id, "created_at": now, "updated_at": now,
             "submitted_by": None, "submitted_at": None, **submitted}
            for s in new
        ]  # fmt: skip
        ids = dict(
            (rid, rid_id)
            for rid_id, rid in conn.execute(_insert_report(conn.dialect.name), rows).all()
        )
        if len(ids) != len(new):
            raise moved
        for s in new:
            s.after = replace(s.after, id=ids[s.region_id])
    old = [s for s in saves if s.stored is not None]
    if old:
        changed = conn.execute(
            update(table)
            .where(
                table.c.id == bindparam("b_id"),
                table.c.version == bindparam("b_version"),
                or_(table.c.status == "draft", table.c.status == "returned"),
            )
            .values(
                status=saves[0].after.status,
                version=table.c.version + 1,
                updated_by=actor_id,
                updated_at=now,
                **submitted,
            ),
            [{"b_id": s.stored.id, "b_version": s.stored.version} for s in old],
        )
        if changed.rowcount != len(old):
            raise moved
        ids_old = [s.stored.id for s in old]
        for start in range(0, len(ids_old), 5_000):
            conn.execute(
                delete(MonthlyReportValue.__table__).where(
                    MonthlyReportValue.__table__.c.report_id.in_(ids_old[start : start + 5_000])
                )
            )
    bulk_insert(
        session,
        MonthlyReportValue.__table__,
        ("report_id", "indicator_key", "value"),
        [(s.after.id, k, v) for s in saves for k, v in s.clean.items()],
    )
    for action in sorted({s.action for s in saves}):
        entries = [
            AuditEntry("monthly_report", s.after.id, s.before, _snapshot(s.after, s.clean))
            for s in saves
            if s.action == action
        ]
        add_audit_rows(session, actor_id, action, entries, now)
    _expire_reports(session)
    return [
        SaveReportResult(s.after.id, s.after.status, s.after.version, s.warnings) for s in saves
    ]


@prepared_write
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
) -> Writes:
    """Save the region's report for the month as a draft (blanks allowed) or submit it (every
    value required), checking each value (whole numbers for counts, no negatives: ReportInvalid
    with zh/en per indicator) and the version the form was read at (ReportError 'conflict');
    values that move by more than the registry's factor come back as warnings. Prepared
    (db.prepared_write): the write transaction holds only the report's INSERT/UPDATE, its values
    and the audit row; a report changed meanwhile is a conflict when the form gave its version."""
    now = now or utcnow()
    region = _region(session, region_id)
    check_region_scope(session, actor_id, region.id)
    _check_month(month, now)
    clean, errors = validate_report_values(region.level, values, submit=submit)
    if errors:
        raise ReportInvalid(errors)
    saves = _prepare_saves(
        session, actor_id, month, [(region, clean)], submit=submit,
        expected_version=expected_version,
    )  # fmt: skip

    def writes(session: Session) -> SaveReportResult:
        conflict = expected_version is not None or saves[0].stored is None
        return _write_saves(session, actor_id, month, saves, now, conflict=conflict)[0]

    return Writes(writes)


def save_reports(
    session: Session,
    actor_id: int | None,
    month: int,
    items: list[tuple[int, Mapping[str, Any]]],
    *,
    submit: bool = False,
    now: datetime | None = None,
) -> Writes:
    """The preparation of many regions' saves for one month at once (the sheet import), checked
    like save_report's (the first problem raised); its writes are one INSERT of the new reports,
    one UPDATE per stored one, the values and audit rows in bulk, and run again from the start
    (db.Moved) when a report changed meanwhile."""
    now = now or utcnow()
    _check_month(month, now)
    regions = {r.id: r for r in _regions(session, sorted({rid for rid, _v in items}))}
    checked = []
    for region_id, values in items:
        region = regions.get(region_id)
        if region is None or not reportable_indicators(region.level):
            raise ReportError("没有这个填报单位", "No such reporting region", "not_found")
        check_region_scope(session, actor_id, region.id)
        clean, errors = validate_report_values(region.level, values, submit=submit)
        if errors:
            raise ReportInvalid(errors)
        checked.append((region, clean))
    saves = _prepare_saves(session, actor_id, month, checked, submit=submit)

    def writes(session: Session) -> list[SaveReportResult]:
        if not saves:
            return []
        return _write_saves(session, actor_id, month, saves, now, conflict=False)

    return Writes(writes)


def _conflict() -> ReportError:
    return ReportError(
        "该月报已被他人修改，请重新打开后再保存（您填写的内容仍在）",
        "Someone else changed this report meanwhile; reload it before saving (your input is kept)",
        "conflict",
    )


def _reviewable_levels(parent: Region) -> list[str]:
    return [
        level
        for level in LEVELS
        if reportable_indicators(level) and REVIEWED_BY.get(level) == parent.level
    ]


def list_review_queue(
    session: Session, actor_id: int | None, month: int, parent_region_id: int | None = None
) -> list[ReviewRow]:
    """The reports reviewed at the parent region (default: the actor's scope) for the month:
    one row per reporting region below it whose reports its level reviews, including those not
    started, by code; each with its changes against the last approved values."""
    if parent_region_id is None:
        account = _account(session, actor_id) if actor_id is not None else None
        parent_region_id = (
            account.scope_region_id
            if account is not None and account.role != "admin"
            else session.scalar(select(Region.id).where(Region.level == "city"))
        )
    parent = session.get(Region, parent_region_id)
    if parent is None:
        raise ReportError("没有这个地区", "No such region", "not_found")
    _check_viewer(session, actor_id, parent.id)
    _check_month(month, None)
    levels = _reviewable_levels(parent)
    if not levels:
        return []
    stmt = select(Region).where(Region.level.in_(levels))
    clause = scope_clause(Region, _info(parent)) if parent.level != "city" else None
    if clause is not None:
        stmt = stmt.where(clause)
    regions = list(session.scalars(stmt.order_by(Region.code)))
    ids = [r.id for r in regions]
    reports = {
        r.region_id: r
        for r in session.scalars(
            select(MonthlyReport).where(
                MonthlyReport.month == month, MonthlyReport.region_id.in_(ids)
            )
        )
    }
    values = _report_values(session, [r.id for r in reports.values()])
    previous = previous_values(session, regions, month)
    out = []
    for region in regions:
        report = reports.get(region.id)
        changes = []
        if report is not None:
            for key, value in values[report.id].items():
                prev = previous.get((region.id, key))
                if prev is None or value != prev[0]:
                    changes.append(
                        ValueChange(
                            key, value, prev[0] if prev else None, prev[1] if prev else None
                        )
                    )
        out.append(
            ReviewRow(
                region_id=region.id,
                code=region.code,
                name_zh=region.name_zh,
                name_en=region.name_en,
                status=report.status if report else "not_started",
                version=report.version if report else 0,
                submitted_at=report.submitted_at if report else None,
                reviewed_at=report.reviewed_at if report else None,
                comment=report.comment if report else None,
                changes=tuple(changes),
            )
        )
    return out


@prepared_write
def approve_reports(
    session: Session,
    actor_id: int | None,
    month: int,
    region_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[int] | Writes:
    """Approve the submitted reports of these regions for the month (None: every submitted one
    the actor reviews), APPROVE_PART at a time, each part its own transaction under run_write;
    publish their values. Returns the approved regions' ids. Prepared
    (db.prepared_write): the reports, the reviewer's rights, the published values' spans, the
    area stocks' changes and the audit rows are worked out before the write transaction, which
    holds their writes alone; a report or a publication that moved meanwhile makes run_write
    prepare it again (approving all: without a report returned meanwhile)."""
    now = now or utcnow()
    if actor_id is not None:
        _account(session, actor_id)
    if region_ids is None:
        candidates = [
            _Stored(*row)
            for row in session.execute(
                select(*_stored_columns())
                .where(MonthlyReport.month == month, MonthlyReport.status == "submitted")
                .order_by(MonthlyReport.region_id)
            )
        ]
        regions = {r.id: r for r in _regions(session, [c.region_id for c in candidates])}
        reports = [c for c in candidates if may_review(session, actor_id, regions[c.region_id])]
        more = len(reports) > APPROVE_PART
        reports = reports[:APPROVE_PART]
    else:
        reports, more = [], False
        for position, region_id in enumerate(region_ids):
            if len(reports) == APPROVE_PART:  # the rest in the next part, checked then
                more = {"region_ids": list(region_ids[position:])}
                break
            region = _region(session, region_id)
            _check_reviewer(session, actor_id, region)
            report = _stored(session, [region.id], month).get(region.id)
            if report is None or report.status != "submitted":
                raise ReportError(
                    f"{region.name_zh} 的月报未提交，不能审核通过",
                    f"{region.name_en}'s report is not submitted and cannot be approved",
                    "status",
                )
            reports.append(report)
    if not reports:
        return []
    values = _report_values(session, [r.id for r in reports])
    publication = prepare_publication(
        session, [(r.region_id, r.month, values[r.id]) for r in reports]
    )
    entries = [
        AuditEntry(
            "monthly_report",
            r.id,
            _snapshot(r, values[r.id]),
            _snapshot(
                replace(r, status="approved", version=r.version + 1, comment=None), values[r.id]
            ),
        )
        for r in reports
    ]
    review = {"reviewed_by": actor_id, "reviewed_at": now, "comment": None}

    def writes(session: Session) -> list[int]:
        write_publication(session, publication)
        _review(session, reports, "submitted", "approved", review)
        add_audit_rows(session, actor_id, "approve", entries, now)
        return [r.region_id for r in reports]

    return Writes(writes, more=more)


# Approving many reports (every one of a month, or the list a reviewer's "approve all" shows)
# commits them this many at a time (each part whole: its reports approved and published, the
# area stocks exact), so that other writers get the lock in between; a failure leaves the
# parts before it approved (the exception's `committed`), and approving all again goes on.
APPROVE_PART = 100


def _review(
    session: Session, reports: list[_Stored], was: str, status: str, values: dict[str, Any]
) -> None:
    """Move reports read at their version and status on (Moved when one is not so any more)."""
    table = MonthlyReport.__table__
    changed = session.connection().execute(
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.version == bindparam("b_version"),
            table.c.status == was,
        )
        .values(status=status, version=table.c.version + 1, **values),
        [{"b_id": r.id, "b_version": r.version} for r in reports],
    )
    if changed.rowcount != len(reports):
        raise Moved()
    _expire_reports(session)


def _regions(session: Session, ids: list[int]) -> list[Region]:
    out = []
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        out.extend(session.scalars(select(Region).where(Region.id.in_(chunk))))
    return out


def _comment(text: str, what_zh: str, what_en: str) -> str:
    comment = (text or "").strip() if isinstance(text, str) else ""
    if not comment:
        raise ReportError(f"请填写{what_zh}", f"Enter the {what_en}", "invalid")
    if len(comment) > COMMENT_MAX:
        raise ReportError(
            f"{what_zh}最多 {COMMENT_MAX} 个字", f"At most {COMMENT_MAX} characters", "invalid"
        )
    problem = check_text(comment, True)
    if problem is not None:
        raise ReportError(*problem, "invalid")
    return comment


@prepared_write
def return_report(
    session: Session,
    actor_id: int | None,
    region_id: int,
    month: int,
    comment: str,
    now: datetime | None = None,
) -> Writes:
    """Send a submitted report back to its region with a comment (required). Prepared
    (db.prepared_write): the write transaction holds the report's UPDATE and audit row."""
    now = now or utcnow()
    region = _region(session, region_id)
    _check_reviewer(session, actor_id, region)
    comment = _comment(comment, "退回意见", "comment")
    report = _stored(session, [region.id], month).get(region.id)
    if report is None or report.status != "submitted":
        raise ReportError(
            "只有已提交的月报可以退回", "Only a submitted report can be returned", "status"
        )
    values = _report_values(session, [report.id])[report.id]
    before = _snapshot(report, values)
    after = _snapshot(replace(report, status="returned", version=report.version + 1,
                              comment=comment), values)  # fmt: skip

    def writes(session: Session) -> None:
        review = {"reviewed_by": actor_id, "reviewed_at": now, "comment": comment}
        _review(session, [report], "submitted", "returned", review)
        add_audit_row(session, actor_id, "return", "monthly_report", report.id, before, after, now)

    return Writes(writes)


@prepared_write
def reopen_report(
    session: Session,
    actor_id: int | None,
    region_id: int,
    month: int,
    reason: str,
    now: datetime | None = None,
) -> Writes:
    """Admins only: unlock an approved report (back to returned, with the reason) and withdraw
    its published values. Prepared (db.prepared_write), like approve_reports."""
    now = now or utcnow()
    require_admin(session, actor_id)
    region = _region(session, region_id)
    reason = _comment(reason, "重新打开的原因", "reason")
    report = _stored(session, [region.id], month).get(region.id)
    if report is None or report.status != "approved":
        raise ReportError(
            "只有已通过的月报可以重新打开", "Only an approved report can be reopened", "status"
        )
    values = _report_values(session, [report.id])[report.id]
    before = _snapshot(report, values)
    after = _snapshot(replace(report, status="returned", version=report.version + 1,
                              comment=reason), values)  # fmt: skip
    publication = prepare_publication(session, [], [(region.id, month)])

    def writes(session: Session) -> None:
        write_publication(session, publication)
        review = {"reviewed_by": actor_id, "reviewed_at": now, "comment": reason}
        _review(session, [report], "approved", "returned", review)
        add_audit_row(session, actor_id, "reopen", "monthly_report", report.id, before, after, now)

    return Writes(writes)


PUBLISHED_VERSION = "published_version"  # app_meta: counts publications and withdrawals


@dataclass(frozen=True)
class Publication:
    """The writes of publishing or withdrawing approved values, worked out before the write
    transaction (prepare_publication) from the store as read then (`version`: app_meta's count of
    publications at that moment; write_publication refuses with Moved if another came first)."""

    version: str | None
    until: dict[int, list[int]]  # new until_month -> reported_values ids
    removed: list[int]  # reported_values ids withdrawn
    added: list[tuple]  # new reported_values rows, in PUBLISHED_COLUMNS order
    stale_stocks: list[dict[str, Any]]  # area_stocks rows (primary key) to delete
    stocks: list[tuple]  # area_stocks rows to insert (rollups' column order)


# A publication of at most this many regions reads the other regions' values as sums (one
# bound parameter each in the statement that leaves them out).
FEW_REGIONS = 1_000


def prepare_publication(
    session: Session,
    added: list[tuple[int, int, Mapping[str, float | None]]],
    withdrawn: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> Publication:
    """The writes that publish approved reports' values, (region id, month, values) each, each
    value standing until its region's next value of the indicator, or that withdraw a region's
    published values of a month, (region id, month) each (the values before stand again until the
    next ones); with the area stocks recounted for the indicators from the first month on and
    only the rows that change kept."""
    rv = ReportedValue
    version = session.scalar(select(AppMeta.value).where(AppMeta.key == PUBLISHED_VERSION))
    timeline: dict[tuple[int, str], dict[int, float]] = {}
    for region_id, month, values in added:
        for key, value in values.items():
            if value is not None:
                timeline.setdefault((region_id, key), {})[month] = float(value)
    going = []  # (region id, month, key) withdrawn
    for region_id, month in withdrawn:
        going += [
            (region_id, month, key)
            for key in session.scalars(
                select(rv.indicator_key).where(rv.region_id == region_id, rv.month == month)
            )
        ]
    months = [m for _r, m, _v in added] + [m for _r, m in withdrawn]
    keys = sorted({k for _r, k in timeline} | {k for _r, _m, k in going})
    if not keys:
        return Publication(version, {}, [], [], [], [])
    since = min(months)
    # The values of these indicators and regions standing at or after the first month, one by
    # one: the spans that change. The other regions' values enter the recount as the store sums
    # them (a publication of a few regions reads their values and a sum of the rest, not every
    # value standing; a publication of many regions, as the demo's, reads them all one by one).
    regions = sorted({rid for rid, _k in timeline} | {rid for rid, _m in withdrawn})
    few = len(regions) <= FEW_REGIONS
    stmt = select(
        rv.id, rv.region_id, rv.indicator_key, rv.month, rv.until_month, rv.value,
        rv.district_id, rv.street_id,
    ).where(rv.indicator_key.in_(keys), rv.until_month >= since)  # fmt: skip
    conn = session.connection()
    state = {
        row[0]: list(row[1:])
        for row in conn.execute(stmt.where(rv.region_id.in_(regions)) if few else stmt).all()
    }
    others = conn.execute(standing_value_sums(keys, since, regions)).all() if few else []
    series: dict[tuple[int, str], list[tuple[int, int, int]]] = {}
    for row_id, (rid, key, month, until, *_rest) in state.items():
        series.setdefault((rid, key), []).append((month, row_id, until))
    new_until: dict[int, int] = {}
    removed = []
    for rid, month, key in going:
        for m, row_id, until in series.get((rid, key), []):
            if m == month:
                removed.append(row_id)
                for m0, before_id, until0 in series[(rid, key)]:
                    if m0 < month and until0 == month:
                        new_until[before_id] = until
    new_rows = []
    places = {
        r.id: (r.district_id, r.street_id, r.community_id)
        for r in _regions(session, sorted({rid for rid, _k in timeline}))
    }
    for (rid, key), values_by_month in timeline.items():
        old = series.get((rid, key), [])
        if any(m in values_by_month for m, _id, _u in old):
            raise ReportError(
                "该月已有通过的数值", "This month already has approved values", "status"
            )
        events = sorted([*values_by_month, *(m for m, _id, _u in old)])
        nxt = {m: (events[i + 1] if i + 1 < len(events) else OPEN) for i, m in enumerate(events)}
        for m, row_id, until in old:
            if nxt[m] != until:
                new_until[row_id] = nxt[m]
        for m, value in values_by_month.items():
            new_rows.append((key, rid, m, value, nxt[m], *places[rid]))
    new_rows.sort()  # in the unique index's order (indicator, region, month): far quicker to insert
    for row_id, until in new_until.items():
        state[row_id][3] = until
    gone = set(removed)
    counted = others + [
        (key, month, until, value, district, street)
        for row_id, (_rid, key, month, until, value, district, street) in state.items()
        if row_id not in gone
    ] + [(key, m, until, value, district, street)
         for key, _rid, m, value, until, district, street, _c in new_rows]  # fmt: skip
    city_id = session.scalar(select(Region.id).where(Region.level == "city"))
    recount = area_stock_totals(counted, city_id, since)
    stored = {
        (r, k, m): (float(v), a)
        for r, m, k, v, a in session.connection().execute(
            select(
                AreaStock.region_id, AreaStock.month, AreaStock.indicator_key, AreaStock.value,
                AreaStock.as_of,
            ).where(AreaStock.month >= since, AreaStock.indicator_key.in_(keys))
        )
    }  # fmt: skip
    changed = [
        k for k, v in recount.items()
        if k not in stored or stored[k][1] != v[1] or not math.isclose(stored[k][0], v[0])
    ]  # fmt: skip
    stale = [k for k in stored if k not in recount] + [k for k in changed if k in stored]
    place = area_places(session, {k[0] for k in changed})
    by_month = {}
    for area, key, month in changed:
        by_month[(area, key, month)] = (
            area,
            month,
            key,
            *place[area],
            *recount[(area, key, month)],
        )
    return Publication(
        version,
        {u: [i for i, v in new_until.items() if v == u] for u in set(new_until.values())},
        removed,
        new_rows,
        [{"b_region": r, "b_key": k, "b_month": m} for r, k, m in stale],
        sorted(by_month.values()),
    )


@cache
def _claim_first(dialect: str):
    insert_fn = dialect_insert(dialect)
    return (
        insert_fn(AppMeta.__table__)
        .values(key=PUBLISHED_VERSION, value="1")
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(AppMeta.__table__.c.key)  # psycopg's rowcount of this INSERT is -1
    )


def write_publication(session: Session, publication: Publication) -> None:
    """The writes of a prepared publication, first counting it in app_meta at the version it was
    prepared from (Moved if another publication came first: two at once on PostgreSQL would each
    change the area stocks from a state without the other's values; the row's lock makes the
    second wait for the first's commit)."""
    conn = session.connection()
    meta = AppMeta.__table__
    if publication.version is None:
        claimed = conn.execute(_claim_first(conn.dialect.name)).first() is not None
    else:
        claimed = (
            conn.execute(
                update(meta)
                .where(meta.c.key == PUBLISHED_VERSION, meta.c.value == publication.version)
                .values(value=str(int(publication.version) + 1))
            ).rowcount
            == 1
        )
    if not claimed:
        raise Moved()
    rv = ReportedValue.__table__
    for until, row_ids in publication.until.items():
        for start in range(0, len(row_ids), 5_000):
            conn.execute(
                update(rv)
                .where(rv.c.id.in_(row_ids[start : start + 5_000]))
                .values(until_month=until)
            )
    for start in range(0, len(publication.removed), 5_000):
        conn.execute(delete(rv).where(rv.c.id.in_(publication.removed[start : start + 5_000])))
    bulk_insert(session, rv, PUBLISHED_COLUMNS, publication.added)
    stocks = AreaStock.__table__
    if publication.stale_stocks:
        conn.execute(
            delete(stocks).where(
                stocks.c.region_id == bindparam("b_region"),
                stocks.c.indicator_key == bindparam("b_key"),
                stocks.c.month == bindparam("b_month"),
            ),
            publication.stale_stocks,
        )
    bulk_insert(session, stocks, AREA_STOCK_COLUMNS, publication.stocks)


def publish_values(
    session: Session, reports: list[tuple[int, int, Mapping[str, float | None]]]
) -> None:
    """Publish approved reports' values, (region id, month, values) each, into reported_values
    (each value standing until its region's next value of the indicator) and bring the area
    stocks up to date, in the caller's transaction."""
    if reports:
        write_publication(session, prepare_publication(session, reports))


PUBLISHED_COLUMNS = (
    "indicator_key",
    "region_id",
    "month",
    "value",
    "until_month",
    "district_id",
    "street_id",
    "community_id",
)


def withdraw_values(session: Session, region_id: int, month: int) -> None:
    """Remove a region's published values of a month (a reopened report): the values before
    stand again until its next ones; the area stocks follow, in the caller's transaction."""
    write_publication(session, prepare_publication(session, [], [(region_id, month)]))


def list_report_statuses(
    session: Session, region: RegionInfo, month: int, level: str = "community"
) -> list[RegionStatus]:
    """Every reporting region of `level` inside the region with its report's status for the
    month (not_started when none), by parent code then code."""
    parent = aliased(Region)
    mr = MonthlyReport
    stmt = (
        select(
            Region.id,
            Region.code,
            Region.name_zh,
            Region.name_en,
            parent.code,
            parent.name_zh,
            parent.name_en,
            func.coalesce(mr.status, "not_started"),
            mr.submitted_at,
            mr.reviewed_at,
        )
        .outerjoin(parent, parent.id == Region.parent_id)
        .outerjoin(mr, and_(mr.region_id == Region.id, mr.month == month))
        .where(Region.level == level)
    )
    if region.level != "city":
        stmt = stmt.where(scope_clause(Region, region))
    rows = [RegionStatus(*row) for row in session.execute(stmt)]
    return sorted(rows, key=lambda r: (r.parent_code or "", r.code))


def get_completeness(
    session: Session, region: RegionInfo, month: int, level: str = "community"
) -> Completeness:
    """Counts per status of the month's reports of the regions of `level` inside the region,
    and the late ones (not approved) with their parent, by parent code then code."""
    statuses = list_report_statuses(session, region, month, level)
    counts = dict.fromkeys(STATUSES, 0)
    for r in statuses:
        counts[r.status] += 1
    late = tuple(r for r in statuses if r.status != "approved")
    return Completeness(month, level, len(statuses), counts, late)


def count_report_statuses(
    session: Session, region: RegionInfo, month: int, level: str = "community"
) -> dict[str, int]:
    """How many reporting regions of `level` inside the region are in each status for the month
    (get_completeness's counts, in one grouped query: for what needs only the numbers)."""
    mr = MonthlyReport
    counts = dict.fromkeys(STATUSES, 0)
    if region.level == "city":
        # The whole level: its reports counted by status from the month-level-status index, and
        # its regions from the level index; the rest have not started. (Each region's report
        # looked up in turn read 1,158 report rows for the communities.)
        reports = select(mr.status, func.count()).where(mr.month == month, mr.level == level)
        regions = select(null(), func.count()).where(Region.level == level)
        rows = session.execute(union_all(reports.group_by(mr.status), regions)).all()
        counts.update((status, n) for status, n in rows if status is not None)
        total = next(n for status, n in rows if status is None)
        counts["not_started"] = total - sum(counts.values())
        return counts
    status = func.coalesce(mr.status, "not_started")
    stmt = (
        select(status, func.count())
        .select_from(Region)
        .outerjoin(mr, and_(mr.region_id == Region.id, mr.month == month))
        .where(Region.level == level, scope_clause(Region, region))
        .group_by(status)
    )
    counts.update(session.execute(stmt).all())
    return counts


def add_approved_reports(
    session: Session,
    actor_id: int | None,
    reports: list[tuple[int, int, Mapping[str, Any]]],
    now: datetime | None = None,
) -> int:
    """The bulk path (the demo city, an operator's back-fill): write many complete reports,
    (region id, month, values) each, as approved and publish them, with the same checks as
    save_report and approve_reports (every value required; ReportInvalid names the region and
    month in each error's field as "code month key") and one audit row for the batch. None of
    the regions may have a report of its month yet. Returns the number of reports."""
    now = now or utcnow()
    if actor_id is not None:
        require_admin(session, actor_id)
    if not reports:
        return 0
    regions = {r.id: r for r in _regions(session, sorted({rid for rid, _m, _v in reports}))}
    clean_reports = []
    errors: list[FieldError] = []
    for region_id, month, values in reports:
        region = regions.get(region_id)
        if region is None or not reportable_indicators(region.level):
            raise ReportError("没有这个填报单位", "No such reporting region", "not_found")
        _check_month(month, now)
        clean, problems = validate_report_values(region.level, values, submit=True)
        errors.extend(FieldError(f"{region.code} {month} {e.field}", e.message) for e in problems)
        clean_reports.append((region, month, clean))
    if errors:
        raise ReportInvalid(errors)
    months = sorted({m for _r, m, _c in clean_reports})
    taken = session.scalar(
        select(func.count())
        .select_from(MonthlyReport)
        .where(
            MonthlyReport.month.in_(months),
            MonthlyReport.region_id.in_(list(regions)) if len(regions) < 5_000 else true(),
        )
    )
    if taken:
        raise ReportError(
            "部分单位该月已有月报", "Some regions already have a report for the month", "status"
        )
    bulk_insert(
        session,
        MonthlyReport.__table__,
        (
            "region_id",
            "level",
            "month",
            "status",
            "version",
            "created_by",
            "updated_by",
            "submitted_by",
            "reviewed_by",
            "created_at",
            "updated_at",
            "submitted_at",
            "reviewed_at",
        ),
        (
            (r.id, r.level, m, "approved", 1, *([actor_id] * 4), *([now] * 4))
            for r, m, _c in clean_reports
        ),
    )
    ids = {
        (rid, m): report_id
        for report_id, rid, m in session.execute(
            select(MonthlyReport.id, MonthlyReport.region_id, MonthlyReport.month).where(
                MonthlyReport.month.in_(months)
            )
        )
    }
    bulk_insert(
        session,
        MonthlyReportValue.__table__,
        ("report_id", "indicator_key", "value"),
        ((ids[(r.id, m)], k, v) for r, m, clean in clean_reports for k, v in clean.items()),
    )
    publish_values(session, [(r.id, m, clean) for r, m, clean in clean_reports])
    add_audit_row(
        session,
        actor_id,
        "bulk_approve",
        "monthly_report",
        None,
        None,
        {"reports": len(clean_reports), "first_month": months[0], "last_month": months[-1]},
        now,
    )
    return len(clean_reports)
