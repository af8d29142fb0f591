"""In a real browser at 1920×1080, in English: the Overview's cards show their labels and values
whole, and the wall screen's ranking keeps every row above the footer (screenshots in
test-artifacts/look/ for a person to check the charts' legends and colours)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("HAPPY_SCREENSHOTS", ROOT / "test-artifacts")) / "look"

# Every element of a card's (or a metric's) label or value whose text is wider than its box (cut,
# with or without an ellipsis), as [test id or tag, text, text width, box width].
CUT_IN_CARDS = """() => [...document.querySelectorAll(
    '[data-testid="stMetricValue"], [data-testid="stMetricLabel"], .hs-card-value, .hs-card-label')]
  .flatMap(m => [m, ...m.querySelectorAll('*')])
  .filter(e => e.scrollWidth > e.clientWidth + 1)
  .map(e => [e.dataset.testid || e.tagName, e.textContent, e.scrollWidth, e.clientWidth])"""

# The ranking rows that reach below the top of the footer, and the names wider than their box.
RANKING_FIT = """() => {
  const footer = document.querySelector('.hs-footer').getBoundingClientRect().top;
  const rows = [...document.querySelectorAll('.hs-rank')];
  return {
    rows: rows.length,
    below: rows.filter(r => r.getBoundingClientRect().bottom > footer).map(r => r.textContent),
    tall: rows.filter(r => r.getBoundingClientRect().height > 2.2 * parseFloat(
      getComputedStyle(r).fontSize)).map(r => r.textContent),
  };
}"""


def test_english_at_1920_cards_are_whole_and_the_ranking_slide_fits(server, sqlite_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        sign_in(context, server, sqlite_url, "admin")
        page = context.new_page()
        page.set_default_timeout(120_000)

        page.goto(f"{server}/?lang=en&period=2025")
        page.locator(".hs-card-value").first.wait_for()
        page.get_by_test_id("stVegaLiteChart").nth(2).locator("canvas, svg").first.wait_for()
        page.wait_for_timeout(3000)  # the charts draw after their elements appear
        page.screenshot(path=SHOTS / "overview-en-1920.png", full_page=True)
        # The index's six score cards and the pillars' indicator cards (HTML, ui/cards.py).
        page.locator(".hs-card-value").first.wait_for()
        assert page.locator(".hs-cards-6 .hs-card-value").count() == 6
        assert page.locator(".hs-card-value").count() >= 6 + 15
        assert page.evaluate(CUT_IN_CARDS) == []

        page.goto(f"{server}/screen?lang=en&slides=ranking&region=210100")
        page.locator(".hs-rank").first.wait_for()
        page.screenshot(path=SHOTS / "screen-ranking-en-1920.png")
        fit = page.evaluate(RANKING_FIT)
        assert fit["rows"] == 13 and fit["below"] == [] and fit["tall"] == []
        # Opened by a signed-in account, the screen has a visible way back, and Esc takes it.
        leave = page.get_by_role("button", name="Leave the wall screen")
        box = leave.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 1080
        page.keyboard.press("Escape")
        page.locator(".hs-card-value").first.wait_for()
        assert "/screen" not in page.url
        browser.close()
