"""月报审核 Report review: the reports of the regions below, approve or return with a comment."""

import streamlit as st

from ui import report_review

report_review.page(st.session_state["store_url"])
