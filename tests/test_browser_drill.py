"""In a real browser: clicking a district's bar in the Overview's ranking drills down to it, and the
breadcrumb goes back up (the Vega-Lite selection round trip AppTest cannot exercise)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(sqlite_url):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT,
        env={**os.environ, "HAPPY_DB_URL": sqlite_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Chromium is not installed")
def test_clicking_a_bar_drills_down_and_the_breadcrumb_goes_back(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        page.set_default_timeout(90_000)
        page.goto(f"{server}/?period=2025")
        ranking = page.get_by_test_id("stVegaLiteChart").nth(2)
        ranking.locator("canvas, svg").first.wait_for()
        page.wait_for_timeout(2000)  # the chart draws its bars after the element appears
        box = ranking.locator("canvas, svg").first.bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + 14)
        page.wait_for_url(lambda url: "region=2101" in url and "region=210100" not in url)
        code = page.url.split("region=")[1].split("&")[0]
        assert len(code) == 6 and code != "210100"
        page.get_by_role("button", name="沈阳市 ›").click()
        page.wait_for_url("**region=210100*")
        browser.close()
