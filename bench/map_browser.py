"""The map page (地图) in headless Chromium: where the seconds between a click and a drawn map go.

One journey per source tree (this checkout, and a baseline commit extracted with `git archive`),
each on its own `streamlit run` over the same store, in the same run: open 地图 at city level,
drill to a district and to a street with the page's own drill list, go back up with the
breadcrumb. For each step the browser's own timeline is read:

- the websocket frames (wrapped in the page: time, direction, bytes; the ForwardMsgs decoded
  here): when the server started and finished the script run, when the deck's delta arrived;
- the canvases and WebGL contexts created (a rebuilt deck makes a new canvas and context);
- long tasks (PerformanceObserver 'longtask') and CDP Performance.getMetrics (main-thread task
  and script time): the step is "settled" when the main thread has had no long task for 1.5 s;
- for the first step, navigation timing and the deck.gl bundle's download.

Chromium runs as in the browser tests (tests/browser.py: --disable-gpu, so WebGL is SwiftShader,
software rendering on the CPU). Used by bench/bench_map.py --browser.
"""

from __future__ import annotations

import base64
import os
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "bench-map"  # the map after each step of the last journeys

# Recorded in the page before any of Streamlit's code runs.
INIT_SCRIPT = """
(() => {
  const rec = { ws: [], canvases: [], contexts: [], longtasks: [] };
  window.__bench = rec;
  const Orig = window.WebSocket;
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        rec.ws.push({ t: performance.now(), dir: 'in', data: e.data });
      });
    }
    send(data) {
      rec.ws.push({ t: performance.now(), dir: 'out', n: data.byteLength || data.length || 0 });
      return super.send(data);
    }
  };
  const getContext = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    const had = this.__benchContext;
    const ctx = getContext.call(this, kind, ...rest);
    if (!had && ctx && String(kind).startsWith('webgl')) {
      this.__benchContext = true;
      rec.contexts.push({ t: performance.now(), kind: String(kind) });
    }
    return ctx;
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) rec.longtasks.push({ t: e.startTime, d: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const seen = new WeakSet();
  new MutationObserver(() => {
    for (const c of document.querySelectorAll('[data-testid=stDeckGlJsonChart] canvas')) {
      if (!seen.has(c)) { seen.add(c); rec.canvases.push({ t: performance.now() }); }
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""

COLLECT = """
(from) => {
  const rec = window.__bench;
  const b64 = (buf) => {
    let s = ''; const a = new Uint8Array(buf);
    for (let i = 0; i < a.length; i += 0x8000) {
      s += String.fromCharCode(...a.subarray(i, i + 0x8000));
    }
    return btoa(s);
  };
  return {
    now: performance.now(),
    ws: rec.ws.filter((f) => f.t >= from).map((f) => ({
      t: f.t, dir: f.dir,
      n: f.dir === 'out' ? f.n : (f.data.byteLength || f.data.length || 0),
      b64: f.dir === 'in' && f.data instanceof ArrayBuffer ? b64(f.data) : null,
    })),
    canvases: rec.canvases.filter((c) => c.t >= from),
    contexts: rec.contexts.filter((c) => c.t >= from),
    longtasks: rec.longtasks.filter((l) => l.t + l.d >= from),
  };
}
"""

CANVAS = "() => !!document.querySelector('[data-testid=stDeckGlJsonChart] canvas')"

NAVIGATION = """
() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const deck = performance.getEntriesByType('resource')
    .filter((r) => r.name.includes('DeckGlJsonChart'))
    .map((r) => ({ start: r.startTime, end: r.responseEnd, bytes: r.encodedBodySize }));
  return { response_end: nav.responseEnd, dom_loaded: nav.domContentLoadedEventEnd,
           load: nav.loadEventEnd, deck_bundle: deck };
}
"""


def _kind(raw: bytes) -> str:
    """The kind of a ForwardMsg: its type, or 'deck' for the delta that carries a deck."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(raw)
    except Exception:  # noqa: BLE001 (not a ForwardMsg: count it as other)
        return "other"
    kind = msg.WhichOneof("type") or "other"
    delta = msg.delta
    if kind == "delta" and delta.WhichOneof("type") == "new_element":
        return "deck" if delta.new_element.WhichOneof("type") == "deck_gl_json_chart" else kind
    return kind


def baseline_tree(rev: str, into: Path) -> Path:
    """The files of commit `rev` (git archive) in a fresh directory."""
    data = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


@contextmanager
def server(tree: Path, db_url: str, log: Path) -> Iterator[str]:
    """`streamlit run app.py` from `tree` on a free port; yields its base URL."""
    from tests.browser import streamlit_server

    env = {**os.environ, "HAPPY_DB_URL": db_url, "PYTHONPATH": str(tree)}
    env.pop("HAPPY_TILE_URL", None)
    with streamlit_server(env, log, cwd=tree, start_seconds=120) as base:
        yield base


def _settle(
    page, since: float, need_canvas: bool, quiet_ms: float = 1500, timeout_s: float = 120
) -> dict:
    """Wait until the script run finished and the main thread has been free of long tasks for
    `quiet_ms`; return the step's timeline relative to `since` (ms, page clock)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.wait_for_timeout(250)
        got = page.evaluate(COLLECT, since)
        kinds = [(f, _kind(base64.b64decode(f["b64"]))) for f in got["ws"] if f["b64"]]
        finished = [f["t"] for f, k in kinds if k == "script_finished"]
        last_task = max((lt["t"] + lt["d"] for lt in got["longtasks"]), default=since)
        drawn = page.evaluate(CANVAS) and (got["canvases"] or not need_canvas)
        if finished and drawn and got["now"] - max(last_task, finished[-1]) >= quiet_ms:
            break
        if time.monotonic() > deadline:
            raise SystemExit("the map did not settle")
    decks = [f for f, k in kinds if k == "deck"]
    inbound = [f for f, _ in kinds]
    deck_at = decks[-1]["t"] if decks else None
    tasks = got["longtasks"]
    return {
        "first_frame_ms": (inbound[0]["t"] - since) if inbound else None,
        "deck_msg_ms": None if deck_at is None else deck_at - since,
        "deck_bytes": decks[-1]["n"] if decks else 0,
        "script_finished_ms": finished[-1] - since,
        "settled_ms": max(last_task, finished[-1]) - since,
        "ws_in_bytes": sum(f["n"] for f in got["ws"] if f["dir"] == "in"),
        "ws_in_msgs": len(inbound),
        "new_canvases": len(got["canvases"]),
        "canvas_ms": got["canvases"][-1]["t"] - since if got["canvases"] else None,
        "new_webgl_contexts": len(got["contexts"]),
        "long_tasks": len(tasks),
        "long_task_ms": sum(lt["d"] for lt in tasks),
        "long_task_after_deck_ms": sum(
            lt["d"] for lt in tasks if deck_at is not None and lt["t"] + lt["d"] >= deck_at
        ),
    }


def _metrics(cdp) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def _step(page, cdp, action, need_canvas: bool = False, prepare=None) -> dict:
    if prepare is not None:  # untimed: e.g. opening a list before the timed click on an option
        prepare()
    before = _metrics(cdp)
    since = page.evaluate("performance.now()")
    action()
    out = _settle(page, since, need_canvas)
    after = _metrics(cdp)
    for name in ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration"):
        out[f"{name}_ms"] = (after[name] - before[name]) * 1000
    return out


def _open_drill_list(page) -> None:
    """Open the page's own drill list (below the map); the last "下钻到" box on the page."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text="下钻到")
    combo = box.last.get_by_role("combobox")
    option = page.get_by_role("option").first
    for _ in range(5):
        combo.click()
        try:
            option.wait_for(timeout=5000)
            return
        except Exception:  # noqa: BLE001 (the list did not open: try again)
            page.keyboard.press("Escape")
    raise SystemExit("the drill list did not open")


def _drill(page) -> None:
    """The timed part of a drill: the click on the list's first region."""
    return page.get_by_role("option").first.click()


def journey(
    browser, base: str, db_url: str, city_name: str, shots: Path | None = None
) -> list[dict]:
    """Open the map, drill twice, go back to the city; one timeline per step (and, with `shots`,
    a screenshot of the map after each step, to see that the kept deck shows each view)."""
    from tests.browser import sign_in

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    sign_in(context, base, db_url, "admin")
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    steps: list[dict] = []

    def shot() -> None:
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            chart = page.locator("[data-testid=stDeckGlJsonChart]")
            chart.screenshot(path=shots / f"{len(steps)}-{steps[-1]['step'].split()[-1]}.png")

    try:
        opened = _step(page, cdp, lambda: page.goto(f"{base}/map?lang=zh&period=2025"), True)
        opened.update(page.evaluate(NAVIGATION))
        steps.append({"step": "open 地图 (city)", **opened})
        shot()
        for name in ("drill to a district", "drill to a street"):
            drill = _step(page, cdp, lambda: _drill(page), prepare=lambda: _open_drill_list(page))
            steps.append({"step": name, **drill})
            shot()
        crumb = page.locator("button").filter(has_text=city_name).first
        steps.append({"step": "breadcrumb back to the city", **_step(page, cdp, crumb.click)})
        shot()
    finally:
        context.close()
    return steps


def run(db_url: str, baseline: str | None, rounds: int) -> dict[str, list[list[dict]]]:
    """Journeys (rounds of each tree, interleaved) for the baseline commit and this checkout."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    city_name = _city_name(db_url)
    results: dict[str, list[list[dict]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-map-") as tmp, ExitStack() as stack:
        trees = {}
        if baseline:
            trees[f"baseline {baseline}"] = baseline_tree(baseline, Path(tmp) / "baseline")
        trees["this checkout"] = ROOT
        bases = {
            name: stack.enter_context(server(tree, db_url, Path(tmp) / f"{i}.log"))
            for i, (name, tree) in enumerate(trees.items())
        }
        playwright = stack.enter_context(sync_playwright())
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        stack.callback(chromium.close)
        # A first visit warms each server's caches; the journeys then compare the browsers'
        # work, not the cold queries. The trees take turns, so that both see the same load.
        for base in bases.values():
            journey(chromium, base, db_url, city_name)
        results = {name: [] for name in bases}
        for round_ in range(rounds):
            for i, (name, base) in enumerate(bases.items()):
                shots = SHOTS / f"tree{i}" if round_ == rounds - 1 else None
                results[name].append(journey(chromium, base, db_url, city_name, shots))
    return results


def _city_name(db_url: str) -> str:
    from data_access.db import read_session
    from data_access.regions import get_city
    from data_access.store import open_store

    engine = open_store(db_url)
    with read_session(engine) as session:
        name = get_city(session).name_zh
    engine.dispose()
    return name
