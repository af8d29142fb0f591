"""Bulk import: templates, real-world sheets (encodings, Excel dates, blank rows, extra
columns, names for codes), refusals, and all rows saved in one transaction or none."""

from __future__ import annotations

import io
from datetime import date, datetime
from uuid import uuid4

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select
from streamlit.testing.v1 import AppTest

from data_access.auth import get_account_by_username
from data_access.db import read_session, write_session
from data_access.importing import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    ImportRefused,
    check_sheet,
    import_activities,
    read_sheet,
    template_csv,
    template_header,
    template_xlsx,
)
from data_access.models import Account, Activity, AuditLog, Compound, Region
from data_access.rollups import compare_rollups
from data_access.store import open_store
from tests.auth_helpers import app_as
from tests.markdown import shown

HEADER = template_header()


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def place(engine):
    """A community's district, street, community names and codes, and its first grid's name."""
    with read_session(engine) as session:
        community = session.scalars(
            select(Region).where(Region.level == "community").order_by(Region.id).offset(7)
        ).first()
        street = session.get(Region, community.street_id)
        district = session.get(Region, community.district_id)
        grid = session.scalars(
            select(Region).where(Region.parent_id == community.id).order_by(Region.id)
        ).first()
        return {
            "district": district.name_zh,
            "street": street.name_zh,
            "community": community.name_zh,
            "community_code": community.code,
            "community_id": community.id,
            "grid": grid.name_zh,
            "grid_code": grid.code,
        }


def rows_for(place, marker, n=3):
    """Valid rows by names (district/street/community/grid), one by community code."""
    out = []
    for i in range(n):
        row = dict.fromkeys(HEADER, "")
        row[HEADER[0]] = "人民调解"
        row[HEADER[1]], row[HEADER[2]] = place["district"], place["street"]
        row[HEADER[3]] = place["community"] if i % 2 == 0 else place["community_code"]
        row[HEADER[4]] = place["grid"] if i == 0 else ""
        row[HEADER[6]] = f"2025-0{i + 1}-15"
        row[HEADER[7]] = f"{marker} 调解{i}"
        row["参与人数（人）"] = 2 + i
        row["解决件数（件）"] = 1
        out.append(row)
    return out


def as_csv(rows, encoding="utf-8", extra_column=False, blank_rows=True) -> bytes:
    header = HEADER + (["备注"] if extra_column else [])
    lines = [",".join(header)]
    for row in rows:
        values = [str(row.get(h, "")) for h in HEADER] + (["随便写"] if extra_column else [])
        lines.append(",".join(values))
        if blank_rows:
            lines.append("," * (len(header) - 1))
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    return text.encode(encoding)


def as_xlsx(rows, excel_dates=True) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "活动"
    sheet.append(HEADER + ["多余的列"])
    for row in rows:
        values = []
        for h in HEADER:
            value = row.get(h, "")
            if h == "日期" and excel_dates:
                value = datetime.fromisoformat(value)
            values.append(None if value == "" else value)
        sheet.append(values + ["x"])
        sheet.append([])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def count(engine, marker):
    with read_session(engine) as session:
        return session.scalar(select(func.count()).where(Activity.title.like(f"{marker}%")))


def check(engine, name, data):
    with read_session(engine) as session:
        return check_sheet(session, read_sheet(name, data))


def run_import(engine, result, token=None):
    with write_session(engine) as session:
        return import_activities(session, result, token or uuid4().hex, filename="t")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_good_csv_in_each_encoding_imports_every_row(engine, place, encoding):
    marker = uuid4().hex[:8]
    result = check(engine, "活动.csv", as_csv(rows_for(place, marker), encoding, extra_column=True))
    assert result.errors == [] and result.data_rows == 3 and result.ok
    assert result.ignored_columns == ["备注"]
    assert result.rows[0]["grid_id"] is not None
    assert {r["community_id"] for r in result.rows} == {place["community_id"]}
    assert run_import(engine, result) == 3
    assert count(engine, marker) == 3
    with read_session(engine) as session:
        assert compare_rollups(session, place["community_id"]) == []
        audits = session.scalar(
            select(func.count()).where(AuditLog.action == "import", AuditLog.entity == "activity")
        )
        assert audits >= 3


def test_excel_with_dates_blank_rows_and_extra_columns(engine, place):
    marker = uuid4().hex[:8]
    result = check(engine, "活动.xlsx", as_xlsx(rows_for(place, marker)))
    assert result.errors == [] and len(result.rows) == 3
    assert result.rows[0]["occurred_on"] == date(2025, 1, 15)
    assert run_import(engine, result) == 3
    assert count(engine, marker) == 3


def test_a_mixed_file_reports_errors_by_row_and_column_and_imports_nothing(engine, place):
    marker = uuid4().hex[:8]
    rows = rows_for(place, marker, n=4)
    rows[1]["参与人数（人）"] = -5
    rows[2][HEADER[3]] = "没有这个社区"
    rows[3][HEADER[6]] = "2031-01-01"
    result = check(engine, "mixed.csv", as_csv(rows, blank_rows=False))
    found = {(e.row, e.column) for e in result.errors}
    assert (3, "参与人数（人）") in found
    assert (4, "社区") in found
    assert (5, "日期") in found
    assert result.bad_rows == 3 and not result.ok
    with pytest.raises(ValueError):
        run_import(engine, result)
    assert count(engine, marker) == 0


def test_a_bad_file_has_every_row_reported(engine):
    data = "活动类型,社区,日期,标题\n不存在的类型,,明天,\n".encode()
    result = check(engine, "bad.csv", data)
    columns = {e.column for e in result.errors}
    assert {"活动类型", "社区", "日期", "标题"} <= columns
    assert all(e.message.zh and e.message.en for e in result.errors)


def test_missing_columns_are_named(engine):
    result = check(engine, "x.csv", "标题,备注\n一,二\n".encode())
    assert len(result.errors) == 1 and "活动类型" in result.errors[0].message.zh


def test_duplicates_in_the_file_and_in_the_store_are_errors(engine, place):
    marker = uuid4().hex[:8]
    rows = rows_for(place, marker, n=1)
    result = check(engine, "a.csv", as_csv(rows * 2, blank_rows=False))
    assert [e.row for e in result.errors] == [3]
    first = check(engine, "a.csv", as_csv(rows))
    assert run_import(engine, first) == 1
    again = check(engine, "a.csv", as_csv(rows))
    assert again.errors and "已有相同" in again.errors[0].message.zh


def test_the_same_batch_is_imported_once(engine, place):
    marker = uuid4().hex[:8]
    result = check(engine, "a.csv", as_csv(rows_for(place, marker)))
    token = uuid4().hex
    assert run_import(engine, result, token) == 3
    assert run_import(engine, result, token) == 0
    assert count(engine, marker) == 3


def test_an_ambiguous_or_misplaced_name_is_explained(engine, place):
    marker = uuid4().hex[:8]
    rows = rows_for(place, marker, n=1)
    rows[0][HEADER[1]] = "不存在区"
    result = check(engine, "a.csv", as_csv(rows, blank_rows=False))
    assert result.errors[0].column == "区县"


def _whole_reads(seen: list[tuple[str, object]]) -> list[str]:
    """The statements that read every grid or every compound (a community's are read by its
    id, `parent_id` or `community_id` in the WHERE; one by its own id)."""
    whole = []
    for statement, parameters in seen:
        values = list(parameters.values() if isinstance(parameters, dict) else parameters or ())
        grids = "FROM regions" in statement and "grid" in values and "!=" not in statement
        where = statement.split("WHERE")[-1]
        if grids and "parent_id" not in where and "regions.id =" not in where:
            whole.append(statement)
        compounds = "FROM compounds" in statement or "FROM compound_grids" in statement
        if compounds and "WHERE" not in statement:
            whole.append(statement)
    return whole


def test_grids_and_compounds_are_read_a_communitys_at_a_time(engine, place):
    """The grids and compounds (most of the regions) are read for the communities whose rows
    name one: a sheet of communities alone reads none, a sheet naming a grid and a compound
    reads those of its community, and all of them are read only to explain a cell found nowhere
    else (a grid's code typed as the community is still called what it is)."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    with read_session(engine) as session:
        compound_id, compound_name = session.execute(
            select(Compound.id, Compound.name_zh).where(
                Compound.community_id == place["community_id"]
            )
        ).first()
    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = rows_for(place, uuid4().hex[:8], n=2)
        rows[0][HEADER[4]] = ""
        result = check(engine, "a.csv", as_csv(rows, blank_rows=False))
        assert result.ok and len(result.rows) == 2
        assert not [q for q, _p in seen if "compound" in q], "a sheet without compounds read them"
        assert not [
            q for q, p in seen if "FROM regions" in q and "grid" in str(p) and "!=" not in q
        ]
        seen.clear()
        rows = rows_for(place, uuid4().hex[:8], n=2)  # the first row names a grid
        rows[1][HEADER[5]] = compound_name
        result = check(engine, "a.csv", as_csv(rows, blank_rows=False))
        assert result.ok, result.errors
        assert result.rows[1]["compound_id"] == compound_id and result.rows[0]["grid_id"]
        assert _whole_reads(seen) == []
        seen.clear()
        rows[0][HEADER[3]] = place["grid_code"]
        result = check(engine, "a.csv", as_csv(rows, blank_rows=False))
        assert [(e.column, e.message.en) for e in result.errors] == [
            ("社区", f"Code {place['grid_code']} is not a community.")
        ]
        assert _whole_reads(seen)  # read everything to say what the code is
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_refusals_are_clear_and_quick():
    with pytest.raises(ImportRefused) as too_big:
        read_sheet("a.csv", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert "MB" in too_big.value.message.zh and "MB" in too_big.value.message.en
    with pytest.raises(ImportRefused):
        read_sheet("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ImportRefused):
        read_sheet("fake.csv", b"\x00\x01\x02binary" * 10)
    with pytest.raises(ImportRefused):
        read_sheet("fake.xlsx", b"PK\x03\x04 not really a zip")
    huge = ("标题\n" + "一\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(ImportRefused) as too_many:
        read_sheet("huge.csv", huge)
    assert "100,000" in too_many.value.message.zh


def test_a_sheet_of_100000_rows_in_excel_is_refused():
    book = Workbook(write_only=True)
    sheet = book.create_sheet("活动")
    sheet.append(["标题"])
    for i in range(MAX_ROWS + 1):
        sheet.append([i])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportRefused):
        read_sheet("big.xlsx", buffer.getvalue())


def test_templates_have_chinese_headers_instructions_types_and_codes(engine):
    csv_text = template_csv().decode("utf-8-sig")
    assert csv_text.startswith("活动类型,区县,街道,社区")
    with read_session(engine) as session:
        book = load_workbook(io.BytesIO(template_xlsx(session)))
    assert book.sheetnames == ["活动", "说明", "活动类型", "地区代码"]
    assert [c.value for c in book["活动"][1]] == HEADER
    types = [row[0].value for row in book["活动类型"].iter_rows(min_row=2)]
    assert "mediation" in types and len(types) == 20
    assert book["地区代码"].max_row > 1000


def test_a_filled_template_imports(engine, place):
    marker = uuid4().hex[:8]
    with read_session(engine) as session:
        book = load_workbook(io.BytesIO(template_xlsx(session)))
    sheet = book["活动"]
    row = rows_for(place, marker, n=1)[0]
    sheet.append([row.get(h) or None for h in HEADER])
    buffer = io.BytesIO()
    book.save(buffer)
    result = check(engine, "filled.xlsx", buffer.getvalue())
    assert result.ok, result.errors
    assert run_import(engine, result) == 1


def test_rows_outside_the_importers_scope_are_reported_by_row_at_the_check(engine, place):
    """Before: the check passed such rows and only the import refused the whole file."""
    marker = uuid4().hex[:8]
    with read_session(engine) as session:
        staff = get_account_by_username(session, "staff")
        leader = get_account_by_username(session, "leader")
        own = session.get(Region, session.get(Account, staff.id).scope_region_id).code
    rows = rows_for(place, marker, n=2)
    rows[1][HEADER[1]] = rows[1][HEADER[2]] = ""
    rows[1][HEADER[3]], rows[1][HEADER[4]] = own, ""
    data = as_csv(rows, blank_rows=False)
    with read_session(engine) as session:
        as_staff = check_sheet(session, read_sheet("s.csv", data), actor=staff.id)
        as_leader = check_sheet(session, read_sheet("s.csv", data), actor=leader.id)
        as_operator = check_sheet(session, read_sheet("s.csv", data))
    assert [(e.row, e.column) for e in as_staff.errors] == [(2, "社区")]
    assert "管辖范围" in as_staff.errors[0].message.zh and "scope" in as_staff.errors[0].message.en
    assert not as_staff.ok and as_staff.bad_rows == 1 and len(as_staff.rows) == 1
    assert [e.row for e in as_leader.errors] == [2, 3] and "领导" in as_leader.errors[0].message.zh
    assert as_operator.ok
    assert count(engine, marker) == 0


def _show_a_check_with_markdown_in_its_ignored_columns():
    from data_access.importing import ImportCheck
    from ui.activity_import import show_check

    show_check(
        ImportCheck(
            data_rows=1,
            ignored_columns=[":smile:", "line\n===", "[点我](http://evil.example/)"],
        )
    )


def _show_a_check_with_notes():
    from data_access.importing import ImportCheck
    from data_access.messages import Message
    from ui.activity_import import show_check

    notes = [Message("从第 7 行起连续 1,000 行是空的", "1,000 blank rows follow row 6")]
    show_check(ImportCheck(data_rows=1, notes=notes))


def test_the_ignored_columns_caption_shows_the_headers_as_typed():
    """Before: the caption rendered the headers' Markdown (an emoji, a heading, a link)."""
    at = AppTest.from_function(_show_a_check_with_markdown_in_its_ignored_columns).run()
    assert not at.exception
    source = at.caption[0].value
    assert ":smile:" not in source and "](http" not in source and "\n" not in source
    assert "\\[点我\\]" in source
    assert ":smile:" in shown(source) and "[点我](http://evil.example/)" in shown(source)


def test_what_the_reading_left_out_is_said():
    at = AppTest.from_function(_show_a_check_with_notes).run()
    assert not at.exception and at.caption[0].value.startswith("从第 7 行起")


def test_the_import_page_shows_a_staff_member_the_rows_outside_their_scope(record_env):
    """Through the page: the check names the out-of-scope row; no import button is offered."""
    engine = open_store(record_env)
    with read_session(engine) as session:
        staff = get_account_by_username(session, "staff")
        own = session.get(Region, session.get(Account, staff.id).scope_region_id).code
        other = session.scalar(
            select(Region.code).where(Region.level == "community", Region.code != own).limit(1)
        )
    engine.dispose()
    marker = uuid4().hex[:8]
    lines = ["活动类型,社区,日期,标题,参与人数（人）,解决件数（件）"] + [
        f"人民调解,{code},2025-03-0{i},{marker} 范围{i},2,1" for i, code in ((1, own), (2, other))
    ]
    at = app_as(record_env, "staff", "zh", "app_pages/activity_import.py")
    at.file_uploader[0].set_value(("s.csv", "\n".join(lines).encode(), "text/csv"))
    at.run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame.iloc[:, 0]) == [3] and "管辖范围" in frame.iloc[0, 2]
    assert not [b for b in at.button if b.key != "auth_sign_out"]
