"""月报填报 Monthly report: this month's standing figures of the account's region, saved once."""

import streamlit as st

from ui import monthly_report

monthly_report.page(st.session_state["store_url"])
