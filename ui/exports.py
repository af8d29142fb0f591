"""A chart's data as CSV and Excel files, offered with two download buttons."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from ui.i18n import t


def to_csv(frame: pd.DataFrame) -> bytes:
    """The frame as CSV bytes (UTF-8 with a BOM, so that Excel reads the Chinese labels)."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """The frame as an Excel workbook (openpyxl)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="data")
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
