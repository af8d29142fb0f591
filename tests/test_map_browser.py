"""The map in a real headless Chromium: `streamlit run app.py` on a free port over a fresh demo
store; the canvas is drawn, tooltips appear, and no request leaves the server."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOSTS,
    is_local,
    polled,
    require_chromium,
    sign_in,
    streamlit_server,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


class _Tiles(BaseHTTPRequestHandler):
    """An intranet XYZ tile server stand-in: a plain PNG for every tile, paths recorded."""

    paths: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), (225, 235, 215)).save(buffer, "PNG")
        body = buffer.getvalue()
        _Tiles.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def tiled_server(sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Streamlit server configured with a local WGS-84 tile server."""
    require_chromium()
    tiles = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=tiles.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "HAPPY_DB_URL": sqlite_url,
        "HAPPY_TILE_URL": f"http://127.0.0.1:{tiles.server_address[1]}/{{z}}/{{x}}/{{y}}.png",
        "HAPPY_TILE_CRS": "wgs84",
    }
    try:
        with streamlit_server(env, tmp_path_factory.mktemp("tiled") / "streamlit.log") as base:
            yield base
    finally:
        tiles.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (software WebGL, no background networking)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _open_map(browser, url: str, db_url: str) -> tuple[object, list[str], list[str]]:
    """Open a page signed in as a leader, recording every request; anything not for this server
    is refused."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    base = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    sign_in(context, base, db_url, "admin")
    page = context.new_page()
    requests: list[str] = []
    outside: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def guard(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    page.wait_for_selector("[data-testid=stDeckGlJsonChart] canvas", timeout=90_000)
    page.wait_for_load_state("networkidle")
    return page, requests, outside


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 160))
    return len(image.getcolors(maxcolors=200 * 160))


SHOTS = Path(os.environ.get("HAPPY_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))


@pytest.mark.parametrize(
    ("query", "lang_word"),
    [
        ("lang=zh", "排名"),
        # An old link (the map's own region parameter) opens its district.
        ("lang=en&map_region=210102&map_measure=pillar.safety", "Rank"),
        # A street: its communities' circles carry their names (a TextLayer whose glyphs the
        # browser draws from local fonts: no request may leave the server for them).
        ("lang=zh&region=210102001", None),
    ],
)
def test_map_draws_offline(server, browser, sqlite_url, query, lang_word):
    page, requests, outside = _open_map(browser, f"{server}/map?{query}", sqlite_url)
    try:
        chart = page.query_selector("[data-testid=stDeckGlJsonChart]")
        canvas = page.query_selector("[data-testid=stDeckGlJsonChart] canvas")
        # Once deck.gl has drawn its layers.
        shot = polled(chart.screenshot, lambda png: _distinct_colours(png) > 20)
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / f"map-{query.replace('&', '-').replace('=', '_')}.png").write_bytes(shot)
        assert _distinct_colours(shot) > 20  # polygons, outlines, hexagons, labels
        assert "map_region" not in page.url  # an old link is rewritten to the shared `region`
        if lang_word is not None:  # hover the middle of the map: a region's tooltip
            box = canvas.bounding_box()
            shown = (
                "() => { const e = document.querySelector('.deck-tooltip');"
                " return e && e.style.display !== 'none' ? e.innerText : '' }"
            )

            def hover() -> str:
                # Moved again on each try: deck.gl picks on a move, once its layers are drawn.
                x = box["x"] + box["width"] * 0.5 + int(time.monotonic() * 10) % 3
                page.mouse.move(x, box["y"] + box["height"] * 0.55)
                page.wait_for_timeout(200)
                return page.evaluate(shown)

            tooltip = polled(hover, bool, patience=15, pause=0)
            assert lang_word in tooltip
    finally:
        page.close()
    hosts = {urlsplit(u).hostname for u in requests if urlsplit(u).scheme not in ("data", "blob")}
    assert outside == [] and hosts <= LOCAL_HOSTS, f"requests left the server: {outside}"


def test_a_configured_tile_server_is_the_only_other_address(tiled_server, browser, sqlite_url):
    page, requests, outside = _open_map(browser, f"{tiled_server}/map", sqlite_url)
    try:
        for _ in range(60):  # the basemap loads after the first frames; wait up to 30 s
            if _Tiles.paths:
                break
            page.wait_for_timeout(500)
    finally:
        page.close()
    assert outside == []
    # Zoom-8 tiles over Shenyang (about 123.4°E, 41.8°N): x = 215 or 216.
    assert any(path.startswith(("/7/107/", "/8/215/", "/8/216/")) for path in _Tiles.paths), (
        _Tiles.paths
    )
