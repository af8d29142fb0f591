"""Hostile text through every export: no formula survives in a CSV or Excel file, every file
reads back whatever text the store holds, and any text a user can type is either refused with
a message or saved and exported intact."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from uuid import uuid4

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session

from data_access.activities import add_activity
from data_access.activity_log import ActivityFilter, export_activities
from data_access.db import write_session
from data_access.models import Activity
from data_access.store import open_store
from data_access.text import check_text
from tests.hostile.payloads import BAD_CHARACTERS, FORMULA_LEADS, FORMULAS
from ui.exports import safe_cell, to_csv, to_xlsx

# Spreadsheet programs skip these before deciding whether a cell is a formula.
PADDING = ("", " ", "  ", "\u3000")


def read_xlsx(data: bytes) -> list[list]:
    """The first sheet's rows; fails if any cell is a formula."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formula in {cell.coordinate}: {cell.value!r}"
        rows.append([cell.value for cell in row])
    return rows


def read_csv(data: bytes) -> list[list[str]]:
    """The CSV's rows (UTF-8 with a BOM)."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def starts_a_formula(text: str) -> bool:
    return text.lstrip(" \u3000").startswith(FORMULA_LEADS)


def hostile_frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "标题": pd.Series(texts, dtype=object),
            "人数": list(range(len(texts))),
            "差额": [-1.5] * len(texts),
            "日期": [date(2025, 6, 1)] * len(texts),
            "录入时间": [datetime(2025, 6, 1, 9, 30)] * len(texts),
        }
    )


LEAD_TEXTS = [
    pad + lead + body
    for lead in FORMULA_LEADS
    for pad in PADDING
    for body in ('HYPERLINK("http://evil.example/","点我")', "1+1", "")
] + list(FORMULAS)


@pytest.mark.parametrize("writer", ["csv", "xlsx"])
def test_every_formula_lead_is_neutralised_and_numbers_stay_numbers(writer):
    frame = hostile_frame(LEAD_TEXTS)
    frame[LEAD_TEXTS[0]] = "x"  # a hostile header too
    if writer == "xlsx":
        header, *rows = read_xlsx(to_xlsx(frame))
    else:
        header, *rows = read_csv(to_csv(frame))
    assert header[-1] == "'" + LEAD_TEXTS[0]
    for i, (text, row) in enumerate(zip(LEAD_TEXTS, rows, strict=True)):
        # An XML parser reads a line end as LF unless the writer escaped the CR (openpyxl does
        # when lxml is installed, as python-docx brings it): either way the text, neutralised.
        shown = {"'" + text, "'" + text.replace("\r", "\n")} if writer == "xlsx" else {"'" + text}
        assert row[0] in shown, (text, row[0])
        if writer == "xlsx":
            assert row[1:4] == [i, -1.5, datetime(2025, 6, 1)]
        else:
            assert row[1:3] == [str(i), "-1.5"]  # numbers, not '-1.5


def test_xlsx_cells_that_start_a_formula_are_written_as_text():
    data = to_xlsx(hostile_frame(list(FORMULAS)))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    for (cell,) in sheet.iter_rows(min_row=2, max_col=1):
        assert cell.data_type == "s" and cell.value.startswith("'")


def test_text_that_looks_like_an_excel_error_stays_text():
    data = to_xlsx(hostile_frame(["#N/A", "#DIV/0!", "#REF!"]))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [cell for (cell,) in sheet.iter_rows(min_row=2, max_col=1)]
    assert [(c.data_type, c.value) for c in cells] == [
        ("s", "#N/A"),
        ("s", "#DIV/0!"),
        ("s", "#REF!"),
    ]


@pytest.mark.parametrize("text", ["普通标题", "1+1 是二", "a=b", "邮箱 a@b.cn", "", "100"])
def test_harmless_text_is_exported_unchanged(text):
    assert safe_cell(text) == text
    assert read_csv(to_csv(hostile_frame([text])))[1][0] == text
    assert read_xlsx(to_xlsx(hostile_frame([text])))[1][0] == (text or None)


@pytest.mark.parametrize("value", [-3, -2.5, 0, 7, date(2025, 1, 1), None, True])
def test_values_that_are_not_text_are_left_alone(value):
    assert safe_cell(value) is value


def test_characters_xml_forbids_are_dropped_so_the_workbook_stays_readable():
    texts = [f"标题{c}尾" for c in BAD_CHARACTERS] + ["\x00=1+1", "\uffff@SUM(A1)"]
    frame = hostile_frame(texts)
    rows = read_xlsx(to_xlsx(frame))[1:]
    csv_rows = read_csv(to_csv(frame))[1:]
    for row, csv_row in zip(rows, csv_rows, strict=True):
        assert row[0] == csv_row[0]
        assert not any(ord(c) < 0x20 and c not in "\t\n\r" for c in row[0])
        assert "\uffff" not in row[0] and "\ufffe" not in row[0]
    assert rows[-2][0] == "'=1+1" and rows[-1][0] == "'@SUM(A1)"


# Text already in the store (written before validation refused these characters, or by another
# program) exports all the same.

STORABLE = [c for c in BAD_CHARACTERS if c != "\x00" and not 0xD800 <= ord(c) <= 0xDFFF]


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


def _community(engine) -> int:
    from sqlalchemy import select

    from data_access.models import Region

    with Session(engine) as session:
        return session.scalar(select(Region.id).where(Region.level == "community").limit(1))


def test_any_stored_text_exports_to_files_that_read_back(engine):
    community = _community(engine)
    marker = f"旧数据 {uuid4().hex[:8]}"
    data = {
        "type_key": "mediation",
        "community_id": community,
        "occurred_on": date.today() - timedelta(days=3),
        "participants": 1,
        "cases_resolved": 1,
    }
    with write_session(engine) as session:
        ids = []
        for i, char in enumerate(STORABLE):
            saved = add_activity(session, data | {"title": f"{marker} {i}"}, uuid4().hex)
            ids.append(saved.activity_id)
            # Bypasses validation, as an old or foreign row would.
            session.execute(
                update(Activity)
                .where(Activity.id == saved.activity_id)
                .values(title=f"={marker} {i}{char}")
            )
    with Session(engine) as session:
        rows = export_activities(session, ActivityFilter(text=marker), limit=100)
    assert len(rows) == len(STORABLE)
    frame = pd.DataFrame(rows)
    titles = [r[frame.columns.get_loc("title")] for r in read_xlsx(to_xlsx(frame))[1:]]
    csv_titles = [r[frame.columns.get_loc("title")] for r in read_csv(to_csv(frame))[1:]]
    assert titles == csv_titles
    assert all(t.startswith(f"'={marker}") for t in titles)


# Property: whatever a user types into a text field is refused with a message, or saved and
# exported to a CSV and a workbook that read back with the text (made safe) intact.


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=40), field=st.sampled_from(["title", "description", "location"]))
def test_any_text_is_refused_with_a_message_or_saved_and_exported(engine, text, field):
    community = _community_cached(engine)
    marker = uuid4().hex
    data = {
        "type_key": "mediation",
        "community_id": community,
        "occurred_on": date.today() - timedelta(days=3),
        "title": marker,
        "participants": 1,
        "cases_resolved": 1,
    }
    if field == "title":
        data["title"] = marker + text
    else:
        data[field] = text
    with Session(engine) as session:
        try:
            result = add_activity(session, data, uuid4().hex)
            if result.status == "saved":
                value = getattr(session.get(Activity, result.activity_id), field)
        finally:
            session.rollback()  # nothing of the property's examples stays in the store
    if result.status == "invalid":
        assert [e.field for e in result.errors] == [field]
        assert result.errors[0].message.zh and result.errors[0].message.en
        typed = data[field].strip().replace("\r\n", "\n")
        assert check_text(typed, field == "description") is not None
        return
    assert result.status == "saved", result
    frame = pd.DataFrame({"value": [value], "n": [1]})
    expected = safe_cell(value) if value else None
    assert read_xlsx(to_xlsx(frame))[1][0] == expected
    assert read_csv(to_csv(frame))[1][0] == (expected or "")


_COMMUNITIES: dict[int, int] = {}


def _community_cached(engine) -> int:
    key = id(engine)
    if key not in _COMMUNITIES:
        _COMMUNITIES[key] = _community(engine)
    return _COMMUNITIES[key]


def test_missing_values_of_every_kind_export_as_empty_cells():
    frame = pd.DataFrame(
        {
            "整数": pd.array([1, None], dtype="Int64"),
            "小数": [float("nan"), 2.5],
            "时间": [pd.NaT, pd.Timestamp("2025-01-01 08:00")],
            "文字": ["x", None],
        }
    )
    assert read_xlsx(to_xlsx(frame))[1:] == [
        [1, None, None, "x"],
        [None, 2.5, datetime(2025, 1, 1, 8, 0), None],
    ]
    assert read_csv(to_csv(frame))[1:] == [
        ["1", "", "", "x"],
        ["", "2.5", "2025-01-01 08:00:00", ""],
    ]
