"""幸福社区看板 — the router: page config, store readiness, navigation."""

import streamlit as st

from ui.bootstrap import ensure_store
from ui.filters import language_switch
from ui.i18n import t

st.set_page_config(page_title="幸福社区看板", page_icon="assets/icon.png", layout="wide")
language_switch()
st.session_state["store_url"] = ensure_store()

pages = {
    t("nav.views"): [
        st.Page(
            "app_pages/overview.py",
            title=t("page.overview"),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
        st.Page("app_pages/map.py", title=t("map.page"), icon=":material/map:", url_path="map"),
    ],
}
st.navigation(pages).run()
