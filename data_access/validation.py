"""Checking one activity's fields (a form or an import row): the cleaned values, or a
FieldError per field said in Chinese and English."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from data_access import clock
from data_access.messages import Message
from data_access.region_facts import RegionFacts
from data_access.registry import ACTIVITY_TYPES_BY_KEY, MEASURE_KEYS, MEASURES_BY_KEY
from data_access.text import check_text

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
    """A problem with one field (`field`), and what it is (`message`)."""

    field: str
    message: Message


def field_error(name: str, zh: str, en: str) -> FieldError:
    """A field's problem, in Chinese and English."""
    return FieldError(name, Message(zh, en))


def field_label(name: str) -> tuple[str, str]:
    """A field's name in Chinese and English (for messages and table headers)."""
    if name in MEASURES_BY_KEY:
        m = MEASURES_BY_KEY[name]
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


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_id(value: Any) -> int | None:
    """An integer id from an int, an integral float or a string of ASCII digits; None otherwise
    (str.isdigit() also accepts "²", which int() refuses)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
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
        errors.append(field_error(name, f"没有这个{zh}。", f"There is no such {en}."))
    elif community_id is not None and owner != community_id:
        errors.append(
            field_error(
                name, f"该{zh}不属于所选社区。", f"This {en} is not in the chosen community."
            )
        )
    else:
        return place_id
    return None


def validate_activity(
    data: Mapping[str, Any], regions: RegionFacts, today: date | None = None
) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """Check one activity's fields (form or import row): the cleaned values, or field errors."""
    errors: list[FieldError] = []
    clean: dict[str, Any] = {}
    today = today or clock.today()

    type_key = data.get("type_key")
    activity_type = ACTIVITY_TYPES_BY_KEY.get(type_key) if isinstance(type_key, str) else None
    if _blank(type_key):
        errors.append(field_error("type_key", "请选择活动类型。", "Choose an activity type."))
    elif activity_type is None:
        errors.append(
            field_error("type_key", "没有这种活动类型。", "There is no such activity type.")
        )
    else:
        clean["type_key"] = activity_type.key

    community_id = _as_id(data.get("community_id"))
    community = regions.community(community_id) if community_id is not None else None
    if _blank(data.get("community_id")):
        errors.append(field_error("community_id", "请选择社区。", "Choose a community."))
    elif community is None:
        errors.append(field_error("community_id", "没有这个社区。", "There is no such community."))
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
        errors.append(field_error("compound_id", *wrong_grid))
        compound_id = None
    clean["compound_id"] = compound_id

    raw_date = data.get("occurred_on")
    occurred_on = parse_date(raw_date)
    if _blank(raw_date):
        errors.append(field_error("occurred_on", "请填写日期。", "Enter the date."))
    elif occurred_on is None:
        errors.append(
            field_error(
                "occurred_on",
                "日期格式不对，请写成 2025-03-01。",
                "The date is not valid; write it as 2025-03-01.",
            )
        )
    elif occurred_on > today:
        errors.append(
            field_error("occurred_on", "日期不能晚于今天。", "The date cannot be in the future.")
        )
    elif occurred_on < EARLIEST_DATE:
        errors.append(
            field_error("occurred_on", "日期不能早于2020年。", "The date cannot be before 2020.")
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
            errors.append(field_error(name, "内容无法识别。", "This value cannot be read."))
            continue
        multiline = name == "description"
        if multiline and value is not None:
            value = value.replace("\r\n", "\n")  # a spreadsheet's line breaks
        problem = check_text(value, multiline) if value is not None else None
        if name == "title" and value is None:
            errors.append(field_error("title", "请填写标题。", "Enter a title."))
        elif value is not None and len(value) > limits[name]:
            errors.append(
                field_error(
                    name,
                    f"最多 {limits[name]} 个字（现在 {len(value)} 个）。",
                    f"At most {limits[name]} characters (now {len(value)}).",
                )
            )
        elif problem is not None:
            errors.append(field_error(name, *problem))
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
                    field_error(
                        key,
                        f"“{activity_type.name_zh}”不记录{zh_name}。",
                        f"“{activity_type.name_en}” does not record {en_name.lower()}.",
                    )
                )
            continue
        measure = MEASURES_BY_KEY[key]
        number = _as_number(raw)
        unit_zh, unit_en = measure.unit_zh, measure.unit_en
        if _blank(raw):
            errors.append(field_error(key, "请填写（没有就填 0）。", "Enter a number (0 if none)."))
        elif number is None or not math.isfinite(number):
            errors.append(field_error(key, "请填写数字。", "Enter a number."))
        elif number < 0:
            errors.append(field_error(key, "不能是负数。", "Cannot be negative."))
        elif measure.integer and not number.is_integer():
            errors.append(field_error(key, "请填写整数。", "Enter a whole number."))
        elif number > (bound := measure_bound(activity_type.key, key)):
            errors.append(
                field_error(
                    key,
                    f"一条记录最多 {bound:,.0f}{unit_zh}，请核对。",
                    f"At most {bound:,.0f} {unit_en} in one record; please check.",
                )
            )
        elif abs(number * 100 - round(number * 100)) > 1e-6:
            # Stored to 0.01: refused rather than rounded, so that what is saved is what was typed.
            errors.append(field_error(key, "最多两位小数。", "At most two decimal places."))
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
                field_error(
                    smaller,
                    f"{s_zh}不能多于{l_zh}。",
                    f"{s_en} cannot exceed {l_en.lower()}.",
                )
            )
    return (None, errors) if errors else (clean, [])
