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
    ],
    t("activity.nav"): [
        st.Page(
            "app_pages/record.py",
            title=t("activity.page.record"),
            icon=":material/edit_note:",
            url_path="record",
        ),
        st.Page(
            "app_pages/activity_log.py",
            title=t("activity.page.log"),
            icon=":material/table_rows:",
            url_path="activity-log",
        ),
        st.Page(
            "app_pages/activity_import.py",
            title=t("activity.page.import"),
            icon=":material/upload_file:",
            url_path="import",
        ),
    ],
}
st.navigation(pages).run()
