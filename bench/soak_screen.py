"""Soak benchmark of the wall screen: N screens refreshing every few seconds against one server.

Measures, in one run: each refresh's server-side time (the screen fragment logs it when
HAPPY_SCREEN_TIMINGS is set), first with one screen alone (the baseline), then with all screens;
and the server's resident memory from the end of warm-up to the end. Records the result in
docs/performance.md. Targets (issue 7): memory grows < 10 %, refresh p95 < 0.5 s.

    python bench/soak_screen.py --minutes 30 --screens 20 --interval 5
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, write_section  # noqa: E402

# Every screen is a background tab of one browser: without the last three flags Chromium would
# throttle their timers, and the screens would refresh far less often than a real wall screen.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _timings(path: Path, since: float, until: float) -> list[float]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        stamp, duration = line.split(",")
        if since <= float(stamp) <= until:
            out.append(float(duration))
    return out


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=0.0)


def _screen_link(url: str) -> str:
    """A wall-screen link for the whole city (screens need no account, only a link)."""
    from data_access.accounts import add_screen_link
    from data_access.db import write_session
    from data_access.regions import get_city
    from data_access.store import open_store

    engine = open_store(url)
    with write_session(engine) as session:
        token = add_screen_link(session, None, "soak benchmark", get_city(session).id).token
    engine.dispose()
    return token


def _seed(url: str) -> None:
    subprocess.run([sys.executable, "-m", "seed_data", "--db", url], cwd=ROOT, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--screens", type=int, default=20)
    parser.add_argument("--interval", type=int, default=5, help="seconds between refreshes (5–600)")
    parser.add_argument("--db", help="database URL (default: a fresh demo SQLite file)")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/performance.md")
    parser.add_argument(
        "--server-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a streamlit option for the server, e.g. runner.postScriptGC=true (repeatable)",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    url = args.db or f"sqlite:///{work / 'happy.db'}"
    if not args.db:
        print("building the demo database…", flush=True)
        _seed(url)
    timings = work / "timings.csv"
    token = _screen_link(url)
    port = _free_port()
    env = {**os.environ, "HAPPY_DB_URL": url, "HAPPY_SCREEN_TIMINGS": str(timings)}
    server = subprocess.Popen(
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
            "--server.address",
            "127.0.0.1",
            *(f"--{option}" for option in args.server_option),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    screen_url = f"{base}/?screen={token}&interval={args.interval}"
    samples: list[tuple[float, float]] = []
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            pages = []
            first = browser.new_page(viewport={"width": 1920, "height": 1080})
            first.goto(screen_url)
            alone_from = time.time()
            time.sleep(max(30, args.interval * 10))
            alone_to = time.time()
            for _ in range(args.screens - 1):
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(screen_url)
                pages.append(page)
            time.sleep(60)  # warm-up: every screen loaded, caches filled
            soak_from = time.time()
            rss_start = _rss_mb(server.pid)
            end = soak_from + args.minutes * 60
            loads = []
            while time.time() < end:
                samples.append((time.time() - soak_from, _rss_mb(server.pid)))
                loads.append(os.getloadavg()[0])
                time.sleep(10)
            soak_to = time.time()
            rss_end = _rss_mb(server.pid)
            still_live = sum(1 for p in [first, *pages] if "hs-screen" in p.content())
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    alone = _timings(timings, alone_from, alone_to)
    loaded = _timings(timings, soak_from, soak_to)
    growth = (rss_end - rss_start) / rss_start * 100
    rss_peak = max(rss for _, rss in samples)
    by_minute = [f"{rss:.0f}" for t, rss in samples if int(t) % 300 < 10]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine_summary()}; Python "
        f"{platform.python_version()}; store `{url.split(':')[0]}`; {args.screens} screens at "
        f"1920×1080 refreshing every {args.interval} s for {args.minutes:g} min.",
        "",
        "| measure | baseline: 1 screen alone | soak: all screens | target |",
        "|---|---|---|---|",
        f"| refreshes measured | {len(alone)} | {len(loaded)} | |",
        f"| refresh time median (server) | {statistics.median(alone):.3f} s | "
        f"{statistics.median(loaded):.3f} s | |",
        f"| refresh time p95 (server) | {_p95(alone):.3f} s | {_p95(loaded):.3f} s | < 0.5 s "
        f"{'met' if _p95(loaded) < 0.5 else 'NOT met'} |",
        f"| server memory | {rss_start:.0f} MB after warm-up | {rss_end:.0f} MB at the end "
        f"(peak {rss_peak:.0f} MB), {growth:+.1f} % | < 10 % "
        f"{'met' if growth < 10 else 'NOT met'} |",
        f"| screens still showing slides at the end | | {still_live}/{args.screens} | all |",
        "",
        f"Server memory every 5 minutes (MB): {', '.join(by_minute)}. Machine load average "
        f"during the soak (1-min, sampled every 10 s): median {statistics.median(loads):.1f}, "
        f"max {max(loads):.1f} on {os.cpu_count()} cores (the screens' browser runs on it too).",
    ]
    if args.server_option:
        lines.insert(1, f"Server options: {', '.join(args.server_option)}.")
    print("\n".join(lines))
    print("server memory every minute (MB):", [round(r) for t, r in samples if int(t) % 60 < 10])
    if not args.no_record:
        write_section("soak_screen", "Wall screen soak (bench/soak_screen.py)", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
