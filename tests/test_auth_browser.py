"""Signing in a real browser: the session survives a reload, sign-out ends it, nothing leaks."""

from __future__ import annotations

import os

import pytest

from tests.auth_helpers import PASSWORDS
from tests.browser import CHROMIUM, CHROMIUM_ARGS, polled, require_chromium, streamlit_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(sqlite_url, tmp_path_factory):
    require_chromium()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with streamlit_server({**os.environ, "HAPPY_DB_URL": sqlite_url}, log) as base:
        yield base, log


def _cookie(page, present: bool) -> dict | None:
    """The session cookie once it is there (present) or gone (not present): the page sets and
    clears it a moment after it shows its signed-in or signed-out content."""
    return polled(
        lambda: next((c for c in page.context.cookies() if c["name"] == "happy_session"), None),
        lambda cookie: (cookie is not None) == present,
        pause=0.1,
    )


def test_a_sign_in_survives_a_reload_and_sign_out_ends_it(server):
    from playwright.sync_api import sync_playwright

    base, log = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                outside.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None
            ),
        )
        page.goto(base)
        page.wait_for_selector("text=登录幸福社区看板", timeout=90_000)
        page.get_by_label("用户名").fill("leader")
        page.get_by_label("密码").fill(PASSWORDS["leader"])
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("text=组织有力", timeout=90_000)
        cookie = _cookie(page, present=True)
        assert cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 40
        assert PASSWORDS["leader"] not in page.url and cookie["value"] not in page.url

        page.reload()
        page.wait_for_selector("text=退出登录", timeout=90_000)  # still signed in

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_selector("text=您已退出登录", timeout=60_000)
        assert _cookie(page, present=False) is None
        page.reload()
        page.wait_for_selector("text=登录幸福社区看板", timeout=90_000)
        browser.close()
    assert not outside  # nothing loaded from outside the server
    assert PASSWORDS["leader"] not in log.read_text(encoding="utf-8")
