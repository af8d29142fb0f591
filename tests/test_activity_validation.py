"""Every validation rule of an activity (the one function the form and the import share)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data_access.registry import ACTIVITY_TYPES, MEASURE_KEYS
from data_access.validation import (
    DESCRIPTION_MAX,
    LOCATION_MAX,
    TITLE_MAX,
    measure_bound,
    parse_date,
    validate_activity,
)
from tests.hostile.payloads import BAD_CHARACTERS

TODAY = date(2025, 6, 30)


class FakeRegions:
    """Community 10 (street 2, district 1) with grid 100 holding compound 1000; community 11
    with grid 101 and compound 1001; compound 1002 in community 10 but only in grid 102."""

    def community(self, region_id):
        return {10: (2, 1), 11: (3, 1)}.get(region_id)

    def grid_community(self, grid_id):
        return {100: 10, 101: 11, 102: 10}.get(grid_id)

    def compound_community(self, compound_id):
        return {1000: 10, 1001: 11, 1002: 10}.get(compound_id)

    def compound_grids(self, compound_id):
        return {1000: {100}, 1001: {101}, 1002: {102}}.get(compound_id, set())


def valid(**changes):
    data = {
        "type_key": "hotline_case",
        "community_id": 10,
        "grid_id": 100,
        "compound_id": 1000,
        "occurred_on": date(2025, 3, 1),
        "title": "12345 工单",
        "description": "说明",
        "location": "社区服务站",
        "cases_received": 5,
        "cases_resolved": 4,
        "cases_satisfied": 3,
    }
    data.update(changes)
    return data


def errors_of(data):
    clean, errors = validate_activity(data, FakeRegions(), TODAY)
    assert (clean is None) == bool(errors)
    return {e.field: e for e in errors}


def test_a_valid_record_is_cleaned_with_its_street_and_district():
    clean, errors = validate_activity(valid(), FakeRegions(), TODAY)
    assert errors == []
    assert clean["street_id"] == 2 and clean["district_id"] == 1
    assert clean["occurred_on"] == date(2025, 3, 1)
    assert clean["participants"] is None  # not recorded by this type
    assert clean["cases_received"] == 5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"type_key": None}, "type_key"),
        ({"type_key": "no_such_type"}, "type_key"),
        ({"community_id": None}, "community_id"),
        ({"community_id": 100}, "community_id"),  # a grid, not a community
        ({"community_id": 99999}, "community_id"),
        ({"grid_id": 5}, "grid_id"),
        ({"grid_id": 101, "compound_id": None}, "grid_id"),  # grid of another community
        ({"compound_id": 7}, "compound_id"),
        ({"compound_id": 1001, "grid_id": None}, "compound_id"),  # compound of another community
        ({"compound_id": 1002}, "compound_id"),  # compound not in the chosen grid
        ({"occurred_on": None}, "occurred_on"),
        ({"occurred_on": "not a date"}, "occurred_on"),
        ({"occurred_on": "2025-02-30"}, "occurred_on"),
        ({"occurred_on": date(2025, 7, 1)}, "occurred_on"),  # future
        ({"occurred_on": date(2019, 12, 31)}, "occurred_on"),  # before 2020
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "标" * (TITLE_MAX + 1)}, "title"),
        ({"description": "x" * (DESCRIPTION_MAX + 1)}, "description"),
        ({"location": "x" * (LOCATION_MAX + 1)}, "location"),
        ({"title": "bad\x00title"}, "title"),
        ({"cases_received": None}, "cases_received"),  # a measure of the type left empty
        ({"cases_received": "abc"}, "cases_received"),
        ({"cases_received": -1}, "cases_received"),
        ({"cases_received": 2.5}, "cases_received"),  # counts are whole numbers
        ({"cases_received": float("inf")}, "cases_received"),
        ({"cases_received": 501, "cases_resolved": 1, "cases_satisfied": 1}, "cases_received"),
        ({"cases_resolved": 6}, "cases_resolved"),  # more resolved than received
        ({"cases_satisfied": 5}, "cases_satisfied"),  # more satisfied than resolved
        ({"participants": 3}, "participants"),  # a measure this type does not record
    ],
)
def test_each_rule_reports_its_field_in_both_languages(changes, field):
    found = errors_of(valid(**changes))
    assert field in found, found
    error = found[field]
    assert error.message.zh and error.message.en
    assert error.message.zh != error.message.en


def test_text_at_the_limits_and_zero_for_unrecorded_measures_are_accepted():
    data = valid(
        title="标" * TITLE_MAX,
        description="x" * DESCRIPTION_MAX,
        location="x" * LOCATION_MAX,
        participants=0,
        description_extra="ignored",
    )
    assert errors_of(data) == {}


def test_grid_and_compound_are_optional():
    assert errors_of(valid(grid_id=None, compound_id=None)) == {}
    assert errors_of(valid(grid_id="", compound_id="")) == {}


def test_dates_today_and_first_of_2020_are_accepted():
    assert errors_of(valid(occurred_on=TODAY)) == {}
    assert errors_of(valid(occurred_on=date(2020, 1, 1))) == {}


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-01",
        "2025/3/1",
        "2025.3.1",
        "2025年3月1日",
        "20250301",
        "2025-03-01 00:00:00",
        datetime(2025, 3, 1, 9, 30),
        45717,  # Excel's day number
        45717.0,
        "45717",
    ],
)
def test_dates_as_people_and_spreadsheets_write_them(value):
    assert parse_date(value) == date(2025, 3, 1)


def test_hours_may_have_a_fraction_counts_may_not():
    data = valid(type_key="worker_training", participants=12, hours=1.5)
    for key in ("cases_received", "cases_resolved", "cases_satisfied"):
        data.pop(key)
    assert errors_of(data) == {}
    assert "participants" in errors_of({**data, "participants": 12.5})


def test_numbers_written_as_text_are_read():
    assert errors_of(valid(cases_received="5", cases_resolved="4.0", cases_satisfied=" 3 ")) == {}


@pytest.mark.parametrize("activity_type", ACTIVITY_TYPES, ids=lambda a: a.key)
def test_every_type_has_bounds_and_accepts_values_up_to_them(activity_type):
    data = valid(type_key=activity_type.key)
    for key in MEASURE_KEYS:
        data.pop(key, None)
    for key in activity_type.measures:
        data[key] = measure_bound(activity_type.key, key)
    assert errors_of(data) == {}
    for key in activity_type.measures:
        over = dict(data, **{key: measure_bound(activity_type.key, key) + 1})
        assert key in errors_of(over)


def test_all_errors_of_a_record_are_reported_at_once():
    found = errors_of(valid(type_key=None, community_id=None, title="", occurred_on=None))
    assert {"type_key", "community_id", "title", "occurred_on"} <= found.keys()


# Which characters text fields accept (data_access/text.py): one rule for every field.


@pytest.mark.parametrize("char", BAD_CHARACTERS + ("\r",), ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["title", "description", "location"])
def test_control_and_invalid_characters_are_refused_with_their_code_point(field, char):
    found = errors_of(valid(**{field: f"前{char}后"}))
    assert field in found
    error = found[field]
    assert f"U+{ord(char):04X}" in error.message.zh and "第 2 个字符" in error.message.zh
    assert f"U+{ord(char):04X}" in error.message.en


@pytest.mark.parametrize("field", ["title", "location"])
def test_a_tab_is_refused_in_a_one_line_field(field):
    assert "U+0009" in errors_of(valid(**{field: "前\t后"}))[field].message.zh


def test_a_line_break_and_a_tab_are_allowed_only_in_the_description():
    # Spreadsheet cells (and Excel's "Unicode text" export) carry tabs in multi-line text.
    assert errors_of(valid(description="第一行\n第二行\r\n第三行\t（续）")) == {}
    clean, _ = validate_activity(valid(description="一\r\n二"), FakeRegions(), TODAY)
    assert clean["description"] == "一\n二"
    for field in ("title", "location"):
        assert "换行" in errors_of(valid(**{field: "一\n二"}))[field].message.zh


@pytest.mark.parametrize(
    "text",
    ["社区👨‍👩‍👧活动", "𠀀生僻字", "Zero\u200bwidth", "“引号”·—", "ＡＢＣ１２３", "emoji 🎉"],
)
def test_ordinary_text_of_every_script_is_kept_as_typed(text):
    clean, errors = validate_activity(valid(title=text), FakeRegions(), TODAY)
    assert errors == [] and clean["title"] == text


@pytest.mark.parametrize("days", [1, 25, 366], ids=lambda d: f"today+{d}")
def test_a_date_after_the_injected_today_is_refused(days):
    future = TODAY + timedelta(days=days)
    assert "晚于今天" in errors_of(valid(occurred_on=future))["occurred_on"].message.zh
    assert "occurred_on" in errors_of(valid(occurred_on=future.isoformat()))


@pytest.mark.parametrize(
    "raw", ["1900-01-01", "2019-12-31", "2999-12-31", "2025-02-30", "2025-13-01"]
)
def test_dates_typed_out_of_range_or_impossible_are_refused(raw):
    assert "occurred_on" in errors_of(valid(occurred_on=raw))


def test_a_fraction_of_a_count_and_more_than_two_decimals_of_hours_are_refused():
    data = valid(type_key="worker_training", participants=12, hours=1.25)
    for key in ("cases_received", "cases_resolved", "cases_satisfied"):
        data.pop(key)
    clean, errors = validate_activity(data, FakeRegions(), TODAY)
    assert errors == [] and clean["hours"] == 1.25
    assert "整数" in errors_of({**data, "participants": 1.5})["participants"].message.zh
    assert "整数" in errors_of({**data, "participants": "1.5"})["participants"].message.zh
    assert "两位小数" in errors_of({**data, "hours": 1.234})["hours"].message.zh
    assert errors_of({**data, "hours": 1.1 + 0.2}) == {}  # float noise is not a third decimal


@pytest.mark.parametrize("raw", ["²", "１０", "٣", " 1² "])
def test_an_id_of_digits_that_are_not_ascii_is_a_field_error_not_a_crash(raw):
    """str.isdigit() accepts "²" (and full-width or Arabic-Indic digits); int() refuses "²":
    a region id typed or imported that way is refused by its field (found by the property test
    test_validation_never_raises_and_what_it_accepts_is_sane), never a ValueError."""
    assert "community_id" in errors_of(valid(community_id=raw, grid_id=None, compound_id=None))
    assert "grid_id" in errors_of(valid(grid_id=raw, compound_id=None))
