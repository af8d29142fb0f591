"""Bulk import of activities from a spreadsheet: the template, reading CSV/Excel as real sheets
come, checking every row first, and saving all valid rows in one transaction or none."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from data_access.activities import (
    RollupKey,
    add_delta,
    local_now,
    rollup_changes,
    write_rollup_changes,
)
from data_access.audit import AuditEntry, add_audit_rows
from data_access.auth import PermissionDenied, check_scope
from data_access.db import Writes, dialect_insert, prepared_write
from data_access.messages import Message
from data_access.models import Activity, AuditLog, Compound, Region
from data_access.region_facts import RegionFacts
from data_access.registry import ACTIVITY_TYPES, DATA_LEVELS, MEASURES, MEASURES_BY_KEY, PILLARS
from data_access.sheet_reader import (  # noqa: F401 (the bounds are part of this module's API)
    EMPTY_RUN,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    MAX_XLSX_UNPACKED,
    ImportRefused,
    Sheet,
    damaged_xlsx,
    read_in_child,
    too_many_rows,
)
from data_access.validation import field_label, validate_activity

# Column order of the template; headers are Chinese, English names are accepted too.
COLUMNS: tuple[str, ...] = (
    "type_key",
    "district",
    "street",
    "community",
    "grid",
    "compound",
    "occurred_on",
    "title",
    "description",
    "location",
    *(m.key for m in MEASURES),
)
_REGION_COLUMNS = {
    "district": ("区县", "District"),
    "street": ("街道", "Street"),
    "community": ("社区", "Community"),
    "grid": ("网格", "Grid"),
    "compound": ("小区", "Compound"),
}


def column_header(name: str, lang: str = "zh") -> str:
    """A template column's header (with the unit for measures)."""
    zh, en = _REGION_COLUMNS.get(name) or field_label(name)
    measure = MEASURES_BY_KEY.get(name)
    if lang == "zh":
        return f"{zh}（{measure.unit_zh}）" if measure else zh
    return f"{en} ({measure.unit_en})" if measure else en


def _norm_header(text: Any) -> str:
    value = str(text or "").replace("\ufeff", "").strip()
    value = re.sub(r"\s*[（(][^（()）]*[)）]\s*$", "", value)
    return value.strip().lower()


_HEADER_ALIASES: dict[str, str] = {}
for _name in COLUMNS:
    for _lang in ("zh", "en"):
        _HEADER_ALIASES[_norm_header(column_header(_name, _lang))] = _name
    _HEADER_ALIASES[_name.lower()] = _name
_HEADER_ALIASES.update(
    {"类型": "type_key", "活动日期": "occurred_on", "活动标题": "title", "date": "occurred_on"}
)
_HEADER_ALIASES.update({"区": "district", "县": "district", "乡镇": "street", "村": "community"})


@dataclass(frozen=True)
class RowError:
    """A problem in one cell: the sheet's row number (header = row 1) and column header."""

    row: int
    column: str
    message: Message


@dataclass
class ImportCheck:
    """The outcome of checking a sheet: the clean rows, the errors, what was ignored."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    # What the reading left out (zh, en): blank rows ending the read, columns right of the read.
    notes: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row is valid (and there is at least one)."""
        return not self.errors and bool(self.rows)

    @property
    def bad_rows(self) -> int:
        """How many rows have at least one error."""
        return len({e.row for e in self.errors})


# Columns read from an upload: the template's, plus room for extra ones (a leading 序号, notes)
# to be found by header and reported as ignored. Nothing right of them is read.
READ_COLUMNS = len(COLUMNS) + 16
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_sheet(filename: str, data: bytes, columns: int = READ_COLUMNS) -> Sheet:
    """The sheet's rows (header first) from CSV or tab-separated text (UTF-8, GBK or UTF-16,
    with or without BOM) or .xlsx, read in a child process bounded in rows, columns, memory
    and time (data_access.sheet_reader); at most `columns` columns are read."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRefused(
            f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请拆分后再导入。",
            f"The file is over {MAX_UPLOAD_BYTES // 1024 // 1024} MB; split it and try again.",
        )
    if not data.strip():
        raise ImportRefused("文件是空的。", "The file is empty.")
    name = filename.lower()
    if data.startswith(_OLE2):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise ImportRefused(
                "这个 Excel 文件设置了密码；请在 Excel 中取消密码后另存为 .xlsx。",
                "This Excel file is password-protected; remove the password in Excel and save "
                "it as .xlsx.",
            )
        raise ImportRefused(
            "这是旧版 Excel（.xls）文件；请在 Excel 中另存为 .xlsx 或 CSV。",
            "This is an old Excel (.xls) file; save it as .xlsx or CSV in Excel.",
        )
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")) or name.endswith((".xlsx", ".xlsm")):
        if not zipfile.is_zipfile(io.BytesIO(data)):  # reads only the archive's last record
            raise damaged_xlsx()
        return read_in_child("xlsx", data, columns)
    if name.endswith((".csv", ".txt", ".tsv")):
        return read_in_child("csv", data, columns)
    raise ImportRefused(
        "只能导入 CSV、文本（.txt）或 Excel（.xlsx）表格。",
        "Only CSV, text (.txt) or Excel (.xlsx) sheets can be imported.",
    )


class _Names:
    """Region and type lookups by code or by name, for cells people typed. The grids and the
    compounds (most of the regions) are read a community's at a time, at the first cell that
    names one of its own; all of them only to explain a cell found nowhere else."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_code: dict[str, tuple[int, str]] = {}
        self.by_parent_name: dict[tuple[int, str], list[int]] = {}
        self.by_name: dict[tuple[str, str], list[int]] = {}
        self.parent: dict[int, int | None] = {}
        self.compound_by_code: dict[str, int] = {}
        self.compound_by_name: dict[tuple[int, str], list[int]] = {}
        self._add_regions(Region.level != "grid")
        self._parts_of: set[int] = set()  # the communities whose grids and compounds are read
        self._parts = False  # every grid and compound read
        self.types: dict[str, str] = {}
        for t in ACTIVITY_TYPES:
            for name in (t.key, t.name_zh, t.name_en.lower()):
                self.types[name] = t.key

    def _add_regions(self, *where) -> None:
        rows = self.session.execute(
            select(
                Region.id,
                Region.code,
                Region.level,
                Region.parent_id,
                Region.name_zh,
                Region.name_en,
            ).where(*where)
        )
        for rid, code, level, parent_id, name_zh, name_en in rows:
            if rid in self.parent:  # read already, with its community's
                continue
            self.by_code[code] = (rid, level)
            self.parent[rid] = parent_id
            for name in {name_zh, name_en.lower()}:
                self.by_parent_name.setdefault((parent_id, name), []).append(rid)
                self.by_name.setdefault((level, name), []).append(rid)

    def _add_compounds(self, *where) -> None:
        for cid, code, community_id, name_zh, name_en in self.session.execute(
            select(
                Compound.id,
                Compound.code,
                Compound.community_id,
                Compound.name_zh,
                Compound.name_en,
            ).where(*where)
        ):
            if code in self.compound_by_code:  # read already, with its community's
                continue
            self.compound_by_code[code] = cid
            for name in {name_zh, name_en.lower()}:
                self.compound_by_name.setdefault((community_id, name), []).append(cid)

    def _load_parts(self, community_id: int | None = None) -> None:
        """Read the grids and the compounds of a community (None: of every community), once."""
        if self._parts or community_id in self._parts_of:
            return
        if community_id is None:
            self._parts = True
            self._add_regions(Region.level == "grid")
            self._add_compounds()
        else:
            self._parts_of.add(community_id)
            self._add_regions(Region.level == "grid", Region.parent_id == community_id)
            self._add_compounds(Compound.community_id == community_id)

    def compound(self, cell: str, community_id: int) -> tuple[int | None, tuple[str, str] | None]:
        """(id, None) for a compound's code or its name in the community; (None, (zh, en))
        when not found."""
        self._load_parts(community_id)
        return self._anywhere(self._compound, cell, community_id)

    def _anywhere(self, lookup, *args) -> tuple[int | None, tuple[str, str] | None]:
        """lookup(*args), and again with every grid and compound read when it finds nothing
        (another community's, or a grid's code in a region column: said for what it is)."""
        found, problem = lookup(*args)
        if problem and not self._parts:
            self._load_parts()
            found, problem = lookup(*args)
        return found, problem

    def _compound(self, cell: str, community_id: int) -> tuple[int | None, tuple[str, str] | None]:
        rid = self.compound_by_code.get(cell)
        if rid is not None:
            return rid, None
        found = self.compound_by_name.get((community_id, cell), []) or (
            self.compound_by_name.get((community_id, cell.lower()), [])
        )
        if len(found) == 1:
            return found[0], None
        return None, (
            f"本社区找不到小区“{cell}”。",
            f"No compound named “{cell}” in this community.",
        )

    def _under(self, rid: int, ancestor_id: int) -> bool:
        parent = self.parent.get(rid)
        while parent is not None:
            if parent == ancestor_id:
                return True
            parent = self.parent.get(parent)
        return False

    def region(
        self, level: str, cell: str, ancestor_id: int | None
    ) -> tuple[int | None, tuple[str, str] | None]:
        """(id, None) for a code or a name under the ancestor; (None, (zh, en)) when not found."""
        if level == "grid":  # under its community (ancestor_id)
            self._load_parts(ancestor_id)
        return self._anywhere(self._region, level, cell, ancestor_id)

    def _region(
        self, level: str, cell: str, ancestor_id: int | None
    ) -> tuple[int | None, tuple[str, str] | None]:
        zh = _REGION_COLUMNS[level][0]
        found = self.by_code.get(cell)
        if found is not None:
            if found[1] != level:
                return None, (f"代码 {cell} 不是{zh}。", f"Code {cell} is not a {level}.")
            if ancestor_id is not None and not self._under(found[0], ancestor_id):
                return None, (
                    f"{zh}“{cell}”不属于所填的上级地区。",
                    f"{level} “{cell}” is not in the region given before it.",
                )
            return found[0], None
        key = cell.lower() if cell.isascii() else cell
        if ancestor_id is None:
            candidates = self.by_name.get((level, key), [])
        else:
            candidates = self.by_parent_name.get((ancestor_id, key), [])
            if not candidates:
                candidates = [
                    rid
                    for rid in self.by_name.get((level, key), [])
                    if self._under(rid, ancestor_id)
                ]
        if len(candidates) == 1:
            return candidates[0], None
        if not candidates:
            where_zh = "所填上级地区中" if ancestor_id is not None else ""
            return None, (f"{where_zh}找不到{zh}“{cell}”。", f"No {level} named “{cell}” found.")
        return None, (
            f"有多个{zh}叫“{cell}”，请同时填写上级地区或使用代码。",
            f"Several {level}s are named “{cell}”; add the parent region or use the code.",
        )


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\ufeff", "").strip()
        return value or None
    return value


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_sheet(
    session: Session,
    table: Sheet | Sequence[Sequence[Any]],
    today: date | None = None,
    actor: int | None = None,
) -> ImportCheck:
    """Check every row of a sheet (header first), and that the actor (None: an operator) may
    record in each row's community; nothing is written."""
    result = ImportCheck()
    if isinstance(table, Sheet):
        if table.wide:
            result.notes.append(
                Message(
                    f"只读取了前 {READ_COLUMNS} 列，右侧其余列的内容已忽略。",
                    f"Only the first {READ_COLUMNS} columns were read; those right of them "
                    "were ignored.",
                )
            )
        if table.stopped_at is not None:
            result.notes.append(
                Message(
                    f"从第 {table.stopped_at:,} 行起连续 {EMPTY_RUN:,} 行是空的，表格读到这里为止；"
                    "如果下面还有数据，请删除空行后重新上传。",
                    f"{EMPTY_RUN:,} blank rows follow row {table.stopped_at - 1:,}, so reading "
                    "stopped there; if data follow them, delete the blank rows and upload again.",
                )
            )
        table = table.rows
    header_index = next(
        (i for i, row in enumerate(table[:10]) if any(_cell(v) is not None for v in row)), None
    )
    if header_index is None:
        result.errors.append(RowError(1, "", Message("表格是空的。", "The sheet is empty.")))
        return result
    header = table[header_index]
    mapping: dict[int, str] = {}
    for i, name in enumerate(header):
        key = _HEADER_ALIASES.get(_norm_header(name))
        if key is not None and key not in mapping.values():
            mapping[i] = key
        elif _cell(name) is not None:
            result.ignored_columns.append(str(name).strip())
    missing = [c for c in ("type_key", "occurred_on", "title") if c not in mapping.values()]
    if "community" not in mapping.values():
        missing.append("community")
    if missing:
        zh = "、".join(column_header(c) for c in missing)
        en = ", ".join(column_header(c, "en") for c in missing)
        result.errors.append(
            RowError(header_index + 1, zh, Message(f"缺少列：{zh}。", f"Missing columns: {en}."))
        )
        return result
    names = _Names(session)
    regions = RegionFacts(session).preload()  # the communities; a grid or compound when named
    out_of_scope: dict[int, Message | None] = {}
    headers = {key: str(header[i]).strip() for i, key in mapping.items()}
    for offset, raw_row in enumerate(table[header_index + 1 :]):
        row_number = header_index + 2 + offset
        cells = {key: _cell(raw_row[i]) if i < len(raw_row) else None for i, key in mapping.items()}
        if all(v is None for v in cells.values()):
            continue
        result.data_rows += 1
        if result.data_rows > MAX_ROWS:
            raise too_many_rows()
        errors: list[RowError] = []

        def add(column: str, zh: str, en: str, row_number: int = row_number, errors=errors) -> None:
            label = headers.get(column) or column_header(column)
            errors.append(RowError(row_number, label, Message(zh, en)))

        data: dict[str, Any] = {}
        type_cell = cells.get("type_key")
        if type_cell is not None:
            data["type_key"] = names.types.get(_text(type_cell)) or names.types.get(
                _text(type_cell).lower(), _text(type_cell)
            )
        parent: int | None = None
        community_id: int | None = None
        for level in DATA_LEVELS[1:]:
            value = cells.get(level)
            if value is None:
                continue
            rid, problem = names.region(level, _text(value), parent)
            if problem:
                add(level, *problem)
                parent = None
                break
            parent = rid
            if level == "community":
                community_id = rid
        data["community_id"] = community_id
        if cells.get("community") is None:
            add("community", "请填写社区（名称或代码）。", "Enter the community (name or code).")
        for level, key in (("grid", "grid_id"), ("compound", "compound_id")):
            value = cells.get(level)
            if value is None:
                continue
            if community_id is None:
                continue
            text_value = _text(value)
            if level == "grid":
                rid, problem = names.region("grid", text_value, community_id)
            else:
                rid, problem = names.compound(text_value, community_id)
            if problem:
                add(level, *problem)
            else:
                data[key] = rid
        for key in ("occurred_on", "title", "description", "location", *(m.key for m in MEASURES)):
            data[key] = cells.get(key)
        clean, field_errors = validate_activity(data, regions, today)
        column_of = {
            "type_key": "type_key",
            "community_id": "community",
            "grid_id": "grid",
            "compound_id": "compound",
        }
        reported = {e.column for e in errors}
        for fe in field_errors:
            column = column_of.get(fe.field, fe.field)
            if headers.get(column, column) in reported:
                continue
            add(column, fe.message.zh, fe.message.en)
        if clean is not None and not errors and actor is not None:
            community = clean["community_id"]
            if community not in out_of_scope:
                try:
                    check_scope(session, actor, community)
                    out_of_scope[community] = None
                except PermissionDenied as exc:
                    out_of_scope[community] = exc.message
            if out_of_scope[community] is not None:
                add("community", out_of_scope[community].zh, out_of_scope[community].en)
        if errors:
            result.errors.extend(errors)
        elif clean is not None:
            result.rows.append(clean)
            result.row_numbers.append(row_number)
    if result.data_rows == 0:
        result.errors.append(
            RowError(
                header_index + 1, "", Message("表格没有数据行。", "The sheet has no data rows.")
            )
        )
    _check_duplicates(session, result)
    return result


def _check_duplicates(session: Session, result: ImportCheck) -> None:
    """Rows repeating one another or a stored record (community, type, date, title)."""
    seen: dict[tuple, int] = {}
    keys = []
    for clean, number in zip(result.rows, result.row_numbers, strict=True):
        key = (clean["community_id"], clean["type_key"], clean["occurred_on"], clean["title"])
        keys.append(key)
        if key in seen:
            result.errors.append(
                RowError(
                    number,
                    column_header("title"),
                    Message(
                        f"与第 {seen[key]} 行重复（同社区、类型、日期、标题）。",
                        f"Repeats row {seen[key]} (same community, type, date and title).",
                    ),
                )
            )
        else:
            seen[key] = number
    if not keys:
        return
    # The stored records on the rows' days in their communities, each (community, day) an
    # index range (ix_activities_community_live), then compared whole here: a row-value IN list
    # of the four columns is no index range to SQLite, which read every record for it.
    stored: set[tuple] = set()
    days = sorted({(key[0], key[2]) for key in seen})
    for start in range(0, len(days), 200):
        chunk = days[start : start + 200]
        stored.update(
            tuple(r)
            for r in session.execute(
                select(
                    Activity.community_id, Activity.type_key, Activity.occurred_on, Activity.title
                ).where(
                    or_(
                        *(
                            and_(Activity.community_id == c, Activity.occurred_on == d)
                            for c, d in chunk
                        )
                    ),
                    Activity.deleted_at.is_(None),
                )
            )  # fmt: skip
        )
    for key, number in zip(keys, result.row_numbers, strict=True):
        if key in stored:
            result.errors.append(
                RowError(
                    number,
                    column_header("title"),
                    Message(
                        "已有相同的记录（同社区、类型、日期、标题）。",
                        "A record with the same community, type, date and title exists.",
                    ),
                )
            )


@prepared_write
def import_activities(
    session: Session,
    check: ImportCheck,
    batch_token: str,
    actor: int | None = None,
    filename: str = "",
) -> int | Writes:
    """Save every checked row in the caller's transaction, once per batch_token; return how
    many rows this call saved (0 when the batch was saved before). Refuses a sheet with errors.
    Prepared (db.prepared_write): scope, rows, rollup changes worked out before the writes."""
    if not check.ok:
        raise ValueError("the sheet has errors; nothing may be imported")
    done = session.scalar(
        select(AuditLog.id).where(AuditLog.entity == "import", AuditLog.entity_id == batch_token)
    )
    if done is not None:
        return 0
    for community_id in {r["community_id"] for r in check.rows}:
        check_scope(session, actor, community_id)
    now = local_now()
    tokens = [f"{batch_token}:{n}" for n in check.row_numbers]
    rows = [
        clean
        | {
            "status": "done",
            "source": "import",
            "client_token": token,
            "created_by": actor,
            "created_at": now,
            "version": 1,
        }
        for clean, token in zip(check.rows, tokens, strict=True)
    ]
    deltas: dict[RollupKey, dict[str, Any]] = {}
    for clean in check.rows:
        add_delta(deltas, clean, +1)
    changes = rollup_changes(session, deltas.values())
    # The rows' tokens are unique: the same batch saved meanwhile (a second click) inserts none.
    insert_rows = (
        _insert_rows(session.get_bind().dialect.name)
        .on_conflict_do_nothing(index_elements=[Activity.client_token])
        .returning(Activity.id, Activity.client_token)
    )

    def writes(session: Session) -> int:
        by_token: dict[str, int] = {}
        for start in range(0, len(rows), 5_000):
            found = session.execute(insert_rows, rows[start : start + 5_000])
            by_token.update((token, i) for i, token in found)
        if len(by_token) != len(rows):
            if by_token:  # part of the batch stored already: cannot be, batches are atomic
                raise ValueError("part of this batch was saved before; nothing imported")
            return 0
        write_rollup_changes(session, changes)
        ids = by_token.values()
        batch = {"file": filename, "rows": len(rows), "first_id": min(ids), "last_id": max(ids)}
        entries = [AuditEntry("import", batch_token, None, batch)] + [
            AuditEntry(
                "activity",
                by_token[tok],
                None,
                _plain(clean | {"id": by_token[tok], "source": "import"}),
            )
            for clean, tok in zip(check.rows, tokens, strict=True)
        ]
        add_audit_rows(session, actor, "import", entries)
        return len(rows)

    return Writes(writes)


def _insert_rows(dialect: str):
    return dialect_insert(dialect)(Activity)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def template_header(lang: str = "zh") -> list[str]:
    """The template's column headers."""
    return [column_header(c, lang) for c in COLUMNS]


def template_csv() -> bytes:
    """The CSV template (UTF-8 with BOM, so that Excel shows the Chinese headers)."""
    header = template_header()
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(session: Session) -> bytes:
    """The Excel template: the sheet to fill, instructions, activity types and region codes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "活动"
    header = template_header()
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, _c in enumerate(header):
        sheet.column_dimensions[chr(ord("A") + i)].width = 14
    notes = book.create_sheet("说明")
    notes.column_dimensions["A"].width = 110
    for line in (
        "填写说明 / Instructions",
        "1. 在“活动”表中每行填写一条活动；第一行是列名，请勿修改。可留空行，多余的列会被忽略。",
        "2. 活动类型：填写“活动类型”表中的名称或代码（如“人民调解”或 mediation）。",
        "3. 地区：社区必填，可填名称或代码（见“地区代码”表）；"
        "社区名称有重名时，请同时填写区县和街道，或直接使用社区代码。网格填“第1网格”等名称或网格代码，小区填名称或代码，均可留空。",
        "4. 日期：2020年1月1日至今天，写成 2025-03-01、2025/3/1 或 Excel 日期。",
        "5. 标题必填（最多100字）；描述最多2000字；地点最多200字。",
        "6. 只填写该活动类型记录的指标（见“活动类型”表），没有就填 0；不能为负数。",
        "7. 每行都会先检查；有任何错误时一行也不导入，改正后重新上传即可。",
        f"8. 每个文件不超过 {MAX_ROWS:,} 行、{MAX_UPLOAD_BYTES // 1024 // 1024} MB；"
        "CSV 可用 UTF-8、GBK 或 UTF-16 编码，也可上传 Excel 另存的“Unicode 文本（.txt）”。",
        "",
        "Fill one activity per row of the sheet “活动”. The community is required (name or code); "
        "types by name or key; dates from 2020 to today; only the measures the type records.",
    ):
        notes.append([line])
    types = book.create_sheet("活动类型")
    types.append(["代码 key", "活动类型", "Activity type", "方面 pillar", "记录的指标 measures"])
    pillar_names = {p.key: p.name_zh for p in PILLARS}
    measure_names = {m.key: f"{m.name_zh}（{m.unit_zh}）" for m in MEASURES}
    for t in ACTIVITY_TYPES:
        types.append(
            [
                t.key,
                t.name_zh,
                t.name_en,
                pillar_names[t.pillar],
                "、".join(measure_names[m] for m in t.measures),
            ]
        )
    codes = book.create_sheet("地区代码")
    codes.append(["区县代码", "区县", "街道代码", "街道", "社区代码", "社区"])
    district = Region.__table__.alias("d")
    street = Region.__table__.alias("s")
    rows = session.execute(
        select(
            district.c.code,
            district.c.name_zh,
            street.c.code,
            street.c.name_zh,
            Region.code,
            Region.name_zh,
        )
        .join(street, street.c.id == Region.street_id)
        .join(district, district.c.id == Region.district_id)
        .where(Region.level == "community")
        .order_by(Region.code)
    )
    for row in rows:
        codes.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
