"""活动录入 Record an activity: one form, saved exactly once, errors next to the fields."""

import streamlit as st

from ui import record_page

record_page.page(st.session_state["store_url"])
