"""Hostile spreadsheets built in memory: small files that claim or hold far more than they look,
and cells that openpyxl itself would never write."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from bench.import_read import MAIN, SST_REL, SST_TYPE
from data_access.importing import template_header

SHEET = "xl/worksheets/sheet1.xml"


def xlsx(rows: list[list], title: str = "活动") -> bytes:
    """A plain .xlsx with these rows on its first sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(data: bytes, change) -> bytes:
    """The .xlsx with its first sheet's XML passed through change(xml: str) -> str."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == SHEET:
                body = change(body.decode()).encode()
            target.writestr(info.filename, body)
    return out.getvalue()


def a_row(community: str, title: str) -> list:
    """One valid template row (a mediation) in the given community."""
    row = dict.fromkeys(template_header())
    row.update(
        {
            "活动类型": "人民调解",
            "社区": community,
            "日期": "2025-03-01",
            "标题": title,
            "参与人数（人）": 2,
            "解决件数（件）": 1,
        }
    )
    return list(row.values())


def dimension_bomb(rows: list[list], ref: str = "A1:XFD1048576") -> bytes:
    """A small sheet whose <dimension> claims `ref` (every cell Excel allows), with one more cell
    in the claimed last row: openpyxl pads every row between to the claimed width. About 5 KB."""
    last = re.fullmatch(r"[A-Z]+\d+:[A-Z]+(\d+)", ref)[1]

    def change(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>', xml)
        far = f'<row r="{last}"><c r="A{last}" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", far + "</sheetData>")

    return rewrite_sheet(xlsx(rows), change)


def filled_bomb(rows: int = 150_000) -> bytes:
    """A sheet claiming A1:XFD1048576 whose `rows` rows each hold a cell in column A and one in
    column XFD: all filled, so no blank run ends the read; openpyxl padded them to 16,384
    cells each (before: ~20 GB). About 10 KB."""

    def change(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', xml)
        row = '<row><c r="A1" t="n"><v>1</v></c><c r="XFD1" t="n"><v>1</v></c></row>'
        return re.sub(r"<sheetData\s*/>|<sheetData>.*</sheetData>",
                      f"<sheetData>{row * rows}</sheetData>", xml, flags=re.S)  # fmt: skip

    return rewrite_sheet(xlsx([]), change)


def xfd_rows(rows: list[list], extra_rows: int = 300_000) -> bytes:
    """The sheet's rows, each with a cell in column XFD (the last), then `extra_rows` rows holding
    only such a cell; no dimension, so openpyxl learns the width from the cells. About 10 KB."""

    def change(xml: str) -> str:
        xml = re.sub(r"<dimension [^>]*/>", "", xml)
        xml = xml.replace("</row>", '<c r="XFD1" t="n"><v>1</v></c></row>')
        filler = '<row><c r="XFD1" t="n"><v>1</v></c></row>' * extra_rows
        return xml.replace("</sheetData>", filler + "</sheetData>")

    return rewrite_sheet(xlsx(rows), change)


def zip_bomb(unpacked: int) -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to `unpacked` bytes of blanks."""
    good = xlsx([["标题"]])
    out = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(good))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == SHEET:
                with target.open(SHEET, "w", force_zip64=True) as stream:
                    stream.write(body.replace(b"</worksheet>", b""))
                    chunk = b" " * (1 << 20)
                    for _ in range(unpacked // len(chunk)):
                        stream.write(chunk)
                    stream.write(b"</worksheet>")
                continue
            target.writestr(info.filename, body)
    return out.getvalue()


class Raw(str):
    """A cell's raw XML value, written as a number cell (`<c t="n"><v>…</v></c>`) as is."""


class Formula(str):
    """A formula cell: the formula text, with `cached` as Excel's last computed value."""

    def __new__(cls, formula: str, cached: str | None = None) -> Formula:
        cell = super().__new__(cls, formula)
        cell.cached = cached
        return cell


def _cell_xml(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{escape(value.cached)}</v>"
        return f'<c r="{ref}" t="str"><f>{escape(value)}</f>{cached}</c>'
    if isinstance(value, Raw):
        return f'<c r="{ref}" t="n"><v>{value}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}" t="n"><v>{value!r}</v></c>'
    text = escape(str(value))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def raw_xlsx(rows: list[list]) -> bytes:
    """An .xlsx whose sheet XML is written here cell by cell, so that it may hold what openpyxl
    would refuse or change: numbers of 400 digits (Raw), text starting with "=" kept as text,
    formulas with a cached value (Formula)."""

    def change(xml: str) -> str:
        body = "".join(
            f'<row r="{r}">'
            + "".join(_cell_xml(f"{get_column_letter(c)}{r}", v) for c, v in enumerate(row, 1))
            + "</row>"
            for r, row in enumerate(rows, 1)
        )
        xml = re.sub(r"<dimension [^>]*/>", "", xml)
        data = f"<sheetData>{body}</sheetData>"
        return re.sub(r"<sheetData\s*/>|<sheetData>.*</sheetData>", lambda _: data, xml, flags=re.S)

    return rewrite_sheet(xlsx([]), change)


def shared_strings_bomb(mib: int) -> bytes:
    """An .xlsx whose shared-string table holds `mib` MiB of distinct short strings (openpyxl
    reads the whole table into memory when it opens the book)."""
    good = xlsx([["标题"], ["x"]])
    source = zipfile.ZipFile(io.BytesIO(good))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename).decode()
            if info.filename == "[Content_Types].xml":
                body = body.replace("</Types>", SST_TYPE + "</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace("</Relationships>", SST_REL + "</Relationships>")
            target.writestr(info.filename, body)
        count = (mib << 20) // 24
        with target.open("xl/sharedStrings.xml", "w") as stream:
            stream.write(f'<sst xmlns="{MAIN}">'.encode())
            for start in range(0, count, 100_000):
                chunk = range(start, min(count, start + 100_000))
                stream.write("".join(f"<si><t>{n:07d}</t></si>" for n in chunk).encode())
            stream.write(b"</sst>")
    return out.getvalue()
