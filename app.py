"""幸福社区看板 — the router: page config, store readiness, navigation."""

import streamlit as st

from data_access.registry import PILLARS
from ui.bootstrap import ensure_store
from ui.filters import language_switch
from ui.i18n import pick, t

PILLAR_ICONS = {
    "organization": ":material/flag:",
    "governance": ":material/gavel:",
    "service": ":material/volunteer_activism:",
    "neighborliness": ":material/diversity_3:",
    "safety": ":material/shield:",
}

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
        *(
            st.Page(
                f"app_pages/{pillar.key}.py",
                title=pick(pillar.name_zh, pillar.name_en),
                icon=PILLAR_ICONS[pillar.key],
                url_path=pillar.key,
            )
            for pillar in PILLARS
        ),
        st.Page(
            "app_pages/screen.py", title=t("page.screen"), icon=":material/tv:", url_path="screen"
        ),
    ],
}
st.navigation(pages).run()
