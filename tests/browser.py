"""Shared pieces of the browser tests: `streamlit run app.py` on a free port, headless Chromium
(Debian's, through Playwright) and signing a browser in without typing a password."""

from __future__ import annotations

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


def require_chromium() -> None:
    """Fail (never skip) when Chromium is missing: CI installs it, so its absence is an error."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (bash scripts/install-test-deps.sh)")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port with this environment; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
