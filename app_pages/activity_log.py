"""活动台账 Activity log: filter, page through, export, open a record to edit or delete it."""

import streamlit as st

from ui import activity_log
from ui.i18n import t

url = st.session_state["store_url"]
st.title(t("activity.page.log"))
flt = activity_log.filter_bar(url)
selected = activity_log.table(url, flt)
activity_log.exports(url, flt)
if selected is not None:
    activity_log.record_panel(url, selected)
