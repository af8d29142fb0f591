"""月报导入 Report import: a month's reports of many regions from one sheet, all or nothing."""

import streamlit as st

from ui import report_import

report_import.page(st.session_state["store_url"])
