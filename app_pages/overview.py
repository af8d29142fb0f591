"""总览 Overview: the happiness index and the five pillars' headline indicators."""

import streamlit as st

from data_access import cached
from ui import cards, views
from ui.filters import period_filter, region_filter
from ui.i18n import t

url = st.session_state["store_url"]
period = period_filter(url)
region = region_filter(url)
views.heading(url, t("app.title"), region, period)
views.overview_index(url, region, period)
values = cached.indicator_values(url, region.code, str(period))
last_year = cached.indicator_values(url, region.code, str(period.year_ago()))
cards.overview(region, period, values, last_year)
