"""地图 Map: districts coloured by the index, a pillar or an indicator; click to drill down."""

import streamlit as st

from ui.filters import period_filter
from ui.map_view import map_page, map_region

url = st.session_state["store_url"]
period = period_filter(url)
map_page(url, map_region(url), period)
