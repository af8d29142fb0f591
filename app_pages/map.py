"""地图 Map: districts coloured by the index, a pillar or an indicator; click to drill down."""

import streamlit as st

from ui.filters import period_filter
from ui.map_view import map_page

url = st.session_state["store_url"]
map_page(url, period_filter(url))
