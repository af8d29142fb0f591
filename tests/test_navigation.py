"""Every page has a working URL for every visitor (issue 11, item 13): /overview opens the
Overview, a page outside the account's menu shows a notice in the user's language with a way
back, and a signed-out visitor gets the sign-in form and then the page asked for; never
Streamlit's English "Page not found" dialog."""

from __future__ import annotations

import os
from urllib.parse import unquote

import pytest

from data_access.auth import get_account_by_username
from data_access.db import read_session
from data_access.store import open_store
from tests.auth_helpers import PASSWORDS, app_as
from tests.browser import Watch, settle, sign_in, streamlit_server
from ui.navigation import PAGE_ICON, menu_for

NOT_ALLOWED = "app_pages/not_allowed.py"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_page_outside_the_menu_says_so_with_a_way_back(app_env, lang):
    leader = app_as(app_env, "leader", lang)
    for page in (
        "app_pages/record.py",
        "app_pages/activity_import.py",
        "app_pages/admin.py",
        "app_pages/report.py",
        "app_pages/report_review.py",
        "app_pages/report_import.py",
    ):
        with pytest.raises(ValueError):  # the page itself is not registered for a leader
            leader.switch_page(page)
    leader.switch_page(NOT_ALLOWED).run()  # what the leader's /record, /import, /admin run
    assert not leader.exception
    assert leader.title[0].value == ("无权访问" if lang == "zh" else "Not available")
    assert leader.warning[0].value == (
        "您没有权限查看此页面。" if lang == "zh" else "You may not open this page."
    )
    back = leader.get("page_link")[0]
    assert back.proto.label == ("返回总览" if lang == "zh" else "Back to the overview")
    assert back.proto.page == ""  # the Overview, at the root URL


def test_the_overview_is_the_default_page_and_keeps_its_own_path(app_env):
    at = app_as(app_env, "admin")
    assert not at.exception and at.title[0].value == "幸福社区看板"
    at.switch_page("app_pages/overview.py").run()  # the hidden page at /overview
    assert not at.exception and at.title[0].value == "幸福社区看板"


def test_a_sessions_menu_follows_its_language(app_env):
    """The router keeps a session's st.Page objects (ui/navigation.py) for its menu and
    language: the menu of the next run in another language has that language's titles."""
    at = app_as(app_env, "admin")

    def titles() -> dict[str, str]:  # what the browser's menu gets: title by URL path ('' the root)
        return {i["url_pathname"]: i["page_name"] for i in at._registered_pages.values()}

    assert titles()["record"] == "活动录入" and titles()[""] == "总览"
    at.run()
    assert titles()["record"] == "活动录入"
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert titles()["record"] == "Record an activity" and titles()[""] == "Overview"
    at.session_state["lang"] = "zh"
    at.run()
    assert titles()["admin"] == "管理"


@pytest.mark.browser
def test_every_page_url_works_for_every_visitor(browser, sqlite_url, tmp_path):
    env = {**os.environ, "HAPPY_DB_URL": sqlite_url}
    with streamlit_server(env, tmp_path / "server.log") as base:
        # A leader: /overview is the Overview; the staff and admin pages say they are not for
        # this account.
        context = browser.new_context()
        sign_in(context, base, sqlite_url, "leader")
        page = context.new_page()
        watch = Watch(page)
        seen = {}
        for path in ("overview", "record", "import", "admin", "report", "report-review"):
            page.goto(f"{base}/{path}")
            page.wait_for_selector("h1", timeout=90_000)
            settle(page)  # the dialog, if any, comes with the session, before the run ends
            seen[path] = (
                page.locator("h1").first.inner_text(),
                page.get_by_text("Page not found").count(),
            )
        assert seen == {
            "overview": ("幸福社区看板", 0),
            "record": ("无权访问", 0),
            "import": ("无权访问", 0),
            "admin": ("无权访问", 0),
            "report": ("无权访问", 0),
            "report-review": ("无权访问", 0),
        }
        page.get_by_role("link", name="返回总览").click()
        page.wait_for_selector("text=幸福指数", timeout=90_000)
        back_at = page.url
        # The tab's icon: the app's emoji, drawn by the browser in an inline SVG (an image icon
        # made Streamlit import numpy and PIL at each process's first page; test_start_imports).
        icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
        context.close()

        # An admin's menu (15 pages) is whole, with no folding button in Streamlit's English.
        context = browser.new_context()
        sign_in(context, base, sqlite_url, "admin")
        page = context.new_page()
        admin = Watch(page)
        page.goto(base)
        page.wait_for_selector("text=幸福指数", timeout=90_000)
        settle(page)
        menu = page.get_by_test_id("stSidebarNav")
        links = menu.get_by_test_id("stSidebarNavLink").count()
        folding = menu.get_by_test_id("stSidebarNavViewButton").count()
        context.close()

        # Signed out: any page's URL shows the sign-in form, then the page asked for.
        context = browser.new_context()
        page = context.new_page()
        outsider = Watch(page)
        page.goto(f"{base}/activity-log")
        page.wait_for_selector("text=登录幸福社区看板", timeout=90_000)
        settle(page)
        dialogs = page.get_by_text("Page not found").count()
        page.get_by_label("用户名").fill("leader")
        page.get_by_label("密码").fill(PASSWORDS["leader"])
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("h1:has-text('活动台账')", timeout=90_000)
        after_sign_in = page.url
        context.close()

    assert back_at.split("?")[0] == f"{base}/"
    assert icon.startswith("data:image/svg+xml") and PAGE_ICON in unquote(icon), icon
    assert dialogs == 0 and after_sign_in.split("?")[0] == f"{base}/activity-log"
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        pages = sum(map(len, menu_for(get_account_by_username(session, "admin")).values()))
    engine.dispose()
    assert (links, folding) == (pages, 0) and pages > 12  # 12: where Streamlit folds a menu
    assert not watch.outside and not outsider.outside and not admin.outside
    assert not watch.problems() and not outsider.problems() and not admin.problems()
