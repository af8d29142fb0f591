"""Every export of data (charts' data, rankings, the activity log) as CSV and Excel: one writer,
and one function that makes a cell safe to open in a spreadsheet."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from ui.i18n import t

# A cell starting with one of these is read as a formula by Excel, LibreOffice or WPS (OWASP CSV
# injection), the full-width forms by some Chinese spreadsheet programs; the control characters
# because some programs drop them and read what follows.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# What XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF):
# one such character makes the whole .xlsx unreadable, and a lone surrogate cannot be UTF-8.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def safe_cell(value: Any) -> Any:
    """A value as every export writes it: text without the characters XML forbids and, when it
    would start a formula, with a leading ' (OWASP); numbers, dates and empty cells unchanged."""
    if not isinstance(value, str):
        return value
    text = _NOT_XML.sub("", value)
    # Spreadsheets skip leading spaces before reading a formula.
    if text.lstrip(" \u3000").startswith(FORMULA_LEADS):
        return "'" + text
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell and header made safe by `safe_cell`."""
    out = frame.rename(columns=lambda c: safe_cell(str(c)))
    for i, dtype in enumerate(out.dtypes):
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            out.isetitem(i, out.iloc[:, i].map(safe_cell))
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV bytes (UTF-8 with a BOM, so that Excel reads the Chinese labels)."""
    # CRLF rows (RFC 4180): the csv module then quotes any cell holding a CR or an LF; with LF
    # rows a lone CR went out unquoted and split the row where a spreadsheet reads it.
    text = safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _xlsx_value(sheet, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES

    if value is None or (
        pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)
    ):
        return None  # None, NaN, NaT, pd.NA: an empty cell
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        # openpyxl types such text as a formula or an error; it is text. (safe_cell leaves no
        # leading =, so this is the second guard; other text is typed 's' by openpyxl itself.)
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, date | datetime):
        return value.item()  # a NumPy number
    return value


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """The frame as an Excel workbook (openpyxl, written row by row)."""
    from openpyxl import Workbook  # here, when a file is asked for: 0.2 s at every start

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    frame = safe_frame(frame)
    sheet.append([_xlsx_value(sheet, name) for name in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_xlsx_value(sheet, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and Excel download buttons for a chart's data; the files are made only when asked."""
    row = st.container(horizontal=True)
    left = right = row
    left.download_button(
        t("views.download_csv"),
        data=lambda: to_csv(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key}",
        on_click="ignore",
    )
    right.download_button(
        t("views.download_xlsx"),
        data=lambda: to_xlsx(frame),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        on_click="ignore",
    )
