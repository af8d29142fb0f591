"""Signing in a real browser: the session survives a reload, sign-out ends it, nothing leaks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.auth_helpers import PASSWORDS, ROOT

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium")


def _port() -> int:
    if os.environ.get("HAPPY_BROWSER_TEST_PORT"):
        return int(os.environ["HAPPY_BROWSER_TEST_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(sqlite_url, tmp_path_factory):
    port = _port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "HAPPY_DB_URL": sqlite_url}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        yield base, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_sign_in_survives_a_reload_and_sign_out_ends_it(server):
    from playwright.sync_api import sync_playwright

    base, log = server
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
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
        page.wait_for_timeout(1000)
        cookie = next(c for c in page.context.cookies() if c["name"] == "happy_session")
        assert cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 40
        assert PASSWORDS["leader"] not in page.url and cookie["value"] not in page.url

        page.reload()
        page.wait_for_selector("text=退出登录", timeout=90_000)  # still signed in

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_selector("text=您已退出登录", timeout=60_000)
        page.wait_for_timeout(1000)
        assert not [c for c in page.context.cookies() if c["name"] == "happy_session"]
        page.reload()
        page.wait_for_selector("text=登录幸福社区看板", timeout=90_000)
        browser.close()
    assert not outside  # nothing loaded from outside the server
    assert PASSWORDS["leader"] not in log.read_text(encoding="utf-8")
