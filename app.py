"""幸福社区看板 — the router: page config, store readiness, sign-in gate, navigation by role."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import streamlit as st

from data_access.auth import can_write
from data_access.registry import PILLARS
from ui import auth
from ui.bootstrap import ensure_store, guarded
from ui.exports import forget_view
from ui.filters import language_switch
from ui.i18n import pick, t
from ui.monthly_report import report_pages

PILLAR_ICONS = {
    "organization": ":material/flag:",
    "governance": ":material/gavel:",
    "service": ":material/volunteer_activism:",
    "neighborliness": ":material/diversity_3:",
    "safety": ":material/shield:",
}

st.set_page_config(page_title="幸福社区看板", page_icon="assets/icon.png", layout="wide")
language_switch()
forget_view()  # a page's downloads describe the view that page says it shows
url = st.session_state["store_url"] = ensure_store()
guarded(auth.ensure_accounts, url)


@dataclass(frozen=True)
class PageSpec:
    script: str
    title: Callable[[], str]
    icon: str


# Every page by its URL path. Each path works for every visitor: a page outside the visitor's
# menu answers with the sign-in form (signed out) or a notice (signed in), never with
# Streamlit's English "Page not found" dialog.
PAGES: dict[str, PageSpec] = {
    "overview": PageSpec(
        "app_pages/overview.py", partial(t, "page.overview"), ":material/dashboard:"
    ),
    **{
        p.key: PageSpec(
            f"app_pages/{p.key}.py", partial(pick, p.name_zh, p.name_en), PILLAR_ICONS[p.key]
        )
        for p in PILLARS
    },
    "map": PageSpec("app_pages/map.py", partial(t, "map.page"), ":material/map:"),
    "screen": PageSpec("app_pages/screen.py", partial(t, "page.screen"), ":material/tv:"),
    "record": PageSpec(
        "app_pages/record.py", partial(t, "activity.page.record"), ":material/edit_note:"
    ),
    "import": PageSpec(
        "app_pages/activity_import.py", partial(t, "activity.page.import"), ":material/upload_file:"
    ),
    "activity-log": PageSpec(
        "app_pages/activity_log.py", partial(t, "activity.page.log"), ":material/table_rows:"
    ),
    "report": PageSpec(
        "app_pages/report.py", partial(t, "report.page.form"), ":material/assignment:"
    ),
    "report-review": PageSpec(
        "app_pages/report_review.py", partial(t, "report.page.review"), ":material/fact_check:"
    ),
    "report-import": PageSpec(
        "app_pages/report_import.py", partial(t, "report.page.import"), ":material/upload:"
    ),
    "admin": PageSpec(
        "app_pages/admin.py", partial(t, "auth.page.admin"), ":material/admin_panel_settings:"
    ),
    "sign-in": PageSpec(
        "app_pages/sign_in.py", partial(t, "auth.page.sign_in"), ":material/login:"
    ),
}
NOT_ALLOWED = PageSpec(
    "app_pages/not_allowed.py", partial(t, "auth.page.not_allowed"), ":material/block:"
)
# Streamlit serves the default page at the root URL and keeps its url_path out of use (st.Page
# docs), so the default page gets this path and its own path is added as a hidden page.
ROOT_PATH = "start"


def navigate(menu: dict[str, list[str]], elsewhere: PageSpec, position: str = "sidebar") -> st.Page:
    """st.navigation over the menu (URL paths by section; the first path is the default page,
    at the root URL and at its own path); every other path of PAGES shows the page `elsewhere`,
    hidden from the menu."""
    first = next(iter(menu.values()))[0]

    def page(spec: PageSpec, url_path: str, **options) -> st.Page:
        return st.Page(
            spec.script, title=spec.title(), icon=spec.icon, url_path=url_path, **options
        )

    pages = {
        section: [
            page(PAGES[p], ROOT_PATH, default=True) if p == first else page(PAGES[p], p)
            for p in paths
        ]
        for section, paths in menu.items()
    }
    listed = {p for paths in menu.values() for p in paths}
    pages[next(iter(pages))] += [  # hidden pages show in no section
        page(PAGES[first] if p in (first, "sign-in") else elsewhere, p, visibility="hidden")
        for p in PAGES
        if p == first or p not in listed
    ]
    return st.navigation(pages, position=position)


link = guarded(auth.screen_link, url)
if link is not False:
    # A wall screen: read-only, one page, the link's region, no menus, no account.
    if link is None:
        st.error(t("auth.screen_invalid"))
        st.stop()
    auth.set_viewer(None, link.region_code)
    guarded(navigate({"": [link.page]}, PAGES[link.page], position="hidden").run)
    st.stop()

account = guarded(auth.current_account, url)
auth.write_cookie()
if account is None:
    # Any page's URL shows the sign-in form; once signed in, the same URL opens that page.
    guarded(navigate({"": ["sign-in"]}, PAGES["sign-in"]).run)
    st.stop()

if guarded(auth.must_change_password, url, account):
    # The first admin's one-time password (printed to the server's log) is replaced first.
    guarded(auth.change_password_page, url, account)
    st.stop()
auth.password_changed_notice()
# Streamlit cuts a card's label and value to one line with an ellipsis: in English at 1920×1080
# "Street/township-level comprehensive-governance centres" lost its end (tests/
# test_look_browser.py). Let them wrap instead. (A <style> alone takes no room.)
st.html(
    "<style>[data-testid='stMetricLabel'] *, [data-testid='stMetricValue'] * {"
    "white-space: normal !important; overflow: visible !important;"
    "text-overflow: clip !important; overflow-wrap: anywhere; }</style>"
)
auth.set_viewer(account, account.scope_code)
auth.account_sidebar(url, account)
menu = {t("nav.views"): ["overview", *(p.key for p in PILLARS), "map", "screen"]}
menu[t("activity.nav")] = [*(["record", "import"] if can_write(account) else []), "activity-log"]
if report_pages(account):
    menu[t("report.nav")] = report_pages(account)
if account.role == "admin":
    menu[t("auth.nav.admin")] = ["admin"]
# A page outside this account's menu (a leader at /record) shows a notice with a way back.
guarded(navigate(menu, NOT_ALLOWED).run)
