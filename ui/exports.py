"""Every export of data (charts' data, rankings, the activity log) as CSV and Excel: one writer,
and one function that makes a cell safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import streamlit as st

from data_access import clock
from ui.format import local_time, local_zone
from ui.i18n import t, t_text

if TYPE_CHECKING:  # pandas is imported where a file is made: not on the sign-in page's path
    import pandas as pd

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
    import pandas as pd

    out = frame.rename(columns=lambda c: safe_cell(str(c)))
    for i, dtype in enumerate(out.dtypes):
        if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
            out.isetitem(i, out.iloc[:, i].map(safe_cell))
    return out


ABOUT_KEY = "_export_about"  # (region, period) of the view the page shows, for its downloads


@dataclass(frozen=True)
class About:
    """What an export is of: its title, region and period, and when it was made (UTC)."""

    title: str
    region: str | None
    period: str | None
    made_at: datetime

    def lines(self) -> list[tuple[str, str]]:
        """The lines above the table: title, region, period, time of export in the users' zone."""
        made = f"{local_time(self.made_at)} ({local_zone().key})"
        rows = [(t_text("export.title"), self.title)]
        if self.region:
            rows.append((t_text("export.region"), self.region))
        if self.period:
            rows.append((t_text("export.period"), self.period))
        return [*rows, (t_text("export.made_at"), made)]

    def file_name(self, extension: str) -> str:
        """title_region_period_yyyymmdd-hhmm.ext (in the users' zone), safe on every system."""
        stamp = self.made_at.astimezone(local_zone()).strftime("%Y%m%d-%H%M")
        parts = [self.title, self.region, self.period, stamp]
        return "_".join(_file_part(p) for p in parts if p) + f".{extension}"


# Characters Windows, macOS or a browser refuse or change in a file name.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


@functools.lru_cache(maxsize=1024)  # titles, names, periods, minutes: six a warm Overview run
def _file_part(text: str) -> str:
    kept = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    return _NOT_IN_NAMES.sub("-", kept).strip("-. ")[:60]


def describe_view(region: str, period: str) -> None:
    """Say which region and period this run's page shows, for the downloads it offers."""
    st.session_state[ABOUT_KEY] = (region, period)


def forget_view() -> None:
    """At the start of a run: the downloads describe only what this run's page says it shows."""
    st.session_state.pop(ABOUT_KEY, None)


def about(title: str) -> About:
    """An export of `title` from the view this run shows, made now."""
    region, period = st.session_state.get(ABOUT_KEY) or (None, None)
    return About(title, region, period, clock.now())


def to_csv(frame: pd.DataFrame, about: About | None = None) -> bytes:
    """The frame as CSV bytes (UTF-8 with a BOM, so that Excel reads the Chinese labels); with
    `about`, its lines and a blank line come first."""
    # CRLF rows (RFC 4180): the csv module then quotes any cell holding a CR or an LF; with LF
    # rows a lone CR went out unquoted and split the row where a spreadsheet reads it.
    text = safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
    if about is not None:
        head = io.StringIO()
        writer = csv.writer(head, lineterminator="\r\n")
        writer.writerows([[safe_cell(v) for v in line] for line in about.lines()])
        writer.writerow([])
        text = head.getvalue() + text
    return text.encode("utf-8-sig")


def _xlsx_value(sheet, value: Any) -> Any:
    import pandas as pd
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


def _width(values: list[Any]) -> float:
    # East Asian wide characters take two columns of a spreadsheet's width unit.
    def size(value: Any) -> int:
        text = value if isinstance(value, str) else str(value)
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    return min(60, max((size(v) for v in values if v is not None), default=4) + 2)


def _number_format(column: pd.Series) -> str | None:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_integer_dtype(column):
        return "#,##0"
    if pd.api.types.is_float_dtype(column):
        present = column.dropna()
        whole = bool(len(present)) and bool((present == present.round()).all())
        return "#,##0" if whole else "#,##0.0##"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "yyyy-mm-dd hh:mm"
    return None


def to_xlsx(frame: pd.DataFrame, about: About | None = None) -> bytes:
    """The frame as an Excel workbook (openpyxl, written row by row): with `about`, its lines
    first; then a bold header row that stays in view, column widths to fit, thousands
    separators on numbers."""
    # openpyxl here, when a file is asked for: 0.2 s at every start otherwise.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    frame = safe_frame(frame)
    lines = about.lines() if about is not None else []
    header_row = len(lines) + (2 if lines else 1)
    for i, name in enumerate(frame.columns):
        values = [name, *frame.iloc[:200, i].tolist()]
        letter = _column_letter(i + 1)
        sheet.column_dimensions[letter].width = _width(values)
    sheet.freeze_panes = f"A{header_row + 1}"
    if len(frame.columns):
        last = _column_letter(len(frame.columns))
        sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(frame)}"
    bold = Font(bold=True)
    for label, value in lines:
        first = WriteOnlyCell(sheet, safe_cell(label))
        first.font = bold
        sheet.append([first, _xlsx_value(sheet, safe_cell(value))])
    if lines:
        sheet.append([])
    header = []
    for name in frame.columns:
        cell = WriteOnlyCell(sheet, _xlsx_value(sheet, name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [_number_format(frame.iloc[:, i]) for i in range(len(frame.columns))]
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for value, number_format in zip(row, formats, strict=True):
            value = _xlsx_value(sheet, value)
            number = isinstance(value, int | float | datetime) and not isinstance(value, bool)
            if number_format and number:
                value = WriteOnlyCell(sheet, value)
                value.number_format = number_format
            cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


def _as_frame(data: pd.DataFrame | list[dict]) -> pd.DataFrame:
    if isinstance(data, list):  # plain rows (the Overview's ranking): a frame only when asked
        import pandas as pd

        return pd.DataFrame(data)
    return data


def download_buttons(frame: pd.DataFrame | list[dict], name: str, key: str) -> None:
    """CSV and Excel downloads of a chart's or table's data (a frame, or plain rows: dicts of
    the same columns), behind one 下载数据 button whose menu holds them; the files are made only
    when asked. Their names and first lines say the region and period of the view
    (describe_view) and the time of export (when the menu was opened)."""
    # The two buttons are drawn only while the menu is open: two widgets and their row on every
    # run, three times on the Overview, were a seventh of a warm run's CPU (docs/performance.md
    # "Issue 15, session 12"); a closed menu is one element.
    menu = st.popover(
        t("views.download"), icon=":material/download:", key=f"dl_{key}", on_change="rerun"
    )
    if not menu.open:
        return
    described = about(name)
    menu.download_button(
        t("views.download_csv"),
        data=lambda: to_csv(_as_frame(frame), described),
        file_name=described.file_name("csv"),
        mime="text/csv",
        key=f"csv_{key}",
        on_click="ignore",
        width="stretch",
    )
    menu.download_button(
        t("views.download_xlsx"),
        data=lambda: to_xlsx(_as_frame(frame), described),
        file_name=described.file_name("xlsx"),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        on_click="ignore",
        width="stretch",
    )
