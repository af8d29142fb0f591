"""总览 Overview: the five pillars' headline indicators for the chosen region and period."""

import streamlit as st

from data_access import cached
from ui import auth, cards
from ui.filters import period_filter

url = st.session_state["store_url"]
period = period_filter(url)
region = cached.as_region(cached.region(url, auth.scope_code()))
values = cached.indicator_values(url, region.code, str(period))
last_year = cached.indicator_values(url, region.code, str(period.year_ago()))
cards.overview(region, period, values, last_year)
