"""In a real browser: clicking a district's bar in the Overview's ranking drills down to it, and the
breadcrumb goes back up (the Vega-Lite selection round trip AppTest cannot exercise)."""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, settle, sign_in, wait_painted

pytestmark = pytest.mark.browser


def test_clicking_a_bar_drills_down_and_the_breadcrumb_goes_back(server, sqlite_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        sign_in(context, server, sqlite_url, "admin")
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(f"{server}/?period=2025")
        ranking = page.get_by_test_id("stVegaLiteChart").nth(2)
        chart = ranking.locator("canvas, svg").first
        chart.wait_for()
        box = chart.bounding_box()
        wait_painted(chart, box["width"] * 0.5, 14)  # the first district's bar, drawn
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 14)
        page.wait_for_url(lambda url: "region=2101" in url and "region=210100" not in url)
        code = page.url.split("region=")[1].split("&")[0]
        assert len(code) == 6 and code != "210100"
        # The district's page drawn to its end, as a person sees it before clicking on: a click
        # on the breadcrumb while that run was still going failed once in CI (session 13; see
        # the closing note: the city chart's selection may outlive an interrupted run).
        settle(page)
        page.get_by_role("button", name="沈阳市 ›").click()
        page.wait_for_url("**region=210100*")
        browser.close()
