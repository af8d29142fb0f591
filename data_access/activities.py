"""Recording activities: validation, exactly-once saves, edits with optimistic locking, soft
deletion, the audit trail, and the monthly rollups kept exact in the same transaction."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.auth import check_scope, require_admin, viewer_clause
from data_access.db import run_read as run_read  # pages import them from here
from data_access.db import run_write as run_write
from data_access.indicators import TOTAL_COLUMNS
from data_access.models import (
    Activity,
    AreaRollup,
    AuditLog,
    Compound,
    CompoundGrid,
    Region,
    Rollup,
    Totals,
)
from data_access.registry import ACTIVITY_TYPES, LEVELS, MEASURE_KEYS, MEASURES
from data_access.text import check_text

TYPES = {t.key: t for t in ACTIVITY_TYPES}
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
EARLIEST_DATE = date(2020, 1, 1)
TITLE_MAX = 100
DESCRIPTION_MAX = 2000
LOCATION_MAX = 200
TEXT_FIELDS = ("title", "description", "location")
FIELDS = (
    "type_key",
    "community_id",
    "grid_id",
    "compound_id",
    "occurred_on",
    "title",
    "description",
    "location",
    *MEASURE_KEYS,
)

# The largest value one record may carry. A record can sum up a day's work (a canteen's meals, a
# dedication day's volunteer hours), so the bounds are generous; they stop typos like an extra 0s.
MEASURE_BOUNDS: dict[str, float] = {
    "participants": 5_000,
    "beneficiaries": 20_000,
    "hours": 5_000,
    "sessions": 500,
    "cases_received": 1_000,
    "cases_resolved": 1_000,
    "cases_satisfied": 1_000,
}
TYPE_BOUNDS: dict[str, dict[str, float]] = {
    "joint_meeting": {"participants": 200},
    "worker_training": {"participants": 1_000, "hours": 2_000},
    "household_visit": {"participants": 50, "beneficiaries": 2_000},
    "mediation": {"participants": 100, "cases_resolved": 200},
    "hotline_case": {"cases_received": 500, "cases_resolved": 500, "cases_satisfied": 500},
    "leader_hotline_day": {"participants": 100, "cases_resolved": 500},
    "employment_assistance": {"beneficiaries": 1_000},
    "home_elderly_care": {"beneficiaries": 2_000, "hours": 3_000},
    "party_member_service": {"participants": 500, "cases_resolved": 500},
    "commando_action": {"participants": 500, "cases_resolved": 500},
    "ease_worries": {"participants": 500, "cases_resolved": 500},
    "safety_patrol": {"participants": 200, "cases_resolved": 300},
}
# Measures whose value may not exceed another's in the same record.
NOT_MORE_THAN = (("cases_resolved", "cases_received"), ("cases_satisfied", "cases_resolved"))


def measure_bound(type_key: str, measure: str) -> float:
    """The largest value of a measure that one record of the type may carry."""
    return TYPE_BOUNDS.get(type_key, {}).get(measure, MEASURE_BOUNDS[measure])


@dataclass(frozen=True)
class FieldError:
    """A problem with one field, said in Chinese and in English."""

    field: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        """The message in the language ('zh' or 'en')."""
        return self.message_zh if lang == "zh" else self.message_en


def _err(name: str, zh: str, en: str) -> FieldError:
    return FieldError(name, zh, en)


def field_label(name: str) -> tuple[str, str]:
    """A field's name in Chinese and English (for messages and table headers)."""
    if name in MEASURE_BY_KEY:
        m = MEASURE_BY_KEY[name]
        return m.name_zh, m.name_en
    return {
        "type_key": ("活动类型", "Activity type"),
        "district_id": ("区县", "District"),
        "street_id": ("街道", "Street"),
        "community_id": ("社区", "Community"),
        "grid_id": ("网格", "Grid"),
        "compound_id": ("小区", "Compound"),
        "occurred_on": ("日期", "Date"),
        "title": ("标题", "Title"),
        "description": ("描述", "Description"),
        "location": ("地点", "Location"),
    }.get(name, (name, name))


class RegionIndex:
    """Region facts validation needs, read from the session on demand (or all at once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._communities: dict[int, tuple[int, int] | None] = {}
        self._grids: dict[int, int | None] = {}
        self._compounds: dict[int, int | None] = {}
        self._compound_grids: dict[int, set[int]] = {}
        self._loaded = False

    def preload(self) -> RegionIndex:
        """Read every community, grid and compound at once (for imports of many rows)."""
        rows = self.session.execute(
            select(Region.id, Region.level, Region.street_id, Region.district_id, Region.parent_id)
        )
        for rid, level, street_id, district_id, parent_id in rows:
            if level == "community":
                self._communities[rid] = (street_id, district_id)
            elif level == "grid":
                self._grids[rid] = parent_id
        for cid, community_id in self.session.execute(select(Compound.id, Compound.community_id)):
            self._compounds[cid] = community_id
        for cid, gid in self.session.execute(
            select(CompoundGrid.compound_id, CompoundGrid.grid_id)
        ):
            self._compound_grids.setdefault(cid, set()).add(gid)
        self._loaded = True
        return self

    def community(self, region_id: int) -> tuple[int, int] | None:
        """(street_id, district_id) of a community, or None if the id is not a community."""
        if region_id not in self._communities and not self._loaded:
            row = self.session.execute(
                select(Region.street_id, Region.district_id).where(
                    Region.id == region_id, Region.level == "community"
                )
            ).first()
            self._communities[region_id] = (row[0], row[1]) if row else None
        return self._communities.get(region_id)

    def grid_community(self, grid_id: int) -> int | None:
        """The community a grid belongs to, or None if the id is not a grid."""
        if grid_id not in self._grids and not self._loaded:
            self._grids[grid_id] = self.session.scalar(
                select(Region.parent_id).where(Region.id == grid_id, Region.level == "grid")
            )
        return self._grids.get(grid_id)

    def compound_community(self, compound_id: int) -> int | None:
        """The community a compound belongs to, or None if there is no such compound."""
        if compound_id not in self._compounds and not self._loaded:
            self._compounds[compound_id] = self.session.scalar(
                select(Compound.community_id).where(Compound.id == compound_id)
            )
        return self._compounds.get(compound_id)

    def compound_grids(self, compound_id: int) -> set[int]:
        """The grids a compound is divided into."""
        if compound_id not in self._compound_grids and not self._loaded:
            self._compound_grids[compound_id] = set(
                self.session.scalars(
                    select(CompoundGrid.grid_id).where(CompoundGrid.compound_id == compound_id)
                )
            )
        return self._compound_grids.get(compound_id, set())


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_id(value: Any) -> int | None:
    """An integer id from an int, an integral float or a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date | None:
    """A date from a date, a datetime, an Excel serial day number or common written forms."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        # Excel stores dates as days since 1899-12-30; a CSV saved by Excel may keep them so.
        if 20_000 <= value <= 80_000:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        return None
    if isinstance(value, str):
        text = value.strip()
        if " " in text:
            text = text.split(" ", 1)[0]
        if "T" in text:
            text = text.split("T", 1)[0]
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                try:
                    return date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    return None
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return parse_date(float(text))
    return None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an int past float's range (a sheet's cell of 400 digits)
            return math.inf
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        try:
            return float(text)
        except ValueError:
            return None
    return None


_PLACE_NAMES = {"grid_id": ("网格", "grid"), "compound_id": ("小区", "compound")}


def _place(
    data: Mapping[str, Any],
    name: str,
    owner_of: Callable[[int], int | None],
    community_id: int | None,
    errors: list[FieldError],
) -> int | None:
    """The grid or compound id in field `name` (optional) if it exists and lies in the chosen
    community (not checked when no valid community was chosen); else None, with an error."""
    if _blank(data.get(name)):
        return None
    zh, en = _PLACE_NAMES[name]
    place_id = _as_id(data.get(name))
    owner = owner_of(place_id) if place_id is not None else None
    if owner is None:
        errors.append(_err(name, f"没有这个{zh}。", f"There is no such {en}."))
    elif community_id is not None and owner != community_id:
        errors.append(
            _err(name, f"该{zh}不属于所选社区。", f"This {en} is not in the chosen community.")
        )
    else:
        return place_id
    return None


def validate_activity(
    data: Mapping[str, Any], regions: RegionIndex, today: date | None = None
) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """Check one activity's fields (form or import row): the cleaned values, or field errors."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    today = today or date.today()

    type_key = data.get("type_key")
    activity_type = TYPES.get(type_key) if isinstance(type_key, str) else None
    if _blank(type_key):
        errors.append(_err("type_key", "请选择活动类型。", "Choose an activity type."))
    elif activity_type is None:
        errors.append(_err("type_key", "没有这种活动类型。", "There is no such activity type."))
    else:
        clean["type_key"] = activity_type.key

    community_id = _as_id(data.get("community_id"))
    community = regions.community(community_id) if community_id is not None else None
    if _blank(data.get("community_id")):
        errors.append(_err("community_id", "请选择社区。", "Choose a community."))
    elif community is None:
        errors.append(_err("community_id", "没有这个社区。", "There is no such community."))
    else:
        clean["community_id"] = community_id
        clean["street_id"], clean["district_id"] = community

    in_community = community_id if community is not None else None
    clean["grid_id"] = _place(data, "grid_id", regions.grid_community, in_community, errors)
    compound_id = _place(data, "compound_id", regions.compound_community, in_community, errors)
    if (
        compound_id is not None
        and clean["grid_id"] is not None
        and clean["grid_id"] not in regions.compound_grids(compound_id)
    ):
        wrong_grid = ("该小区不在所选网格内。", "This compound is not in the chosen grid.")
        errors.append(_err("compound_id", *wrong_grid))
        compound_id = None
    clean["compound_id"] = compound_id

    raw_date = data.get("occurred_on")
    occurred_on = parse_date(raw_date)
    if _blank(raw_date):
        errors.append(_err("occurred_on", "请填写日期。", "Enter the date."))
    elif occurred_on is None:
        errors.append(
            _err(
                "occurred_on",
                "日期格式不对，请写成 2025-03-01。",
                "The date is not valid; write it as 2025-03-01.",
            )
        )
    elif occurred_on > today:
        errors.append(
            _err("occurred_on", "日期不能晚于今天。", "The date cannot be in the future.")
        )
    elif occurred_on < EARLIEST_DATE:
        errors.append(
            _err("occurred_on", "日期不能早于2020年。", "The date cannot be before 2020.")
        )
    else:
        clean["occurred_on"] = occurred_on

    limits = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "location": LOCATION_MAX}
    for name in TEXT_FIELDS:
        raw = data.get(name)
        if _blank(raw):
            value = None
        elif isinstance(raw, str | int | float) and not isinstance(raw, bool):
            value = str(raw).strip()
        else:
            value = None
            errors.append(_err(name, "内容无法识别。", "This value cannot be read."))
            continue
        multiline = name == "description"
        if multiline and value is not None:
            value = value.replace("\r\n", "\n")  # a spreadsheet's line breaks
        problem = check_text(value, multiline) if value is not None else None
        if name == "title" and value is None:
            errors.append(_err("title", "请填写标题。", "Enter a title."))
        elif value is not None and len(value) > limits[name]:
            errors.append(
                _err(
                    name,
                    f"最多 {limits[name]} 个字（现在 {len(value)} 个）。",
                    f"At most {limits[name]} characters (now {len(value)}).",
                )
            )
        elif problem is not None:
            errors.append(_err(name, *problem))
        else:
            clean[name] = value

    recorded = activity_type.measures if activity_type else ()
    for key in MEASURE_KEYS:
        raw = data.get(key)
        if key not in recorded:
            clean[key] = None
            if activity_type is not None and not _blank(raw) and _as_number(raw) not in (0, None):
                zh_name, en_name = field_label(key)
                errors.append(
                    _err(
                        key,
                        f"“{activity_type.name_zh}”不记录{zh_name}。",
                        f"“{activity_type.name_en}” does not record {en_name.lower()}.",
                    )
                )
            continue
        measure = MEASURE_BY_KEY[key]
        number = _as_number(raw)
        unit_zh, unit_en = measure.unit_zh, measure.unit_en
        if _blank(raw):
            errors.append(_err(key, "请填写（没有就填 0）。", "Enter a number (0 if none)."))
        elif number is None or not math.isfinite(number):
            errors.append(_err(key, "请填写数字。", "Enter a number."))
        elif number < 0:
            errors.append(_err(key, "不能是负数。", "Cannot be negative."))
        elif measure.integer and not number.is_integer():
            errors.append(_err(key, "请填写整数。", "Enter a whole number."))
        elif number > (bound := measure_bound(activity_type.key, key)):
            errors.append(
                _err(
                    key,
                    f"一条记录最多 {bound:,.0f}{unit_zh}，请核对。",
                    f"At most {bound:,.0f} {unit_en} in one record; please check.",
                )
            )
        elif abs(number * 100 - round(number * 100)) > 1e-6:
            # Stored to 0.01: refused rather than rounded, so that what is saved is what was typed.
            errors.append(_err(key, "最多两位小数。", "At most two decimal places."))
        else:
            clean[key] = int(number) if measure.integer else round(number, 2)
    for smaller, larger in NOT_MORE_THAN:
        if (
            clean.get(smaller) is not None
            and clean.get(larger) is not None
            and clean[smaller] > clean[larger]
        ):
            s_zh, s_en = field_label(smaller)
            l_zh, l_en = field_label(larger)
            errors.append(
                _err(
                    smaller,
                    f"{s_zh}不能多于{l_zh}。",
                    f"{s_en} cannot exceed {l_en.lower()}.",
                )
            )
    return (None, errors) if errors else (clean, [])


@dataclass
class SaveResult:
    """What a write did: status is saved, already_saved, duplicate, invalid, conflict, not_found."""

    status: str
    activity_id: int | None = None
    errors: list[FieldError] = field(default_factory=list)
    # duplicate: the existing record; conflict: the record as the other person saved it.
    other: dict[str, Any] | None = None
    version: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the record is now in the store as asked."""
        return self.status in ("saved", "already_saved")


def _check_scope(session: Session, actor: int | None, community_id: int) -> None:
    # Raises PermissionDenied when the actor may not write in that community (actor None: an
    # operator's command line, trusted).
    check_scope(session, actor, community_id)


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _snapshot(row: Activity) -> dict[str, Any]:
    names = (
        "id",
        *FIELDS,
        "street_id",
        "district_id",
        "status",
        "source",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "version",
        "deleted_at",
    )
    return {name: _json_value(getattr(row, name)) for name in names}


def _audit(
    session: Session,
    actor: int | None,
    action: str,
    entity_id: Any,
    before: Mapping | None,
    after: Mapping | None,
    entity: str = "activity",
) -> None:
    session.add(
        AuditLog(
            at=_now(),
            account_id=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before_json=None if before is None else json.dumps(before, ensure_ascii=False),
            after_json=None if after is None else json.dumps(after, ensure_ascii=False),
        )
    )


def _month(day: date) -> int:
    return day.year * 100 + day.month


RollupKey = tuple[int, int, str]


def _add_delta(
    deltas: dict[RollupKey, dict[str, Any]], values: Mapping[str, Any], sign: int
) -> None:
    key = (values["community_id"], _month(values["occurred_on"]), values["type_key"])
    entry = deltas.setdefault(
        key,
        {
            "community_id": key[0],
            "month": key[1],
            "type_key": key[2],
            "street_id": values["street_id"],
            "district_id": values["district_id"],
            "n": 0,
            **{m: 0 for m in MEASURE_KEYS},
        },
    )
    entry["n"] += sign
    for m in MEASURE_KEYS:
        entry[m] += sign * (values.get(m) or 0)


@cache
def _totals_upsert(dialect: str, model: type[Totals]):
    """INSERT … ON CONFLICT (primary key) DO UPDATE adding to each total: atomic per row."""
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert_fn(model)
    return stmt.on_conflict_do_update(
        index_elements=list(model.__table__.primary_key.columns),
        set_={name: getattr(model, name) + getattr(stmt.excluded, name) for name in TOTAL_COLUMNS},
    )


def _add_totals(session: Session, model: type[Totals], rows: list[dict[str, Any]]) -> None:
    """Add signed totals to a summary table (Rollup, AreaRollup), keyed by its primary key; a row
    left with no activity goes, as a recount would give."""
    session.execute(_totals_upsert(session.get_bind().dialect.name, model), rows)
    keys = list(model.__table__.primary_key.columns)
    for row in (r for r in rows if r["n"] < 0):
        session.execute(delete(model).where(*(key == row[key.name] for key in keys), model.n <= 0))


def _area_rows(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # The same change, summed into the street's, the district's and the city's area rollups.
    city_id = session.scalar(select(Region.id).where(Region.level == "city"))
    sums: dict[tuple[int, int, str], dict[str, Any]] = {}
    for row in rows:
        for region_id, level, parent_id in (
            (row["street_id"], "street", row["district_id"]),
            (row["district_id"], "district", city_id),
            (city_id, "city", None),
        ):
            key = (region_id, row["month"], row["type_key"])
            entry = sums.setdefault(
                key,
                {"region_id": region_id, "month": row["month"], "type_key": row["type_key"],
                 "level": level, "parent_id": parent_id, "n": 0, **dict.fromkeys(MEASURE_KEYS, 0)},
            )  # fmt: skip
            for name in TOTAL_COLUMNS:
                entry[name] += row[name]
    return list(sums.values())


@cache
def _insert_once(dialect: str):
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert_fn(Activity)
        .on_conflict_do_nothing(index_elements=[Activity.client_token])
        .returning(Activity.id)
    )


def apply_rollup_deltas(session: Session, deltas: Iterable[Mapping[str, Any]]) -> None:
    """Add signed per-(community, month, type) changes to the rollups and to the area rollups of
    their street, district and city, in the session's transaction, atomically per row on both
    SQLite and PostgreSQL (an upsert, no read first)."""
    rows = [dict(d) for d in deltas if d["n"] or any(d[m] for m in MEASURE_KEYS)]
    if not rows:
        return
    _add_totals(session, Rollup, rows)
    _add_totals(session, AreaRollup, _area_rows(session, rows))


def _row_values(row: Activity) -> dict[str, Any]:
    return {
        name: getattr(row, name)
        for name in ("community_id", "street_id", "district_id", "occurred_on", "type_key")
    } | {m: getattr(row, m) for m in MEASURE_KEYS}


def find_duplicate(session: Session, clean: Mapping[str, Any], exclude_id: int | None = None):
    """A live record with the same community, type, date and title, as a dict (or None)."""
    query = select(Activity).where(
        Activity.community_id == clean["community_id"],
        Activity.type_key == clean["type_key"],
        Activity.occurred_on == clean["occurred_on"],
        Activity.title == clean["title"],
        Activity.deleted_at.is_(None),
    )
    if exclude_id is not None:
        query = query.where(Activity.id != exclude_id)
    row = session.scalars(query.limit(1)).first()
    return _snapshot(row) if row else None


def add_activity(
    session: Session,
    data: Mapping[str, Any],
    client_token: str,
    actor: int | None = None,
    confirm_duplicate: bool = False,
    source: str = "form",
    today: date | None = None,
) -> SaveResult:
    """Save one activity exactly once per client_token, with its rollups and an audit row."""
    existing = session.scalar(select(Activity.id).where(Activity.client_token == client_token))
    if existing is not None:
        return SaveResult("already_saved", existing)
    clean, errors = validate_activity(data, RegionIndex(session), today)
    if clean is None:
        return SaveResult("invalid", errors=errors)
    _check_scope(session, actor, clean["community_id"])
    if not confirm_duplicate:
        duplicate = find_duplicate(session, clean)
        if duplicate is not None:
            return SaveResult("duplicate", duplicate["id"], other=duplicate)
    now = _now()
    values = clean | {
        "status": "done",
        "source": source,
        "client_token": client_token,
        "created_by": actor,
        "created_at": now,
        "version": 1,
    }
    # Two submissions with one token racing each other: the second inserts nothing.
    new_id = session.scalar(_insert_once(session.get_bind().dialect.name), values)
    if new_id is None:
        existing = session.scalar(select(Activity.id).where(Activity.client_token == client_token))
        return SaveResult("already_saved", existing)
    deltas: dict[RollupKey, dict[str, Any]] = {}
    _add_delta(deltas, clean, +1)
    apply_rollup_deltas(session, deltas.values())
    row = session.get(Activity, new_id)
    _audit(session, actor, "create", new_id, None, _snapshot(row))
    return SaveResult("saved", new_id, version=1)


def update_activity(
    session: Session,
    activity_id: int,
    data: Mapping[str, Any],
    expected_version: int,
    actor: int | None = None,
    confirm_duplicate: bool = False,
    today: date | None = None,
) -> SaveResult:
    """Save an edit if nobody saved the record since `expected_version` was read; otherwise a
    conflict carrying the other person's version of the record."""
    row = session.get(Activity, activity_id, populate_existing=True)
    if row is None or row.deleted_at is not None:
        return SaveResult("not_found", activity_id)
    # Before anything of the record is returned (a conflict carries it).
    _check_scope(session, actor, row.community_id)
    if row.version != expected_version:
        return SaveResult("conflict", activity_id, other=_snapshot(row), version=row.version)
    clean, errors = validate_activity(data, RegionIndex(session), today)
    if clean is None:
        return SaveResult("invalid", activity_id, errors=errors)
    _check_scope(session, actor, clean["community_id"])
    if not confirm_duplicate:
        duplicate = find_duplicate(session, clean, exclude_id=activity_id)
        if duplicate is not None:
            return SaveResult("duplicate", duplicate["id"], other=duplicate)
    before = _snapshot(row)
    old_values = _row_values(row)
    # The version in the WHERE makes the check and the write one step on PostgreSQL too.
    result = session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.version == expected_version)
        .values(**clean, updated_by=actor, updated_at=_now(), version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(row)
        current = session.get(Activity, activity_id, populate_existing=True)
        return SaveResult(
            "conflict", activity_id, other=_snapshot(current), version=current.version
        )
    deltas: dict[RollupKey, dict[str, Any]] = {}
    _add_delta(deltas, old_values, -1)
    _add_delta(deltas, clean, +1)
    apply_rollup_deltas(session, deltas.values())
    session.expire(row)
    row = session.get(Activity, activity_id, populate_existing=True)
    _audit(session, actor, "update", activity_id, before, _snapshot(row))
    return SaveResult("saved", activity_id, version=row.version)


def _set_deleted(
    session: Session, activity_id: int, expected_version: int | None, actor: int | None, on: bool
) -> SaveResult:
    row = session.get(Activity, activity_id, populate_existing=True)
    if row is None or (row.deleted_at is not None) == on:
        return SaveResult("not_found", activity_id)
    _check_scope(session, actor, row.community_id)  # before a conflict returns the record
    if expected_version is not None and row.version != expected_version:
        return SaveResult("conflict", activity_id, other=_snapshot(row), version=row.version)
    before = _snapshot(row)
    version = row.version
    result = session.execute(
        update(Activity)
        .where(Activity.id == activity_id, Activity.version == version)
        .values(
            deleted_at=_now() if on else None,
            updated_by=actor,
            updated_at=_now(),
            version=version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        current = session.get(Activity, activity_id, populate_existing=True)
        return SaveResult(
            "conflict", activity_id, other=_snapshot(current), version=current.version
        )
    deltas: dict[RollupKey, dict[str, Any]] = {}
    _add_delta(deltas, _row_values(row), -1 if on else +1)
    apply_rollup_deltas(session, deltas.values())
    row = session.get(Activity, activity_id, populate_existing=True)
    _audit(session, actor, "delete" if on else "restore", activity_id, before, _snapshot(row))
    return SaveResult("saved", activity_id, version=row.version)


def delete_activity(
    session: Session,
    activity_id: int,
    expected_version: int | None = None,
    actor: int | None = None,
) -> SaveResult:
    """Soft-delete a record (restorable), with rollups and an audit row."""
    return _set_deleted(session, activity_id, expected_version, actor, on=True)


def restore_activity(
    session: Session,
    activity_id: int,
    expected_version: int | None = None,
    actor: int | None = None,
) -> SaveResult:
    """Bring back a soft-deleted record, with rollups and an audit row (administrators only)."""
    require_admin(session, actor)
    return _set_deleted(session, activity_id, expected_version, actor, on=False)


def get_activity(session: Session, activity_id: int, viewer: int | None) -> dict[str, Any] | None:
    """One record (deleted ones too) as a dict of plain values; None when there is no such
    record or it lies outside the viewer's scope (one answer for both, so ids cannot be probed).
    The viewer is an account id (None: a trusted operator)."""
    row = session.scalars(
        select(Activity).where(Activity.id == activity_id, viewer_clause(session, viewer, Activity))
    ).first()
    return _snapshot(row) if row else None


def list_history(session: Session, activity_id: int, viewer: int | None) -> list[dict[str, Any]]:
    """The record's audit rows, oldest first, with before/after decoded; none when there is no
    such record or it lies outside the viewer's scope (account id; None: a trusted operator)."""
    visible = session.scalar(
        select(Activity.id).where(
            Activity.id == activity_id, viewer_clause(session, viewer, Activity)
        )
    )
    if visible is None:
        return []
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "activity", AuditLog.entity_id == str(activity_id))
        .order_by(AuditLog.id)
    )
    return [
        {
            "at": r.at,
            "account_id": r.account_id,
            "action": r.action,
            "before": json.loads(r.before_json) if r.before_json else None,
            "after": json.loads(r.after_json) if r.after_json else None,
        }
        for r in rows
    ]


def changed_fields(before: Mapping | None, after: Mapping | None) -> list[str]:
    """The record fields whose value differs between two snapshots."""
    if not before or not after:
        return []
    return [name for name in FIELDS if before.get(name) != after.get(name)]


@dataclass(frozen=True)
class ActivityFilter:
    """What the activity log shows: all fields optional."""

    start: date | None = None
    end: date | None = None  # inclusive
    level: str | None = None  # district, street, community or grid
    region_id: int | None = None
    pillar: str | None = None
    type_key: str | None = None
    text: str | None = None
    deleted: bool = False  # True: only deleted records
    viewer: int | None = None  # the account looking: only its scope's records (None: all)


def _filtered(session: Session, query, flt: ActivityFilter):
    live = Activity.deleted_at.is_(None)
    conditions = [~live if flt.deleted else live, viewer_clause(session, flt.viewer, Activity)]
    if flt.start:
        conditions.append(Activity.occurred_on >= flt.start)
    if flt.end:
        conditions.append(Activity.occurred_on <= flt.end)
    if flt.level in LEVELS[1:] and flt.region_id is not None:
        conditions.append(getattr(Activity, f"{flt.level}_id") == flt.region_id)
    if flt.type_key:
        conditions.append(Activity.type_key == flt.type_key)
    elif flt.pillar:
        keys = [t.key for t in ACTIVITY_TYPES if t.pillar == flt.pillar]
        conditions.append(Activity.type_key.in_(keys))
    if flt.text and flt.text.strip():
        # LIKE wildcards typed by the user are matched literally.
        needle = flt.text.strip()[:100].replace("\\", "\\\\").replace("%", "\\%")
        pattern = "%" + needle.replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Activity.title.ilike(pattern, escape="\\"),
                Activity.description.ilike(pattern, escape="\\"),
                Activity.location.ilike(pattern, escape="\\"),
            )
        )
    return query.where(and_(*conditions))


LOG_COLUMNS = (
    "id",
    "occurred_on",
    "type_key",
    "district",
    "street",
    "community",
    "grid",
    "title",
    *MEASURE_KEYS,
    "source",
    "created_at",
    "updated_at",
    "version",
)


def _log_select(lang: str):
    district = Region.__table__.alias("d")
    street = Region.__table__.alias("s")
    community = Region.__table__.alias("c")
    grid = Region.__table__.alias("g")
    name = "name_zh" if lang == "zh" else "name_en"
    return (
        select(
            Activity.id,
            Activity.occurred_on,
            Activity.type_key,
            district.c[name].label("district"),
            street.c[name].label("street"),
            community.c[name].label("community"),
            grid.c[name].label("grid"),
            Activity.title,
            *(getattr(Activity, m) for m in MEASURE_KEYS),
            Activity.source,
            Activity.created_at,
            Activity.updated_at,
            Activity.version,
        )
        .join(district, district.c.id == Activity.district_id)
        .join(street, street.c.id == Activity.street_id)
        .join(community, community.c.id == Activity.community_id)
        .outerjoin(grid, grid.c.id == Activity.grid_id)
    )


def list_activities(
    session: Session, flt: ActivityFilter, page: int = 1, page_size: int = 50, lang: str = "zh"
) -> tuple[list[dict[str, Any]], int]:
    """One page of matching records, newest first, and how many match in all."""
    total = session.scalar(_filtered(session, select(func.count()).select_from(Activity), flt))
    page_size = max(1, min(page_size, 500))
    page = max(1, page)
    rows = session.execute(
        _filtered(session, _log_select(lang), flt)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return [dict(r._mapping) for r in rows], total or 0


def export_activities(
    session: Session, flt: ActivityFilter, limit: int, lang: str = "zh"
) -> list[dict[str, Any]]:
    """Up to `limit` matching records, newest first, for a CSV or Excel export."""
    rows = session.execute(
        _filtered(session, _log_select(lang), flt)
        .order_by(Activity.occurred_on.desc(), Activity.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]
