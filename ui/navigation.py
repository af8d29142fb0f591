"""The router's pieces, made once per process rather than on every script run: every page by its
URL path, the menu for an account, st.navigation over it (its st.Page objects kept per session),
and the app's icon (an emoji the browser draws: no image to decode)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import streamlit as st

from data_access.auth import AccountInfo, can_write
from data_access.registry import PILLARS
from ui.i18n import current_language, pick, t

PILLAR_ICONS = {
    "organization": ":material/flag:",
    "governance": ":material/gavel:",
    "service": ":material/volunteer_activism:",
    "neighborliness": ":material/diversity_3:",
    "safety": ":material/shield:",
}
# The levels whose accounts review the monthly reports of the level below.
REVIEW_LEVELS = ("city", "district", "street")


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
_KEPT = "_nav_pages"  # this session's st.Page objects and what they were made for


# The app's icon in the browser's tab: an emoji, which the browser draws itself (Streamlit sends it
# as an inline SVG with the character, nothing fetched). An image icon made Streamlit import numpy
# and PIL for it (image_to_url) at every process's first page: ≈ 0.15–0.2 s of a first Overview
# after a start (issue 15 part 4, bench/start.py, docs/performance.md).
PAGE_ICON = "🏠"


def report_pages(account: AccountInfo) -> list[str]:
    """The monthly report's pages this account's menu lists (URL paths)."""
    if not can_write(account):
        return []
    pages = ["report"]
    if account.role == "admin" or account.scope_level in REVIEW_LEVELS:
        pages += ["report-review", "report-import"]
    return pages


def menu_for(account: AccountInfo) -> dict[str, list[str]]:
    """The signed-in account's menu: URL paths by section, in the active language."""
    menu = {t("nav.views"): ["overview", *(p.key for p in PILLARS), "map", "screen"]}
    menu[t("activity.nav")] = [
        *(["record", "import"] if can_write(account) else []),
        "activity-log",
    ]
    if report_pages(account):
        menu[t("report.nav")] = report_pages(account)
    if account.role == "admin":
        menu[t("auth.nav.admin")] = ["admin"]
    return menu


def navigate(
    menu: Mapping[str, list[str]], elsewhere: PageSpec, position: str = "sidebar"
) -> st.Page:
    """st.navigation over the menu (URL paths by section; the first path is the default page,
    at the root URL and at its own path); every other path of PAGES shows the page `elsewhere`,
    hidden from the menu. The st.Page objects are made once per session for a menu and
    language (17 of them cost about a quarter of the router's run). The menu is always whole:
    folded, Streamlit ends it with its own English "View 5 more" (an admin has 15 pages)."""
    key = (current_language(), tuple((s, tuple(p)) for s, p in menu.items()), elsewhere, position)
    kept = st.session_state.get(_KEPT)
    if kept is None or kept[0] != key:
        kept = st.session_state[_KEPT] = (key, _pages(menu, elsewhere))
    return st.navigation(kept[1], position=position, expanded=True)


def _pages(menu: Mapping[str, list[str]], elsewhere: PageSpec) -> dict[str, list[st.Page]]:
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
    return pages
