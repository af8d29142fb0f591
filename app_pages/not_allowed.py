"""无权访问 A page outside the account's menu (a leader at /record): a notice and a way back."""

import streamlit as st

from ui.i18n import t

st.title(t("auth.page.not_allowed"))
st.warning(t("auth.not_allowed"))
st.page_link("app_pages/overview.py", label=t("auth.back_to_overview"), icon=":material/dashboard:")
