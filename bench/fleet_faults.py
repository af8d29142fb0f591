"""Fail alone: signed-in sessions and wall screens on 2 replicas behind nginx (started by the
launcher, deploy/), then (1) one replica killed, (2) PostgreSQL restarted while writers save.
Run by hand; writes its section of docs/performance.md.

    python -m bench.fleet_faults --db postgresql+psycopg://postgres@127.0.0.1:5432/happy \\
        --pg-data /var/lib/postgresql/15/main --sessions 50 --screens 4

(1) Sessions are websocket clients like a browser tab (bench/load.py), each rerunning the
Overview every few seconds; when its connection closes it reconnects through nginx with its
cookie, as Streamlit's page does. Wall screens are real Chromium pages opened from a screen
link (no cookie), which reconnect by themselves. Measured: what the other replica's sessions
saw, how long until each moved session and screen ran its page again, signed in or not.
(2) `pg_ctl restart -m fast` while writers save activities through `run_write(add_activity)`
(the Record form's path) and keep their own record of each save: committed, or reported
failed. Afterwards the rows are counted against that record; sessions must have seen the
one-line store message during the outage and their page again after it, on the same processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, write_section  # noqa: E402
from bench.signin import admin_tokens  # noqa: E402
from bench.tab import connect, page_run  # noqa: E402
from deploy import Fleet  # noqa: E402


def established(port: int) -> int:
    """Open TCP connections to 127.0.0.1:`port` (nginx's to one replica)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@dataclass
class Tab:
    """One signed-in browser tab, as websocket client: what it saw, run by run."""

    cookie: str
    runs: list[tuple[float, str]] = field(default_factory=list)  # (time, "page"|"store"|"other")
    drops: list[float] = field(default_factory=list)  # times its connection closed
    errors: list[str] = field(default_factory=list)
    took: list[float] = field(default_factory=list)  # each run's latency


async def tab_loop(tab: Tab, port: int, query: str, think: float, stop: asyncio.Event) -> None:
    """Rerun the page every ~think s until stopped; reconnect (with backoff, as Streamlit's
    page does) whenever the connection closes."""
    await asyncio.sleep(think * random.random())
    backoff = 0.5
    while not stop.is_set():
        try:
            async with await connect(port, tab.cookie) as ws:
                backoff = 0.5
                while not stop.is_set():
                    began = time.monotonic()
                    what = (await page_run(ws, query, timeout=120)).outcome
                    tab.runs.append((time.monotonic(), what))
                    tab.took.append(time.monotonic() - began)
                    await asyncio.sleep(think * (0.5 + random.random()))
        except (TimeoutError, websockets.ConnectionClosed, OSError) as exc:
            tab.drops.append(time.monotonic())
            tab.errors.append(type(exc).__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5)


@dataclass
class Screen:
    """A Chromium page showing a wall-screen link; the times its websockets opened and the
    times it received the screen's slide."""

    opened: list[float] = field(default_factory=list)
    slides: list[float] = field(default_factory=list)


async def open_screens(context, url: str, tokens: list[str]) -> list[Screen]:
    screens = []
    for token in tokens:
        screen = Screen()
        page = await context.new_page()

        def on_ws(ws, screen=screen) -> None:
            screen.opened.append(time.monotonic())

            def on_frame(payload, screen=screen) -> None:
                if isinstance(payload, bytes | str) and b"hs-screen" in (
                    payload if isinstance(payload, bytes) else payload.encode()
                ):
                    screen.slides.append(time.monotonic())

            ws.on("framereceived", on_frame)

        page.on("websocket", on_ws)
        await page.goto(f"{url}?screen={token}&interval=10&slides=index")
        await page.wait_for_selector(".hs-screen", timeout=180_000)
        screens.append(screen)
    return screens


def screen_tokens(db: str, n: int) -> list[str]:
    from sqlalchemy import select

    from data_access.accounts import add_screen_link
    from data_access.db import write_session
    from data_access.models import Region
    from data_access.store import open_store

    engine = open_store(db)
    try:
        with write_session(engine) as session:
            city = session.scalar(select(Region.id).where(Region.level == "city"))
            return [add_screen_link(session, None, f"bench {i}", city).token for i in range(n)]
    finally:
        engine.dispose()


class Writers:
    """Threads saving activities one at a time (run_write(add_activity), as the Record form
    does), each keeping its own record: token → "committed" or the failure it was told."""

    def __init__(self, db: str, n: int, marker: str) -> None:
        from bench.activity_inserts import community_ids
        from data_access.store import open_store

        self.db, self.n, self.marker = db, n, marker
        self.engine = open_store(db)
        self.communities = community_ids(db)
        self.record: dict[str, str] = {}
        self.failures: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, index: int) -> None:
        from bench.activity_inserts import sample_activity
        from data_access.activities import add_activity
        from data_access.db import StoreError, run_write

        rng = random.Random(index)
        i = 0
        while not self.stop.is_set():
            token = uuid4().hex
            data = sample_activity(rng, self.communities, f"{self.marker} {index}-{i}")
            try:
                result = run_write(self.engine, add_activity, data, token)
                outcome = "committed" if result.status == "saved" else f"refused {result.status}"
            except StoreError as exc:
                outcome = f"failed: {exc.message.en[:80]}"
                with self.lock:
                    self.failures.append((time.monotonic(), outcome))
            with self.lock:
                self.record[token] = outcome
            i += 1
            time.sleep(0.2 * rng.random())

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def finish(self) -> dict:
        """Stop, then count the rows against the writers' own record."""
        from sqlalchemy import select

        from data_access.db import read_session
        from data_access.models import Activity

        self.stop.set()
        for t in self.threads:
            t.join()
        with read_session(self.engine) as session:
            stored = list(
                session.scalars(
                    select(Activity.client_token).where(Activity.title.like(f"{self.marker} %"))
                )
            )
        self.engine.dispose()
        present = set(stored)
        committed = {t for t, o in self.record.items() if o == "committed"}
        failed = {t for t, o in self.record.items() if o.startswith("failed")}
        return {
            "saves": len(self.record),
            "committed": len(committed),
            "reported_failed": len(failed),
            "failure_kinds": sorted({o for o in self.record.values() if o != "committed"}),
            "rows": len(stored),
            "duplicate_rows": len(stored) - len(present),
            "committed_missing": len(committed - present),  # "neither": lost
            "failed_but_stored": len(failed & present),  # "both"
            "stored_unrecorded": len(present - set(self.record)),
        }


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(p * len(values)))], 2)


async def scenario(args: argparse.Namespace) -> dict:
    from playwright.async_api import async_playwright

    folder = Path(args.folder)
    fleet = Fleet(args.db, 2, args.port, folder).start()
    out: dict = {"load_before": os.getloadavg()[0]}
    stop = asyncio.Event()
    try:
        cookies = admin_tokens(args.db, args.sessions)
        tokens = screen_tokens(args.db, args.screens)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = await browser.new_context(viewport={"width": 1280, "height": 720})
            before = [established(p) for p in fleet.ports]
            screens = await open_screens(context, fleet.url, tokens)
            after = [established(p) for p in fleet.ports]
            # The screens (no cookie, one address) all reach one replica: kill that one.
            victim = max(range(2), key=lambda i: after[i] - before[i])
            tabs = [Tab(c) for c in cookies]
            loops = [
                asyncio.create_task(tab_loop(t, args.port, args.query, args.think, stop))
                for t in tabs
            ]
            await asyncio.sleep(args.think * 3)  # everyone has run the page
            pids = [p.pid for p in fleet.servers]
            killed_at = time.monotonic()
            fleet.kill(victim)
            await asyncio.sleep(args.after)
            moved = [t for t in tabs if any(d > killed_at for d in t.drops)]
            stayed = [t for t in tabs if t not in moved]
            resumed = []
            signed_in = 0
            for t in moved:
                later = [(when, what) for when, what in t.runs if when > killed_at]
                if later:
                    resumed.append(later[0][0] - killed_at)
                    signed_in += later[0][1] == "page"
            screen_back = []
            for s in screens:
                back = [w for w in s.slides if w > killed_at]
                screen_back.append(round(back[0] - killed_at, 2) if back else None)
            out["kill"] = {
                "victim_port": fleet.ports[victim],
                "sessions_on_victim": len(moved),
                "sessions_on_survivor": len(stayed),
                "survivor_runs_after_kill": sum(
                    1 for t in stayed for when, _ in t.runs if when > killed_at
                ),
                "survivor_runs_not_page": sum(
                    1
                    for t in stayed
                    for when, what in t.runs
                    if when > killed_at and what != "page"
                ),
                "survivor_drops": sum(1 for t in stayed for d in t.drops if d > killed_at),
                "survivor_run_p50_s": _pct([x for t in stayed for x in t.took], 0.5),
                "moved_resumed": len(resumed),
                "moved_first_run_signed_in": signed_in,
                "resume_p50_s": _pct(resumed, 0.5),
                "resume_max_s": _pct(resumed, 1.0),
                "screens": len(screens),
                "screens_resumed_s": screen_back,
            }
            print(json.dumps(out["kill"]), flush=True)

            # (2) The replica back (as systemd's Restart=always does), then PostgreSQL restarted
            # under the same load while writers save.
            fleet.start_server(victim)
            fleet.wait_healthy(victim)
            pids[victim] = fleet.servers[victim].pid
            writers = Writers(args.db, args.writers, f"fault-{uuid4().hex[:8]}")
            writers.start()
            await asyncio.sleep(args.think * 2)
            restart_at = time.monotonic()
            restart = await asyncio.to_thread(pg_restart, args)
            back_at = time.monotonic()
            await asyncio.sleep(args.after)
            ledger = await asyncio.to_thread(writers.finish)
            during = [
                (t, what)
                for t in tabs
                for when, what in t.runs
                if restart_at <= when <= back_at + 5
            ]
            after_runs = [(t, what) for t in tabs for when, what in t.runs if when > back_at + 5]
            out["pg_restart"] = {
                "restart_s": round(back_at - restart_at, 2),
                "pg_ctl": restart,
                "runs_during": len(during),
                "runs_during_store_message": sum(1 for _, w in during if w == "store"),
                "sessions_saw_store_message": len({id(t) for t, w in during if w == "store"}),
                "runs_during_other": sorted({w for _, w in during if w not in ("page", "store")}),
                "runs_after": len(after_runs),
                "runs_after_not_page": sum(1 for _, w in after_runs if w != "page"),
                "same_processes": [p.pid for p in fleet.servers] == pids
                and all(p.poll() is None for p in fleet.servers),
                "screens_slides_after": [
                    sum(1 for w in s.slides if w > back_at + 5) for s in screens
                ],
                "writes": ledger,
            }
            print(json.dumps(out["pg_restart"]), flush=True)
            stop.set()
            await asyncio.gather(*loops, return_exceptions=True)
            await browser.close()
    finally:
        stop.set()
        fleet.stop()
    out["load_after"] = os.getloadavg()[0]
    return out


def pg_restart(args: argparse.Namespace) -> str:
    """`pg_ctl stop -m fast`, `--outage` seconds down, `pg_ctl start` on the server's data
    directory (as its owner when root): a restart with the store away for a while."""
    pg_ctl = Path(args.pg_bin) / "pg_ctl"
    owner = Path(args.pg_data).stat()
    kwargs = {}
    if os.geteuid() == 0 and owner.st_uid != 0:
        kwargs = {"user": owner.st_uid, "group": owner.st_gid, "extra_groups": []}
    log = Path(args.pg_data).parent / "server.log"
    steps = []
    for argv in (
        [str(pg_ctl), "-D", args.pg_data, "-m", "fast", "-w", "-t", "120", "stop"],
        None,
        [str(pg_ctl), "-D", args.pg_data, "-l", str(log), "-w", "-t", "120", "start"],
    ):
        if argv is None:
            time.sleep(args.outage)
            continue
        done = subprocess.run(
            argv, capture_output=True, text=True, check=False, cwd=log.parent, **kwargs
        )
        steps.append(f"{argv[-1]}: exit {done.returncode}")
    return ", ".join(steps)


def render(result: dict, args: argparse.Namespace, started: str) -> str:
    k, r = result["kill"], result["pg_restart"]
    w = r["writes"]
    lines = [
        f"`python -m bench.fleet_faults --sessions {args.sessions} --screens {args.screens} "
        f"--writers {args.writers}` on PostgreSQL ({args.db.rsplit('/', 1)[-1]}), "
        f"{started}, {machine_summary()}, load average {result['load_before']:.1f} before, "
        f"{result['load_after']:.1f} after (the machine is shared). 2 replicas behind nginx "
        f"(`python -m deploy`'s Fleet); {args.sessions} signed-in websocket sessions rerunning "
        f"the Overview every ~{args.think:g} s, {args.screens} wall screens in Chromium.",
        "",
        "| fault | what was measured | result |",
        "|---|---|---|",
        f"| replica killed (SIGKILL) | sessions on it / on the other | {k['sessions_on_victim']}"
        f" / {k['sessions_on_survivor']} |",
        f"| | the other replica's sessions: runs after the kill, not the page, dropped "
        f"connections | {k['survivor_runs_after_kill']}, {k['survivor_runs_not_page']}, "
        f"{k['survivor_drops']} |",
        f"| | the other replica's sessions: page run p50, whole run (s; CPU shared with the "
        f"moved sessions, Chromium and other work) | {k.get('survivor_run_p50_s')} |",
        f"| | moved sessions that ran their page again / signed in on the first run "
        f"| {k['moved_resumed']} / {k['moved_first_run_signed_in']} |",
        f"| | time from the kill to the moved session's first page run, p50 / max (s) "
        f"| {k['resume_p50_s']} / {k['resume_max_s']} |",
        f"| | wall screens (all on the killed replica): back showing slides after (s) "
        f"| {', '.join(str(s) for s in k['screens_resumed_s'])} |",
        f"| PostgreSQL stopped (`pg_ctl stop -m fast`), {args.outage:g} s later started "
        f"| from the stop to the start's end "
        f"| {r['restart_s']} s ({r['pg_ctl']}) |",
        f"| | page runs meanwhile / showing the one-line store message / sessions that saw it "
        f"| {r['runs_during']} / {r['runs_during_store_message']} / "
        f"{r['sessions_saw_store_message']} (other outcomes: {r['runs_during_other'] or 'none'}) |",
        f"| | page runs after, not the page | {r['runs_after']}, {r['runs_after_not_page']} |",
        f"| | same server processes throughout (no restart) | {r['same_processes']} |",
        f"| | wall screens: slides received after | {r['screens_slides_after']} |",
        f"| | saves: committed / reported failed / rows | {w['committed']} / "
        f"{w['reported_failed']} / {w['rows']} |",
        f"| | committed but missing (neither) / reported failed but stored (both) / duplicates "
        f"| {w['committed_missing']} / {w['failed_but_stored']} / {w['duplicate_rows']} |",
    ]
    if w["failure_kinds"]:
        lines += ["", "What the failed saves were told: " + "; ".join(w["failure_kinds"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet_faults")
    parser.add_argument("--db", required=True, help="a PostgreSQL store (demo data)")
    parser.add_argument("--pg-data", required=True, help="the PostgreSQL server's data directory")
    parser.add_argument("--pg-bin", default=None, help="directory of pg_ctl (default: found)")
    parser.add_argument("--port", type=int, default=8640)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--screens", type=int, default=4)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--think", type=float, default=5.0)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds PostgreSQL is down")
    parser.add_argument("--after", type=float, default=30.0, help="seconds watched after a fault")
    parser.add_argument("--query", default="period=2025")
    parser.add_argument("--folder", default="/tmp/happy-fleet-faults")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    if args.pg_bin is None:
        from tests.pgserver import find_pg_bin

        args.pg_bin = str(find_pg_bin())
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    result = asyncio.run(scenario(args))
    print(json.dumps(result, ensure_ascii=False))
    if not args.no_record:
        write_section(
            "fleet_faults", "Fleet faults (bench/fleet_faults.py)", render(result, args, started)
        )
    w = result["pg_restart"]["writes"]
    return 1 if w["committed_missing"] or w["failed_but_stored"] or w["duplicate_rows"] else 0


if __name__ == "__main__":
    sys.exit(main())
