"""管理 Admin: accounts, wall-screen links, indicator targets and weights (admins only)."""

import streamlit as st

from ui import admin, auth
from ui.i18n import t

account = auth.signed_in()
if account is None or account.role != "admin":
    st.error(t("auth.not_allowed"))
    st.stop()
admin.page(st.session_state["store_url"])
