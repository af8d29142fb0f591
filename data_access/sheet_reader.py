"""Reading an uploaded sheet (CSV or .xlsx) into rows, bounded whatever the file claims.

The server calls `read_in_child`: the parsing runs in a child process (`python -m
data_access.sheet_reader`) that limits its own address space, CPU time and priority before it
reads a byte, so a hostile or clumsy file costs at most READ_MEMORY bytes and READ_CPU_SECONDS
of CPU in one niced process, never the Streamlit server's memory or its GIL (in-process, the
dimension bomb of tests/hostile grew the server past 3 GB in 34 s, on its way to 26 GB, and
held the GIL all along). Why a fresh interpreter rather than fork: the server is multi-
threaded, and forking it copies locks held by other sessions' threads. Only the standard
library and openpyxl are imported here, so the child starts in ~0.1 s of CPU.
"""

from __future__ import annotations

import csv
import io
import math
import os
import pickle
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from data_access.messages import MessageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ROWS = 99_999  # data rows; a sheet of 100,000 or more is refused
# Rows read at most, blank ones included (a sheet may leave a blank row after each record).
MAX_SHEET_ROWS = 2 * MAX_ROWS + 10
# Reading stops after this many blank rows in a row, and the check says so: formatting applied
# to whole columns, or rows far below the data, give blank rows by the million.
EMPTY_RUN = 1_000
# Columns: the caller asks for the template's 17 and a margin (importing.READ_COLUMNS = 33), and
# openpyxl is asked for one more to notice wider sheets; a cell in column XFD is skipped.
# Cells: at most MAX_ROWS + 1 filled rows of 33 values are kept (blank rows as one shared empty
# tuple), ~100,000 × 33 pointers ≈ 26 MB besides the values.

# Measured with `python -m bench.import_read` on the 2-core test machine, loaded 3–4× over its
# cores by other test runs: the largest legitimate sheet (99,999 template rows, every column
# filled, a different 30-character title and description on each row; 19.9 MB with a shared-
# string table as Excel writes it, 23.4 MB with inline strings as openpyxl writes it) unpacks
# to 94–99 MiB and its reading child used 26–36 s of CPU, 196–219 MB resident at its peak and
# 323–347 MB of address space (VmPeak; ~165 MB of which is Python and openpyxl).
# An .xlsx is a zip: refuse one whose parts would inflate past this, ~1.3× the largest
# legitimate sheet (before: 400 MiB, and a 390 MiB file took 899 MB to read).
MAX_XLSX_UNPACKED = 128 * 1024 * 1024
# The reading child's address space (RLIMIT_AS), ~2.3× the largest legitimate sheet's VmPeak.
# What needs more is refused as too big: a shared-string table of 120 MiB of short strings
# (within MAX_XLSX_UNPACKED) needed 1,038 MB of address space, 898 MB resident.
READ_MEMORY = 768 * 1024 * 1024
# The child's CPU time (RLIMIT_CPU), ~2.5× the largest legitimate sheet's, and the wall-clock
# time the server waits for it: the child runs at nice 5, so on a machine loaded 3× over its
# cores the largest sheet took 148–266 s, on an idle one about its CPU time. Past either, the
# read is stopped and refused as too slow.
READ_CPU_SECONDS = 90
READ_SECONDS = 300
# Reads at once per server process: each child may use READ_MEMORY, so a burst of uploads
# queues here (and is refused after READ_SECONDS) instead of multiplying the memory.
PARALLEL_READS = 2
_READERS = threading.BoundedSemaphore(PARALLEL_READS)
_MEMORY_EXIT = 3
_ROOT = Path(__file__).resolve().parent.parent


class ImportRefused(MessageError):
    """The file as a whole cannot be imported (too big, not a spreadsheet, too many rows)."""


@dataclass
class Sheet:
    """A sheet's rows as read (header first; a blank row is an empty tuple), and what was not
    read: the row where reading stopped after EMPTY_RUN blank rows, cells right of the columns
    read."""

    rows: list[Sequence[Any]] = field(default_factory=list)
    stopped_at: int | None = None
    wide: bool = False
    # The reading child's peak resident memory and address space, in bytes (0: read in-process).
    peak_rss: int = 0
    peak_vm: int = 0


def too_many_rows() -> ImportRefused:
    """The refusal of a sheet with 100,000 data rows or more."""
    return ImportRefused(
        f"表格行数达到或超过 100,000 行，无法一次导入；请拆分为每份不超过 {MAX_ROWS:,} 行。",
        f"The sheet has 100,000 rows or more; split it into files of at most {MAX_ROWS:,} rows.",
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _collect(rows: Iterable[Sequence[Any]], columns: int) -> Sheet:
    """Keep the first `columns` cells of each row; stop at EMPTY_RUN blank rows in a row;
    refuse past MAX_ROWS + 1 filled rows or MAX_SHEET_ROWS rows."""
    sheet = Sheet()
    blank_run = filled = 0
    for number, values in enumerate(rows, start=1):
        if number > MAX_SHEET_ROWS:
            raise ImportRefused(
                f"表格超过 {MAX_SHEET_ROWS:,} 行（含空行），无法一次导入；请删除空行或拆分文件。",
                f"The sheet spans more than {MAX_SHEET_ROWS:,} rows (blank ones included); "
                "remove blank rows or split the file.",
            )
        if not sheet.wide and any(not _blank(v) for v in values[columns:]):
            sheet.wide = True
        cells = values[:columns]
        if all(_blank(v) for v in cells):
            blank_run += 1
            sheet.rows.append(())
            if blank_run >= EMPTY_RUN:
                del sheet.rows[-blank_run:]
                sheet.stopped_at = number - blank_run + 1
                break
            continue
        blank_run = 0
        filled += 1
        if filled > MAX_ROWS + 1:  # the header and 100,000 data rows or more
            raise too_many_rows()
        kept = list(cells)
        while kept[-1] is None:  # openpyxl pads each row to the columns asked for
            kept.pop()
        sheet.rows.append(kept)
    return sheet


def _text_encoding(data: bytes) -> str:
    """The encoding of a text sheet: by its byte-order mark; else UTF-16 without one, told by
    its NUL bytes (the high byte of every delimiter, digit and line break: at odd offsets in
    little-endian, even in big-endian; Excel's "Unicode text" has a BOM, some tools drop it);
    else UTF-8 or GB18030 (GBK), whichever decodes."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    candidates = ["utf-8", "gb18030"]
    head = data[:65536]
    if b"\x00" in head and len(data) % 2 == 0:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 2 * even:
            candidates.insert(0, "utf-16-le")
        elif even > 2 * odd:
            candidates.insert(0, "utf-16-be")
    for encoding in candidates:
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportRefused(
        "无法识别文件编码，请另存为 UTF-8、GBK 或 Unicode（UTF-16）编码的 CSV，或 Excel 文件。",
        "The file's encoding is not recognised; save it as CSV in UTF-8, GBK or Unicode "
        "(UTF-16), or as Excel.",
    )


def read_csv(data: bytes, columns: int) -> Sheet:
    """Rows of a CSV or tab-separated text file (UTF-8, GBK or UTF-16, with or without BOM)."""
    encoding = _text_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportRefused(
            f"文件不是有效的 {encoding.upper()} 文本（有损坏的字符）。",
            f"The file is not valid {encoding.upper()} text (it has broken characters).",
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRefused(
            f"文件第 {line} 行含有空字符（NUL），可能不是文本表格；"
            "请在 Excel 中打开后另存为 CSV 或 .xlsx。",
            f"Line {line} of the file holds a NUL character, so it may not be a text sheet; "
            "open it in Excel and save it as CSV or .xlsx.",
        )
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = ","
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), columns)
    except csv.Error as exc:
        raise ImportRefused(
            f"CSV 文件格式有误：{exc}", f"The CSV file is malformed: {exc}"
        ) from None


def damaged_xlsx() -> ImportRefused:
    """The refusal of an .xlsx that is not a whole zip archive."""
    return ImportRefused(
        "Excel 文件已损坏（不是完整的 .xlsx 压缩包）。",
        "The Excel file is damaged (not a complete .xlsx archive).",
    )


def read_xlsx(data: bytes, columns: int) -> Sheet:
    """Rows of the sheet named 活动/Activities, else the first: columns 1..`columns` (+1 to
    notice more), in openpyxl's streaming read-only mode, ignoring the sheet's claimed size."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise damaged_xlsx() from None
    unpacked = sum(info.file_size for info in parts)
    if unpacked > MAX_XLSX_UNPACKED:
        limit = MAX_XLSX_UNPACKED // 1024 // 1024
        raise ImportRefused(
            f"Excel 文件解压后超过 {limit} MB（{unpacked / 1024 / 1024:,.0f} MB），"
            "可能是压缩炸弹，或含大量格式、图片；请只保留数据后另存，或拆分文件。",
            f"The Excel file unpacks to more than {limit} MB ({unpacked / 1024 / 1024:,.0f} MB): "
            "a zip bomb, or much formatting or pictures; keep only the data, or split the file.",
        )
    if not any(info.filename == "xl/workbook.xml" for info in parts):
        raise ImportRefused(
            "这个压缩文件里没有 Excel 工作簿（可能是 Word、WPS 或 OpenDocument 文件）；"
            "请在 Excel 中另存为 .xlsx。",
            "This archive holds no Excel workbook (it may be a Word, WPS or OpenDocument file); "
            "save it as .xlsx in Excel.",
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportRefused(
            "无法读取该 Excel 文件（文件内容已损坏或不是 .xlsx 格式）。",
            "This Excel file cannot be read (damaged, or not in the .xlsx format).",
        ) from None
    try:
        sheet = next(
            (s for s in book.worksheets if s.title in ("活动", "Activities")), None
        ) or next(iter(book.worksheets), None)
        if sheet is None or not hasattr(sheet, "reset_dimensions"):
            raise ImportRefused("Excel 文件中没有工作表。", "The Excel file has no worksheet.")
        # Trust no claimed size: rows come as the XML has them, at most columns + 1 wide.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(
            min_row=1, max_row=MAX_SHEET_ROWS + 1, max_col=columns + 1, values_only=True
        )
        read = [0]

        def counted():
            for values in rows:
                read[0] += 1
                yield values

        try:
            return _collect(counted(), columns)
        except (ImportRefused, MemoryError):
            raise
        except Exception:
            row = read[0] + 1
            raise ImportRefused(
                f"第 {row} 行有无法读取的单元格（例如位数过多的数字或损坏的内容）。",
                f"Row {row} has a cell that cannot be read (e.g. a number with too many "
                "digits, or damaged content).",
            ) from None
    finally:
        book.close()


def _limit_self(memory: int, seconds: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    os.nice(5)  # the server's own sessions come first (3× its CPU share) on a busy machine


def _skip_sizing() -> None:
    # openpyxl (3.1.5, pinned) sizes every sheet of the book when it opens it, and a sheet with
    # no <dimension> is parsed to its end for that: 4.5 s for 12 MB of rows holding one cell in
    # column XFD each. read_xlsx resets the size anyway, so the reading child skips that pass.
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = lambda self: None


def _peaks() -> tuple[int, int]:
    """This process's peak resident memory and peak address space (VmHWM, VmPeak), in bytes."""
    with open("/proc/self/status") as status:
        found = dict(line.split(":", 1) for line in status if line.startswith("Vm"))
    return tuple(int(found[k].split()[0]) * 1024 for k in ("VmHWM", "VmPeak"))


def _child(argv: list[str]) -> int:
    """The child's main: argv is kind ('csv' or 'xlsx'), columns, memory (bytes), CPU seconds;
    read stdin, write the pickled outcome to stdout."""
    kind, columns, memory, seconds = argv[0], *(int(a) for a in argv[1:])
    _limit_self(memory, seconds)
    if kind == "xlsx":
        _skip_sizing()
    data = sys.stdin.buffer.read()
    try:
        try:
            sheet = (read_xlsx if kind == "xlsx" else read_csv)(data, columns)
            outcome: tuple = ("ok", sheet.rows, sheet.stopped_at, sheet.wide, *_peaks())
        except ImportRefused as exc:
            outcome = ("refused", exc.message.zh, exc.message.en)
        del data
        sys.stdout.buffer.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
        sys.stdout.buffer.flush()
    except MemoryError:
        os._exit(_MEMORY_EXIT)
    return 0


class _Rows(pickle.Unpickler):
    """Unpickles only cell values: builtins, and the datetime types openpyxl returns."""

    _ALLOWED = {("datetime", c.__name__): c for c in (date, datetime, time, timedelta)}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not a cell value") from None


def _too_big() -> ImportRefused:
    limit = READ_MEMORY // 1024 // 1024
    return ImportRefused(
        f"读取该文件需要超过 {limit} MB 内存，无法导入；请只保留数据后另存，或拆分文件。",
        f"Reading this file needs more than {limit} MB of memory; keep only the data, or "
        "split the file.",
    )


def _too_slow() -> ImportRefused:
    return ImportRefused(
        f"读取该文件用时过长（超过 {READ_CPU_SECONDS} 秒计算或 {READ_SECONDS} 秒等待），已停止；"
        "请只保留数据后另存，或拆分文件。",
        f"Reading this file took too long (over {READ_CPU_SECONDS} s of computing or "
        f"{READ_SECONDS} s in all) and was stopped; keep only the data, or split the file.",
    )


def read_in_child(kind: str, data: bytes, columns: int) -> Sheet:
    """Read the file ('csv' or 'xlsx') in a child process bounded in memory and time."""
    if not _READERS.acquire(timeout=READ_SECONDS):
        raise ImportRefused(
            "服务器正忙于读取其他上传的文件，请稍后再试。",
            "The server is busy reading other uploads; try again in a moment.",
        )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "data_access.sheet_reader", kind]
            + [str(n) for n in (columns, READ_MEMORY, math.ceil(READ_CPU_SECONDS))],
            input=data,
            capture_output=True,
            timeout=READ_SECONDS,
            cwd=_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_slow() from None
    finally:
        _READERS.release()
    if done.returncode == _MEMORY_EXIT:
        raise _too_big()
    if done.returncode == -24:  # SIGXCPU: the CPU-time limit
        raise _too_slow()
    try:
        outcome = _Rows(io.BytesIO(done.stdout)).load()
    except Exception:
        # Killed by the memory limit in a C allocation, or the interpreter itself failed.
        if done.returncode < 0 or b"MemoryError" in done.stderr:
            raise _too_big() from None
        raise ImportRefused(
            "无法读取该文件（读取程序意外停止）。",
            "This file cannot be read (the reader stopped unexpectedly).",
        ) from None
    if outcome[0] == "refused":
        raise ImportRefused(outcome[1], outcome[2])
    return Sheet(*outcome[1:])


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
