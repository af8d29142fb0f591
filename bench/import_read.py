"""Benchmark: reading the largest legitimate import sheet (99,999 template rows, every column
filled, unique titles and descriptions) and the hostile ones, each in the bounded reading child:
file size, unpacked size, seconds, and the child's peak resident memory and address space.
The bounds in data_access/sheet_reader.py are set from these numbers.

    python -m bench.import_read [--rows 99999]
"""

from __future__ import annotations

import argparse
import io
import random
import re
import resource
import time
import zipfile
from datetime import date, timedelta

from openpyxl import Workbook

from data_access.importing import MAX_ROWS, READ_COLUMNS, template_header
from data_access.sheet_reader import read_in_child

# 2,500 characters, about as many as everyday Chinese text uses.
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INLINE = re.compile(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>([^<]*)</t></is></c>')
SST_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SST_REL = (
    '<Relationship Id="rIdSst" Target="sharedStrings.xml" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
# Text made of 3,000 two-character words from 2,500 characters: about as repetitive as office
# writing, so that the file compresses like a real one.
_CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]
WORDS = ["".join(random.Random(i).choices(_CHARS, k=2)) for i in range(3000)]


def largest_sheet(rows: int = MAX_ROWS, description: int = 30, seed: int = 42) -> bytes:
    """A legitimate sheet of `rows` template rows with every column filled: names, dates, titles
    of 30 and descriptions of `description` characters, each different."""
    rng = random.Random(seed)

    def text(chars: int) -> str:
        return "".join(rng.choices(WORDS, k=chars // 2))

    book = Workbook(write_only=True)
    sheet = book.create_sheet("活动")
    sheet.append(template_header())
    for i in range(rows):
        sheet.append(
            [
                "人民调解",
                "大东区",
                f"{text(4)}街道",
                f"{text(4)}社区",
                f"第{rng.randint(1, 20)}网格",
                f"{text(4)}小区",
                date(2025, 1, 1) + timedelta(days=rng.randint(0, 300)),
                f"{i} {text(30)}",
                text(description),
                text(12),
                *(rng.randint(0, 200) for _ in range(7)),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def shared_strings(data: bytes) -> bytes:
    """The same workbook with its inline strings moved to a shared-string table, as Excel and WPS
    write them (openpyxl writes inline strings only); openpyxl reads that table whole."""
    source = zipfile.ZipFile(io.BytesIO(data))
    table: dict[str, int] = {}

    def index(match: re.Match) -> str:
        number = table.setdefault(match[2], len(table))
        return f'<c r="{match[1]}" t="s"><v>{number}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename).decode()
            if info.filename.startswith("xl/worksheets/"):
                body = INLINE.sub(index, body)
            elif info.filename == "[Content_Types].xml":
                body = body.replace("</Types>", SST_TYPE + "</Types>")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace("</Relationships>", SST_REL + "</Relationships>")
            target.writestr(info.filename, body)
        items = "".join(f"<si><t>{text}</t></si>" for text in table)
        target.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{MAIN}" count="{len(table)}" uniqueCount="{len(table)}">{items}</sst>',
        )
    return out.getvalue()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, data: bytes) -> dict:
    """Read one file in the bounded child (the upload-size check aside); its sizes, time and
    the child's peaks."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    started, cpu = time.monotonic(), _children_cpu()
    sheet = read_in_child("xlsx", data, READ_COLUMNS)
    return {
        "file_mib": round(len(data) / 2**20, 1),
        "unpacked_mib": round(unpacked / 2**20, 1),
        "rows": len(sheet.rows),
        "seconds": round(time.monotonic() - started, 1),
        "child_cpu_seconds": round(_children_cpu() - cpu, 1),
        "child_peak_rss_mb": round(sheet.peak_rss / 1e6),
        "child_peak_vm_mb": round(sheet.peak_vm / 1e6),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=MAX_ROWS)
    parser.add_argument("--description", type=int, default=30, help="characters per row")
    args = parser.parse_args()
    sheet = largest_sheet(args.rows, args.description)
    print("largest sheet, inline strings:", measure("largest.xlsx", sheet), flush=True)
    print("largest sheet, shared strings:", measure("largest.xlsx", shared_strings(sheet)))


if __name__ == "__main__":
    main()
