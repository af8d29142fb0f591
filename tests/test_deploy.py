"""The documented deployment, as operators start it: `python -m deploy` runs two app servers on
PostgreSQL behind nginx (deploy/happy.nginx.conf); signed-in sessions get their pages through
nginx; one replica killed fails alone (its sessions reconnect to the other, still signed in);
SIGTERM to the launcher stops every process it started."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from bench.signin import admin_tokens
from bench.tab import connect, page_run
from deploy import NGINX, TEMPLATE, site_config
from tests.browser import free_port, free_ports
from tests.conftest import ROOT

QUERY = "period=2025"


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, their children …)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        one = todo.pop()
        try:
            kids = Path(f"/proc/{one}/task/{one}/children").read_text().split()
        except OSError:
            kids = []
        for kid in map(int, kids):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def _fail_alone(port: int, cookies: list[str], kill) -> dict:
    """Open one session per cookie through nginx; kill a replica; rerun every session, and
    reconnect (through nginx, with the same cookie) those whose connection the kill closed."""
    sockets = [await connect(port, c) for c in cookies]
    first = [(await page_run(ws, QUERY)).ok for ws in sockets]
    kill()
    survivors, moved = [], []
    for ws, cookie in zip(sockets, cookies, strict=True):
        try:
            survivors.append((await page_run(ws, QUERY)).ok)
        except websockets.ConnectionClosed:
            again = await connect(port, cookie)
            moved.append((await page_run(again, QUERY)).ok)
            await again.close()
        else:
            await ws.close()
    return {"first": first, "survivors": survivors, "moved": moved}


def test_the_launcher_runs_the_documented_deployment_and_a_replica_fails_alone(
    write_pg_url, tmp_path
):
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed (bash scripts/install-test-deps.sh)")
    cookies = admin_tokens(write_pg_url, 12)
    port = free_port()
    folder = tmp_path / "fleet"
    # The two servers on consecutive free ports (the launcher puts them side by side).
    command = [sys.executable, "-m", "deploy", "--db", write_pg_url, "--replicas", "2",
               "--port", str(port), "--first-port", str(free_ports(2)),
               "--folder", str(folder)]  # fmt: skip
    launcher = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    started: set[int] = set()
    try:
        output = []
        for line in launcher.stdout:
            output.append(line)
            if "ready" in line or launcher.poll() is not None:
                break
        assert any("ready" in line for line in output), "".join(output)
        assert f"http://127.0.0.1:{port}/" in output[-1]
        started = _descendants(launcher.pid)
        servers = {p: _cmdline(p) for p in started if "streamlit run app.py" in _cmdline(p)}
        assert len(servers) == 2, servers
        assert any("nginx: master" in _cmdline(p) for p in started)
        for pid in servers:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"HAPPY_PROXY_HOPS=1" in environ  # nginx sets X-Forwarded-For: one hop
            assert f"HAPPY_DB_URL={write_pg_url}".encode() in environ

        # nginx runs the file in deploy/, placeholders filled.
        running = (folder / "nginx.conf").read_text()
        ports = sorted(int(m) for m in re.findall(r"server 127\.0\.0\.1:(\d+);", running))
        assert "@SERVERS@" not in running and "@LISTEN@" not in running
        for line in site_config(f"127.0.0.1:{port}", ports).splitlines():
            assert line.strip() in running
        assert "proxy_set_header Upgrade $http_upgrade;" in TEMPLATE.read_text()

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as reply:
            assert reply.status == 200 and b"<noscript>" in reply.read()

        # Kill the first replica (and whatever it started) like a crash.
        victim = next(p for p, c in servers.items() if f"--server.port {ports[0]} " in c)
        result = asyncio.run(_fail_alone(port, cookies, lambda: os.killpg(victim, signal.SIGKILL)))
        assert all(result["first"]), result
        # Both replicas had sessions (12 random cookies on a consistent hash).
        assert result["survivors"] and result["moved"], result
        assert all(result["survivors"]), result  # the other replica's sessions saw nothing
        assert all(result["moved"]), result  # reconnected through nginx, still signed in
        assert launcher.poll() is None  # the launcher keeps serving with one replica
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
        code = launcher.wait(timeout=60)
    assert code == 0, code
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [(p, _cmdline(p)) for p in started if _alive(p)]  # no orphans
    assert "stopped" in launcher.stdout.read()


def test_a_postgresql_restart_loses_no_save_and_the_server_recovers_by_itself(
    write_pg_url, pg_server, tmp_path
):
    """PostgreSQL stopped under writers and a signed-in session: the page says so in one line,
    every save either committed or was reported failed (rows counted against the writers' own
    record), and after the restart the same server process shows the page again."""
    from bench.fleet_faults import Writers
    from deploy import Fleet

    cookie = admin_tokens(write_pg_url, 1)[0]
    fleet = Fleet(write_pg_url, 1, free_port(), tmp_path / "fleet", nginx=False).start()
    writers = Writers(write_pg_url, 2, f"restart-{os.getpid()}-{time.monotonic_ns()}")

    def committed() -> int:
        with writers.lock:
            return sum(1 for outcome in writers.record.values() if outcome == "committed")

    def until(condition) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            assert time.monotonic() < deadline
            time.sleep(0.2)

    async def session() -> list[str]:
        seen = []
        async with await connect(fleet.ports[0], cookie) as ws:
            seen.append((await page_run(ws, QUERY, timeout=120)).outcome)
            writers.start()
            until(lambda: committed() >= 3)
            pg_server.pause()
            try:
                seen.append((await page_run(ws, QUERY, timeout=120)).outcome)
                until(lambda: len(writers.failures) >= 1)
            finally:
                pg_server.resume()
            before = committed()
            until(lambda: committed() > before)
            seen.append((await page_run(ws, QUERY, timeout=120)).outcome)
        return seen

    server = fleet.servers[0]
    try:
        seen = asyncio.run(session())
        ledger = writers.finish()
        assert server.poll() is None  # the same process throughout, never restarted
    finally:
        writers.stop.set()
        fleet.stop()
    assert seen == ["page", "store", "page"]
    assert ledger["committed"] >= 4 and ledger["reported_failed"] >= 1, ledger
    assert ledger["committed_missing"] == 0, ledger  # never neither
    assert ledger["failed_but_stored"] == 0, ledger  # never both
    assert ledger["duplicate_rows"] == 0 and ledger["stored_unrecorded"] == 0, ledger
    assert ledger["rows"] == ledger["committed"], ledger
