"""Hostile and clumsy uploads on the bulk import (issue 11, items 1 and 11): sheets that claim
every cell Excel allows, a cell in column XFD on every row, zip bombs, files that need too much
memory or time, NUL bytes, numbers of 400 digits, UTF-16 text, formulas, the shared payloads in
every column and random sheets. Each is read in the bounded child and either checked or refused
with its real reason; nothing is half-written; memory stays bounded, in the child and here."""

from __future__ import annotations

import codecs
import csv
import io
import tracemalloc
from datetime import date
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import sheet_reader
from data_access.db import read_session, write_session
from data_access.importing import (
    COLUMNS,
    EMPTY_RUN,
    MAX_XLSX_UNPACKED,
    ImportRefused,
    check_sheet,
    import_activities,
    read_sheet,
    template_header,
)
from data_access.models import Activity, AuditLog, Region
from data_access.store import open_store
from tests.hostile import payloads
from tests.hostile.sheets import (
    Formula,
    Raw,
    a_row,
    dimension_bomb,
    raw_xlsx,
    shared_strings_bomb,
    xfd_rows,
    zip_bomb,
)

HEADER = template_header()
TODAY = date(2025, 12, 31)
# A reading child of a bomb keeps a few rows: Python and openpyxl (~45 MB resident here) and
# the rows. Before the fix the server itself grew by GBs (26 GB asked for the bombs below).
CHILD_RSS_BOUND = 150 * 1024 * 1024
# What the server process itself allocates to read a bomb: the pickled rows and little more.
PARENT_BOUND = 16 * 1024 * 1024


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def community(engine) -> str:
    """A community's code (codes are unique; names may not be)."""
    with read_session(engine) as session:
        return session.scalar(
            select(Region.code).where(Region.level == "community").order_by(Region.id).offset(3)
        )


def counts(engine) -> tuple[int, int]:
    with read_session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Activity)),
            session.scalar(select(func.count()).select_from(AuditLog)),
        )


def check(engine, sheet):
    with read_session(engine) as session:
        return check_sheet(session, sheet, TODAY)


def save(engine, result, token: str | None = None) -> int:
    with write_session(engine) as session:
        return import_activities(session, result, token or uuid4().hex, filename="hostile")


def refusal(name: str, data: bytes) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        read_sheet(name, data)
    assert refused.value.message.zh and refused.value.message.en
    return refused.value


def read_measured(name: str, data: bytes):
    """read_sheet, with the peak of what this (the server's) process allocated meanwhile."""
    tracemalloc.start()
    try:
        sheet = read_sheet(name, data)
        return sheet, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


BOMBS = {
    "dimension A1:XFD1048576": lambda rows: dimension_bomb(rows),
    "dimension A1:Q1048576 (rows only)": lambda rows: dimension_bomb(rows, "A1:Q1048576"),
    "a cell in column XFD on every row": lambda rows: xfd_rows(rows),
}


@pytest.mark.parametrize("bomb", BOMBS)
def test_a_sheet_claiming_every_cell_is_read_as_the_rows_it_has(engine, community, bomb):
    marker = uuid4().hex[:8]
    rows = [HEADER] + [a_row(community, f"{marker} 炸弹{i}") for i in range(3)]
    data = BOMBS[bomb](rows)
    assert len(data) < 64 * 1024  # a small upload
    sheet, parent_peak = read_measured("bomb.xlsx", data)
    assert sheet.rows[0] == HEADER and len(sheet.rows) == 4
    assert 0 < sheet.peak_rss < CHILD_RSS_BOUND
    assert parent_peak < PARENT_BOUND
    result = check(engine, sheet)
    assert result.ok and len(result.rows) == 3, result.errors
    # The rows past the data are blank in the columns read: the read stops and says so.
    assert sheet.stopped_at == 5
    assert any(f"{EMPTY_RUN:,}" in note.zh for note in result.notes)
    assert save(engine, result) == 3


def test_a_zip_bomb_is_refused_for_what_it_is():
    data = zip_bomb(MAX_XLSX_UNPACKED + (1 << 20))
    assert len(data) < 1 << 20
    refused = refusal("bomb.xlsx", data)
    assert "解压后超过" in refused.message.zh and "unpacks to more than" in refused.message.en
    assert "100,000" not in refused.message.zh


def test_a_sheet_needing_more_memory_than_allowed_is_refused(monkeypatch):
    """The child's address space is capped: a shared-string table that needs more is refused
    as too big, and this process does not grow."""
    data = shared_strings_bomb(16)  # about 120 MB of strings once read
    monkeypatch.setattr(sheet_reader, "READ_MEMORY", 230 * 1024 * 1024)  # baseline ~170 MB
    tracemalloc.start()
    try:
        refused = refusal("strings.xlsx", data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "内存" in refused.message.zh and "memory" in refused.message.en
    assert peak < PARENT_BOUND


def test_a_read_past_its_time_is_stopped(monkeypatch):
    # Starting Python and openpyxl alone takes longer than this budget.
    monkeypatch.setattr(sheet_reader, "READ_SECONDS", 0.01)
    refused = refusal("slow.xlsx", raw_xlsx([["标题"], ["一"]]))
    assert "用时过长" in refused.message.zh and "too long" in refused.message.en


@pytest.mark.parametrize(
    ("name", "data", "zh", "en"),
    [
        ("nul.csv", "标题,社区\n一,二\n三\x00,四\n".encode(), "第 3 行含有空字符", "Line 3"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "空字符", "NUL"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls", ".xls"),
        (
            "locked.xlsx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"),
            "密码",
            "password",
        ),
        ("empty.csv", b"", "空的", "empty"),
        ("blank.xlsx", b"  \n", "空的", "empty"),
        ("cut.xlsx", b"PK\x03\x04" + b"\x01" * 100, "损坏", "damaged"),
        ("report.pdf", b"%PDF-1.7\n", "只能导入", "Only CSV"),
        ("latin.csv", b"\xff\xff\xfe" * 10, "编码", "encoding"),
    ],
)
def test_each_refusal_names_its_real_reason(name, data, zh, en):
    refused = refusal(name, data)
    assert zh in refused.message.zh and en in refused.message.en
    assert "不是表格" not in refused.message.zh


def test_a_zip_that_is_not_a_workbook_is_named():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    refused = refusal("letter.xlsx", buffer.getvalue())
    assert "没有 Excel 工作簿" in refused.message.zh


UTF16 = {
    "UTF-16 CSV (BOM)": ("a.csv", ",", lambda text: text.encode("utf-16")),
    "Excel Unicode text": ("a.txt", "\t", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le")),
    "UTF-16 LE, no BOM": ("a.txt", "\t", lambda text: text.encode("utf-16-le")),
    "UTF-16 BE CSV": ("a.csv", ",", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
}


@pytest.mark.parametrize("kind", UTF16)
def test_utf16_text_and_excel_unicode_text_import(engine, community, kind):
    name, delimiter, encode = UTF16[kind]
    marker = uuid4().hex[:8]
    rows = [HEADER] + [a_row(community, f"{marker} 统一码{i}") for i in range(3)]
    rows[2][HEADER.index("描述")] = 'Excel 会给含"引号"\t和换行\n的单元格加引号'
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in row] for row in rows]
    )
    result = check(engine, read_sheet(name, encode(buffer.getvalue())))
    assert result.ok and len(result.rows) == 3, result.errors
    assert result.rows[1]["description"] == rows[2][HEADER.index("描述")]
    assert save(engine, result) == 3


def test_numbers_of_400_digits_are_cell_errors_not_a_crash(engine, community):
    """openpyxl reads a number cell of 400 digits as a Python int, which float() cannot hold
    (before: OverflowError, Streamlit's crash page)."""
    big = "9" * 400
    rows = [HEADER]
    for column in ("参与人数（人）", "服务人次（人次）", "标题", "社区", "日期", "活动类型"):
        row = a_row(community, f"大数 {column}")
        row[HEADER.index(column)] = Raw(big)
        rows.append(row)
    before = counts(engine)
    result = check(engine, read_sheet("big.xlsx", raw_xlsx(rows)))
    columns = {(e.row, e.column) for e in result.errors}
    assert {(2, "参与人数（人）"), (3, "服务人次（人次）"), (4, "标题"), (5, "社区")} <= columns
    assert {(6, "日期"), (7, "活动类型")} <= columns
    assert not result.ok and counts(engine) == before


def test_a_number_too_long_to_read_is_refused_with_its_row():
    refused = refusal("huge.xlsx", raw_xlsx([["标题"], ["一"], [Raw("9" * 5000)]]))
    assert "第 3 行" in refused.message.zh and "Row 3" in refused.message.en


def test_formulas_are_never_evaluated_and_text_stays_text(engine, community):
    marker = uuid4().hex[:8]
    link = '=HYPERLINK("http://evil.example/","点我")'
    texts = [f"=1+1 {marker}", f"{link} {marker}", f"@SUM(A1:A2) {marker}"]
    rows = [HEADER] + [a_row(community, text) for text in texts]
    # A formula cell gives the value Excel last computed (here deliberately not 1+1), never ours.
    cached = a_row(community, Formula("1+1", f"缓存值 {marker}"))
    uncached = a_row(community, Formula("1+1"))
    rows += [cached, uncached]
    result = check(engine, read_sheet("formulas.xlsx", raw_xlsx(rows)))
    assert [e.row for e in result.errors] == [6]  # the formula with no value: no title
    assert [r["title"] for r in result.rows] == [*texts, f"缓存值 {marker}"]
    assert save(engine, check(engine, read_sheet("ok.xlsx", raw_xlsx(rows[:5])))) == 4
    with read_session(engine) as session:
        stored = session.scalars(select(Activity.title).where(Activity.title.like(f"%{marker}")))
        assert sorted(stored) == sorted([*texts, f"缓存值 {marker}"])


def _payloads() -> list[str]:
    seen: dict[str, None] = {}
    for group in (
        payloads.FORMULAS,
        payloads.MARKDOWN,
        payloads.BAD_CHARACTERS,
        payloads.NUMBERS,
        payloads.DATES,
        payloads.URL_VALUES,
    ):
        seen.update(dict.fromkeys(group))
    return list(seen)


def _writable(text: str, kind: str) -> bool:
    """Whether the payload can be in a file of this kind at all (UTF-8 and XML have no lone
    surrogates; XML 1.0 has no C0 controls but tab, CR and LF, nor U+FFFE/U+FFFF), without
    refusing the whole file (a NUL in a text file does: test_each_refusal_names_its_real_reason)."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text) or "\x00" in text:
        return False
    if kind == "xlsx":
        return not any((ord(c) < 32 and c not in "\t\r\n") or c in "\ufffe\uffff" for c in text)
    return True


def _as_file(rows: list[list], kind: str) -> tuple[str, bytes]:
    if kind == "xlsx":
        return "p.xlsx", raw_xlsx(rows)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    return "p.csv", buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_payload_in_every_column_is_checked_and_stored_as_typed(engine, community, kind):
    marker = uuid4().hex[:8]
    rows, typed = [HEADER], []
    for c, column in enumerate(HEADER):
        for p, payload in enumerate(_payloads()):
            if not _writable(payload, kind):
                continue
            row = a_row(community, f"{marker} {c}-{p}")
            row[c] = payload
            rows.append(row)
            typed.append((column, payload))
    before = counts(engine)
    result = check(engine, read_sheet(*_as_file(rows, kind)))
    assert result.data_rows == len(typed) and not result.ok  # some payloads must be refused
    assert counts(engine) == before
    assert all(e.message.zh and e.message.en for e in result.errors)
    # The rows that passed import alone, all of them, with their text as checked.
    good = set(result.row_numbers) - {e.row for e in result.errors}
    kept = [rows[0]] + [row for n, row in enumerate(rows[1:], start=2) if n in good]
    again = check(engine, read_sheet(*_as_file(kept, kind)))
    assert again.ok and len(again.rows) == len(good)
    token = uuid4().hex
    assert save(engine, again, token) == len(good)
    with read_session(engine) as session:
        stored = session.execute(
            select(Activity.title, Activity.description, Activity.location)
            .where(Activity.client_token.like(f"{token}:%"))
            .order_by(Activity.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        (c["title"], c["description"], c["location"]) for c in again.rows
    ]
    assert counts(engine)[0] == before[0] + len(good)


CELL = st.one_of(
    st.none(),
    st.sampled_from(_payloads()),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1)),
    st.sampled_from(["人民调解", "2025-03-01", "2025/3/1", "45717", "0", "1", "多福社区"]),
)


@st.composite
def random_sheets(draw, community: str):
    width = draw(st.integers(min_value=1, max_value=len(COLUMNS) + 20))
    header = draw(st.permutations(HEADER + ["备注", "序号", ":smile:", "line\n==="]))[:width]
    rows = [header]
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if draw(st.booleans()):
            row = dict(zip(HEADER, a_row(community, f"随机 {uuid4().hex[:10]}"), strict=True))
            row = [row.get(h) for h in header]
        else:
            row = [draw(CELL) for _ in header]
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            row[draw(st.integers(0, len(row) - 1))] = draw(CELL)
        rows.append(row)
    return rows


def _encode_sheet(rows: list[list], kind: str) -> tuple[str, bytes]:
    if kind == "xlsx":
        cells = [
            [Raw(str(v)) if isinstance(v, int) and not isinstance(v, bool) else v for v in row]
            for row in rows
        ]
        cells = [
            [v if not isinstance(v, str) or _writable(v, "xlsx") else None for v in row]
            for row in cells
        ]
        return "r.xlsx", raw_xlsx(
            [[v.isoformat() if isinstance(v, date) else v for v in row] for row in cells]
        )
    buffer = io.StringIO()
    delimiter = "\t" if kind == "unicode text" else ","
    csv.writer(buffer, delimiter=delimiter).writerows(
        [["" if v is None else v for v in row] for row in rows]
    )
    text = buffer.getvalue()
    if kind == "unicode text":
        return "r.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    return "r.csv", text.encode("gb18030" if kind == "gbk" else "utf-8")


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_sheets_are_checked_or_refused_and_never_half_written(engine, community, data):
    rows = data.draw(random_sheets(community))
    kind = data.draw(st.sampled_from(["xlsx", "csv", "unicode text", "gbk"]))
    before = counts(engine)
    try:
        name, blob = _encode_sheet(rows, kind)
    except (UnicodeEncodeError, ValueError):
        return  # a cell this file type cannot hold
    try:
        sheet = read_sheet(name, blob)
    except ImportRefused as refused:
        assert refused.message.zh and refused.message.en
        assert counts(engine) == before
        return
    result = check(engine, sheet)
    if not result.ok:
        with pytest.raises(ValueError):
            save(engine, result)
        assert counts(engine) == before
        return
    assert save(engine, result) == len(result.rows)
    after = counts(engine)
    assert after == (before[0] + len(result.rows), before[1] + len(result.rows) + 1)
