"""Shared pieces of the browser tests: `streamlit run app.py` on a free port, headless Chromium
(Debian's, through Playwright) and signing a browser in without typing a password."""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.auth_helpers import session_token
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Streamlit probes the health endpoints under a page's own path before the root (upstream issue
# streamlit/streamlit#7074); these two 404s on sub-path pages are its, not ours.
UPSTREAM_404 = re.compile(r"/[a-z-]+/_stcore/(health|host-config)$")


# The app's own record of its script run (Streamlit sets it on its root element for tests).
RUN_OVER = (
    "() => ['notRunning', 'compilationError'].includes("
    "document.querySelector('[data-testid=stApp]')?.dataset.testScriptState)"
)


def settle(page, timeout: int = 90_000) -> None:
    """Wait until the app has finished the script run a load, a click or an edit started (the
    run state Streamlit keeps on its root element, as its own browser tests read it: after
    210 ms, for the run to have begun), and the browser has drawn it."""
    page.wait_for_timeout(210)
    page.wait_for_function(RUN_OVER, timeout=timeout)
    page.wait_for_timeout(200)


# Whether a chart has painted at a point (x, y in CSS pixels from its top left), the chart being
# its <canvas> or <svg>: Vega draws the marks after the element appears, a moment that moves with
# the machine's load (a fixed wait of 2 s was the drill test's guess).
PAINTED = """([chart, x, y]) => {
  const box = chart.getBoundingClientRect();
  if (chart.tagName.toLowerCase() === 'svg') {  // a bar (a rect mark) under the point
    const hit = document.elementFromPoint(box.left + x, box.top + y);
    return hit !== null && chart.contains(hit) && hit.closest('.mark-rect') !== null;
  }
  if (!box.width || !box.height || !chart.width || !chart.height) { return false; }
  const dot = chart.getContext('2d').getImageData(
    Math.floor(x * chart.width / box.width), Math.floor(y * chart.height / box.height), 1, 1);
  return dot.data[3] > 0;
}"""


def wait_painted(chart, x: float, y: float, timeout: int = 90_000) -> None:
    """Wait until the chart (a locator of its canvas or svg) has painted at (x, y)."""
    chart.page.wait_for_function(PAINTED, arg=[chart.element_handle(), x, y], timeout=timeout)


def polled(read, done, patience: float = 30.0, pause: float = 0.25):
    """read() again every `pause` seconds until done(value) holds or `patience` seconds have
    passed; the last value read (the caller asserts on it, so a failure shows what was seen)."""
    deadline = time.monotonic() + patience
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(pause)


def require_chromium() -> None:
    """Fail (never skip) when Chromium is missing: CI installs it, so its absence is an error."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (bash scripts/install-test-deps.sh)")


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright, one per test module."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(n: int) -> int:
    """The first of `n` consecutive TCP ports free on 127.0.0.1 right now (a fleet: nginx on the
    first, its servers on the ports after it). Taken below the kernel's range for the local end
    of outgoing connections, which free_port draws from: there any connection of another test
    may take the port after a free one meanwhile (CI saw "Port 49002 is not available")."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(10_000, low - n)
        socks = []
        try:
            for port in range(first, first + n):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no {n} consecutive free ports")


@contextmanager
def streamlit_server(
    env: dict[str, str],
    log: Path,
    script: str = "app.py",
    cwd: Path = ROOT,
    start_seconds: float = 60,
) -> Iterator[str]:
    """`streamlit run app.py` (or another script) from `cwd` (this checkout by default) on a
    free port with this environment; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def store(sqlite_url: str) -> str:
    """The store a module's `server` runs on: the session's demo store, which the module must not
    change; a module that writes defines its own `store` (a copy) instead."""
    return sqlite_url


@pytest.fixture(scope="module")
def server(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app of this checkout served over the module's `store`, with no tile server (nothing
    loads from outside); yields its base URL. Its log is in the test's temporary folder."""
    require_chromium()
    env = {**os.environ, "HAPPY_DB_URL": store}
    env.pop("HAPPY_TILE_URL", None)
    with streamlit_server(env, tmp_path_factory.mktemp("server") / "streamlit.log") as base:
        yield base


def sign_in(context, base: str, db_url: str, username: str) -> None:
    """Give a browser context the session cookie of `username` (signed in directly in the store)."""
    context.add_cookies(
        [{"name": "happy_session", "value": session_token(db_url, username), "url": base,
          "sameSite": "Strict"}]
    )  # fmt: skip


def is_local(url: str) -> bool:
    """Whether a request stays on this machine's server (or is inline data)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in LOCAL_HOSTS


CONSOLE_404 = "Failed to load resource: the server responded with a status of 404 (Not Found)"


class Watch:
    """Refuses and records requests that leave the server; records failed responses and console
    errors, excusing one console line for each of Streamlit's own sub-path 404s."""

    def __init__(self, page) -> None:
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.excused = 0
        page.route("**/*", self._guard)
        page.on("response", self._response)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def _guard(self, route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _response(self, response) -> None:
        if response.status >= 400 and UPSTREAM_404.search(response.url):
            self.excused += 1
        elif response.status >= 400:
            self.errors.append(f"{response.status} {response.url}")

    def problems(self) -> list[str]:
        """Console errors and failed responses, less the excused 404s (in whatever order)."""
        excused, out = self.excused, []
        for text in self.errors:
            if text == CONSOLE_404 and excused > 0:
                excused -= 1
            else:
                out.append(text)
        return out


def overview_page(browser, base: str, db_url: str, username: str, timeout: int, **options):
    """A new browser context (1400×1200; `options` added) signed in as `username`, its page on
    the Overview of 2025 (in the link: the server's default period follows the real clock, not
    a test's), drawn and settled; returns the context, the page and a Watch of its requests."""
    context = browser.new_context(viewport={"width": 1400, "height": 1200}, **options)
    sign_in(context, base, db_url, username)
    page = context.new_page()
    page.set_default_timeout(timeout)
    watch = Watch(page)
    page.goto(f"{base}/?period=2025")
    page.locator(".hs-card-value").first.wait_for()
    settle(page)
    return context, page, watch
