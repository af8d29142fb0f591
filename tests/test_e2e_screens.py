"""In a real browser against `streamlit run app.py`: the wall screen through a screen link rotates
and refreshes on its own at 1920×1080 with nothing loaded from outside and no console error; and
every page is opened at desktop and phone sizes (the wall screen at 1920×1080 and 4K), with
screenshots written to a folder for people to look at (HAPPY_SCREENSHOTS, default
test-artifacts/screenshots)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from data_access.accounts import add_screen_link
from data_access.db import make_engine, write_session
from data_access.models import Region
from tests.browser import (
    Watch,
    settle,
    sign_in,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("HAPPY_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
PAGES = {
    "overview": "/",
    "organization": "/organization",
    "governance": "/governance",
    "service": "/service",
    "neighborliness": "/neighborliness",
    "safety": "/safety",
    "map": "/map",
    "activity-log": "/activity-log",
    "record": "/record",
    "import": "/import",
    "report": "/report",
    "report-review": "/report-review",
    "report-import": "/report-import",
    "admin": "/admin",
}
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}


def _footer(page) -> str:
    return page.locator(".hs-footer").inner_text()


def test_a_screen_link_rotates_and_refreshes_without_outside_requests(server, browser, sqlite_url):
    engine = make_engine(sqlite_url)
    with write_session(engine) as session:
        district = session.scalar(select(Region.id).where(Region.code == "210104"))
        token = add_screen_link(session, None, "e2e", district).token
    engine.dispose()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    watch = Watch(page)
    page.goto(f"{server}/?screen={token}&interval=5&slides=index,ranking")
    page.wait_for_selector(".hs-screen", timeout=90_000)
    first = _footer(page)
    assert "1/2" in first and "大东区" in page.locator(".hs-header").inner_text()
    page.wait_for_function(
        "() => document.querySelector('.hs-footer')?.innerText.includes('2/2')", timeout=30_000
    )
    assert "排名" in page.locator(".hs-body").inner_text()
    page.wait_for_function(
        "() => document.querySelector('.hs-footer')?.innerText.includes('1/2')", timeout=30_000
    )
    # The footer gives the time the data was read (a snapshot shared for up to a minute), fresh.
    assert "数据时间" in _footer(page) and page.locator(".hs-stale").count() == 0
    # Nothing but the slides: no sidebar, header or toolbar, and no scrollbars.
    for chrome in ("stSidebar", "stHeader", "stToolbar", "stStatusWidget"):
        shown = page.locator(f"[data-testid={chrome}]")
        assert shown.count() == 0 or not shown.first.is_visible(), chrome
    assert page.evaluate("() => document.documentElement.scrollHeight <= window.innerHeight + 1"), (
        "the screen scrolls"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "screen-link-1920x1080.png"))
    page.close()
    assert watch.outside == [], f"requests left the server: {watch.outside}"
    assert watch.problems() == []


def test_every_page_opens_at_desktop_and_phone_size(server, browser, sqlite_url):
    # Each page is loaded once, at desktop size, then narrowed to a phone's: what the server
    # sends does not depend on the width, and the layout follows the window (a load per size
    # cost about 50 s of CI).
    context = browser.new_context(viewport=SIZES["desktop"])
    sign_in(context, server, sqlite_url, "admin")
    page = context.new_page()
    watch = Watch(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES.items():
        page.set_viewport_size(SIZES["desktop"])
        page.goto(f"{server}{path}")
        page.wait_for_selector(
            "[data-testid=stMainBlockContainer] [data-testid=stElementContainer]", timeout=90_000
        )
        settle(page)  # the script run finished and drawn (was a fixed 2.5 s)
        assert page.locator("[data-testid=stException]").count() == 0, name
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"))
        page.set_viewport_size(SIZES["phone"])
        settle(page)  # charts and maps drawn again at the new width
        assert page.locator("[data-testid=stException]").count() == 0, name
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= SIZES["phone"]["width"], f"{name} is wider than a phone"
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"))
    context.close()
    assert watch.outside == [], f"requests left the server: {watch.outside}"
    assert watch.problems() == []


def test_the_wall_screen_fills_a_4k_screen(server, browser, sqlite_url):
    context = browser.new_context(viewport={"width": 3840, "height": 2160})
    sign_in(context, server, sqlite_url, "admin")
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{server}/screen?slides=index")
    page.wait_for_selector(".hs-screen", timeout=90_000)
    box = page.locator(".hs-screen").bounding_box()
    assert box["width"] > 3600 and box["height"] > 1900
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "screen-3840x2160.png"))
    context.close()
    assert watch.outside == [], f"requests left the server: {watch.outside}"
    assert watch.problems() == []
