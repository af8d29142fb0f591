"""幸福社区看板 — the router: page config, store readiness, sign-in gate, navigation by role."""

import streamlit as st

from data_access.auth import can_write
from data_access.registry import PILLARS
from ui import auth
from ui.bootstrap import ensure_store, guarded
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
url = st.session_state["store_url"] = ensure_store()
guarded(auth.ensure_accounts, url)


def overview() -> st.Page:
    return st.Page(
        "app_pages/overview.py",
        title=t("page.overview"),
        icon=":material/dashboard:",
        url_path="overview",
        default=True,
    )


def pillar_pages() -> list[st.Page]:
    return [
        st.Page(
            f"app_pages/{pillar.key}.py",
            title=pick(pillar.name_zh, pillar.name_en),
            icon=PILLAR_ICONS[pillar.key],
            url_path=pillar.key,
        )
        for pillar in PILLARS
    ]


def wall_screen() -> st.Page:
    return st.Page(
        "app_pages/screen.py", title=t("page.screen"), icon=":material/tv:", url_path="screen"
    )


# The pages a wall-screen link may open (data_access.auth.SCREEN_PAGES names them).
SCREEN_PAGES = {"overview": overview, "screen": wall_screen}

link = guarded(auth.screen_link, url)
if link is not False:
    # A wall screen: read-only, one page, the link's region, no menus, no account.
    if link is None:
        st.error(t("auth.screen_invalid"))
        st.stop()
    auth.set_viewer(None, link.region_code)
    guarded(st.navigation([SCREEN_PAGES[link.page]()], position="hidden").run)
    st.stop()

account = guarded(auth.current_account, url)
auth.write_cookie()
if account is None:
    sign_in = st.Page(
        "app_pages/sign_in.py",
        title=t("auth.page.sign_in"),
        icon=":material/login:",
        url_path="sign-in",
        default=True,
    )
    guarded(st.navigation([sign_in]).run)
    st.stop()

auth.set_viewer(account, account.scope_code)
auth.account_sidebar(url, account)
map_page = st.Page("app_pages/map.py", title=t("map.page"), icon=":material/map:", url_path="map")
pages = {t("nav.views"): [overview(), *pillar_pages(), map_page, wall_screen()]}
activity_pages = [
    st.Page(
        "app_pages/activity_log.py",
        title=t("activity.page.log"),
        icon=":material/table_rows:",
        url_path="activity-log",
    )
]
if can_write(account):
    activity_pages[:0] = [
        st.Page("app_pages/record.py", title=t("activity.page.record"),
                icon=":material/edit_note:", url_path="record"),
        st.Page("app_pages/activity_import.py", title=t("activity.page.import"),
                icon=":material/upload_file:", url_path="import"),
    ]  # fmt: skip
pages[t("activity.nav")] = activity_pages
if account.role == "admin":
    pages[t("auth.nav.admin")] = [
        st.Page(
            "app_pages/admin.py",
            title=t("auth.page.admin"),
            icon=":material/admin_panel_settings:",
            url_path="admin",
        )
    ]
guarded(st.navigation(pages).run)
