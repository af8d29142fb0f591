"""Monthly reports in bulk: the Excel template a street or district fills for its communities
(the page's download and `report template`), and importing it back, all rows or none (the
page's upload and `report import`). Sheets are read like the activity import's: bounded, in a
child process (importing.read_sheet), with the same row/column errors (importing.RowError)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.auth import PermissionDenied, check_region_scope, utcnow
from data_access.db import Writes, prepared_write
from data_access.importing import RowError, read_sheet
from data_access.messages import Message
from data_access.models import MonthlyReport, Region
from data_access.regions import RegionInfo, scope_clause
from data_access.registry import Indicator
from data_access.reports import (
    LEVEL_NAMES,
    ReportError,
    previous_values,
    reportable_indicators,
    save_reports,
    validate_report_values,
)
from data_access.sheet_reader import ImportRefused
from data_access.validation import FieldError, _blank

CODE_HEADER = ("单位代码", "code")
NAME_HEADER = ("单位名称", "name")
PARENT_HEADER = ("上级", "parent")
EXTRA_COLUMNS = 16  # room for a leading 序号 or notes, found by header and ignored


def indicator_header(ind: Indicator) -> str:
    """An indicator's column header: its Chinese name and unit (the import also takes the key)."""
    return f"{ind.name_zh}（{ind.unit_zh}）"


def _norm(text: Any) -> str:
    return "".join(str(text or "").split()).lower().replace("(", "（").replace(")", "）")


def _regions(session: Session, region: RegionInfo, level: str) -> list[Region]:
    stmt = select(Region).where(Region.level == level)
    if region.level != "city":
        stmt = stmt.where(scope_clause(Region, region))
    return list(session.scalars(stmt.order_by(Region.code)))


def template_xlsx(
    session: Session, region: RegionInfo, month: int, level: str = "community"
) -> bytes:
    """The Excel template of a month's reports for the regions of `level` inside the region:
    one row per region, one column per indicator, filled with each one's last approved values."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    indicators = reportable_indicators(level)
    regions = _regions(session, region, level)
    parents = {
        r.id: r.name_zh
        for r in session.scalars(
            select(Region).where(Region.id.in_({r.parent_id for r in regions if r.parent_id}))
        )
    }
    previous = previous_values(session, regions, month)
    book = Workbook()
    sheet = book.active
    sheet.title = "月报"
    sheet.append(
        [CODE_HEADER[0], NAME_HEADER[0], PARENT_HEADER[0], *map(indicator_header, indicators)]
    )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in regions:
        values = []
        for ind in indicators:
            prev = previous.get((r.id, ind.key))
            values.append(int(prev[0]) if prev else None)
        sheet.append([r.code, r.name_zh, parents.get(r.parent_id, ""), *values])
    notes = book.create_sheet("说明")
    notes.column_dimensions["A"].width = 110
    y, m = divmod(month, 100)
    level_zh, level_en = LEVEL_NAMES[level]
    for line in (
        f"{y}年{m}月 月报填报说明 / Monthly report {y}-{m:02d}",
        f"1. “月报”表每行一个{level_zh}；单位代码请勿修改，第一行是列名。",
        "2. 已按各单位上次通过审核的数值预填；只改变化了的数。",
        "3. 每项填月末实有数：整数，不能为负数，没有就填 0。",
        "4. 每行都会先检查；有任何错误时一行也不导入，改正后重新上传即可。",
        "5. 可另存为 CSV（UTF-8 或 GBK）再导入。",
        "",
        f"One row per {level_en}; keep the codes. Values are pre-filled with the last approved "
        "ones: whole numbers, not negative, 0 if none. Any error: nothing is imported.",
    ):
        notes.append([line])
    keys = book.create_sheet("指标")
    keys.append(["列名 column", "代码 key", "Indicator", "单位 unit"])
    for ind in indicators:
        keys.append([indicator_header(ind), ind.key, ind.name_en, ind.unit_zh])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class ReportImport:
    """The outcome of importing a report sheet: how many reports were saved (0 when refused),
    the errors (nothing saved when any) and the plausibility warnings (saved all the same)."""

    saved: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    data_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the sheet was imported."""
        return not self.errors and self.saved > 0


def _row_error(row: int, column: str, error: FieldError | tuple[str, str]) -> RowError:
    if isinstance(error, FieldError):
        return RowError(row, column, error.message)
    return RowError(row, column, Message(*error))


@prepared_write
def import_report_sheet(
    session: Session,
    actor_id: int | None,
    filename: str,
    data: bytes,
    month: int,
    *,
    submit: bool = False,
    now: datetime | None = None,
) -> ReportImport | Writes:
    """Check every row of a report sheet, then save each region's report for the month (as a
    draft, or submitted) as save_report would — all rows or none, in one write transaction.
    ImportRefused when the file as a whole cannot be read. Prepared (db.prepared_write): the
    sheet is read and checked, and the saves worked out (reports.save_reports), before the write
    transaction begins; it holds one INSERT of the new reports, the UPDATEs of stored ones, and
    the values and audit rows in bulk."""
    now = now or utcnow()
    sheet = read_sheet(filename, data, 3 + len(reportable_indicators("community")) + EXTRA_COLUMNS)
    result = ReportImport()
    if not sheet.rows or not any(not _blank(c) for c in sheet.rows[0]):
        raise ImportRefused("表格没有列名行。", "The sheet has no header row.")
    header = [str(c).strip() if not _blank(c) else "" for c in sheet.rows[0]]
    normed = [_norm(h) for h in header]
    code_col = next((i for i, h in enumerate(normed) if h in map(_norm, CODE_HEADER)), None)
    if code_col is None:
        raise ImportRefused(
            f"缺少“{CODE_HEADER[0]}”列；请使用下载的模板。",
            f"The “{CODE_HEADER[1]}” column is missing; use the downloaded template.",
        )
    by_header: dict[str, dict[str, int]] = {}
    for level in ("community", "street", "district", "city"):
        cols = {}
        for ind in reportable_indicators(level):
            names = {_norm(indicator_header(ind)), _norm(ind.name_zh), _norm(ind.key)}
            found = next((i for i, h in enumerate(normed) if h in names), None)
            if found is not None:
                cols[ind.key] = found
        by_header[level] = cols
    used = {code_col, *(c for cols in by_header.values() for c in cols.values())}
    info = {_norm(NAME_HEADER[0]), _norm(NAME_HEADER[1]), _norm(PARENT_HEADER[0])}
    result.ignored_columns = [
        h for i, h in enumerate(header) if h and i not in used and _norm(h) not in info
    ]
    codes = {}
    todo: list[tuple[int, Region, dict[str, Any]]] = []

    def code_of(row: list[Any]) -> str:
        cell = row[code_col] if code_col < len(row) else None
        return "" if _blank(cell) else str(cell).strip().removesuffix(".0")

    lines = [
        (number, row, code_of(row))
        for number, row in enumerate(sheet.rows[1:], start=2)
        if any(not _blank(c) for c in row)
    ]
    wanted = sorted({code for _n, _r, code in lines if code})
    regions = {  # the sheet's regions read at once, not a statement a row
        region.code: region
        for start in range(0, len(wanted), 500)
        for region in session.scalars(
            select(Region).where(Region.code.in_(wanted[start : start + 500]))
        )
    }
    for number, row, code in lines:
        result.data_rows += 1
        region = regions.get(code)
        column = header[code_col]
        if region is None or not reportable_indicators(region.level):
            result.errors.append(
                _row_error(number, column, ("没有这个填报单位代码。", "No such region code."))
            )
            continue
        if code in codes:
            result.errors.append(
                _row_error(
                    number,
                    column,
                    (f"与第 {codes[code]} 行重复。", f"Same region as row {codes[code]}."),
                )
            )
            continue
        codes[code] = number
        try:
            check_region_scope(session, actor_id, region.id)
        except PermissionDenied as exc:
            result.errors.append(_row_error(number, column, (exc.message.zh, exc.message.en)))
            continue
        cols = by_header[region.level]
        missing = [i for i in reportable_indicators(region.level) if i.key not in cols]
        for ind in missing:
            result.errors.append(
                _row_error(
                    number,
                    indicator_header(ind),
                    ("表格缺少这一列。", "The sheet lacks this column."),
                )
            )
        values = {k: (row[c] if c < len(row) else None) for k, c in cols.items()}
        _clean, problems = validate_report_values(region.level, values, submit=submit)
        names = {i.key: indicator_header(i) for i in reportable_indicators(region.level)}
        result.errors.extend(_row_error(number, names[e.field], e) for e in problems)
        todo.append((number, region, values))
    if result.data_rows == 0:
        raise ImportRefused("表格里没有数据行。", "The sheet has no data rows.")
    locked = {
        region_id: status
        for region_id, status in session.execute(
            select(MonthlyReport.region_id, MonthlyReport.status).where(
                MonthlyReport.month == month,
                MonthlyReport.region_id.in_([r.id for _n, r, _v in todo]),
                MonthlyReport.status.in_(("submitted", "approved")),
            )
        )
    }
    for number, region, _values in todo:
        if region.id in locked:
            result.errors.append(
                _row_error(
                    number,
                    header[code_col],
                    (
                        "该单位本月月报已提交或已通过，不能再导入。",
                        "This region's report is already submitted or approved.",
                    ),
                )
            )
    if result.errors:
        result.errors.sort(key=lambda e: (e.row, e.column))
        return result
    try:
        saves = save_reports(
            session,
            actor_id,
            month,
            [(region.id, values) for _n, region, values in todo],
            submit=submit,
            now=now,
        )
    except ReportError as exc:  # e.g. a month not started: the same for every row
        raise ImportRefused(exc.message.zh, exc.message.en) from None

    rows = [(number, region.level) for number, region, _values in todo]

    def writes(session: Session) -> ReportImport:
        # One INSERT of the new reports, the stored ones updated at the version read (a report
        # submitted meanwhile: prepared again, db.Moved), the values and audit rows in bulk.
        saved = saves.run(session)
        for (number, level), one in zip(rows, saved, strict=True):
            names = {i.key: indicator_header(i) for i in reportable_indicators(level)}
            result.warnings.extend(_row_error(number, names[w.field], w) for w in one.warnings)
        result.saved = len(saved)
        return result

    return Writes(writes)
