"""大屏 Wall screen: rotating, self-refreshing slides for command-centre screens."""

import streamlit as st

from data_access import cached
from data_access.periods import parse_period
from ui import auth, screen
from ui.filters import DEFAULT_PERIOD, in_scope, scope_root
from ui.format import period_label

url = st.session_state["store_url"]
config, notices = screen.parse_config(st.query_params.to_dict(), DEFAULT_PERIOD)
root = scope_root(url)
region_code = config.region_code or root.code
if cached.region(url, region_code) is None or not in_scope(url, region_code, root):
    notices.append(screen.bad_param("region", region_code))
    region_code = root.code
for notice in notices:
    st.toast(notice, icon="⚠️")
screen.run(
    config,
    lambda: cached.screen_snapshot(url, region_code, config.period),
    period_label(parse_period(config.period)),
    auth.screen_viewer_check(url),
)
