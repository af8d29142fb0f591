"""月报导入 A month's reports of many regions from one sheet: the template (the regions of the
account's scope and their figures, with last month's values), the upload checked row by row,
then every row saved or none."""

from __future__ import annotations

import streamlit as st

from ui.i18n import t
from ui.monthly_report import month_chooser


def page(url: str) -> None:
    """The report import page."""
    st.title(t("report.page.import"))
    st.caption(t("report.import.intro"))
    month_chooser()
