"""总览 Overview: the happiness index and the five pillars' headline indicators."""

import streamlit as st

from ui import attention, notes, views
from ui.filters import period_filter, region_filter
from ui.i18n import t

url = st.session_state["store_url"]
period = period_filter(url)
region = region_filter(url)
views.heading(url, t("app.title"), region, period)
attention.panel(url, region, period)
views.overview_index(url, region, period)
views.overview_cards(url, region, period)
notes.section(url, region, period)
