"""Load test: N concurrent signed-in websocket sessions, each rerunning the Overview R times,
against one `streamlit run` process with Streamlit's defaults (the baseline), one with this
project's settings, and several replicas behind nginx (the deployment DESIGN.md describes), in
one run. Each configuration runs twice: every session rerunning back to back, and paced like a
person reading the page between clicks. Writes its section of docs/performance.md.

    python -m bench.load --db sqlite:////tmp/happy-bench/a5000000.db --replicas 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, write_section  # noqa: E402
from bench.signin import admin_tokens  # noqa: E402

# Every Overview run sends the composite index's label; a run without it did not show the page
# (for instance the sign-in page, if the session cookie were refused).
OVERVIEW_MARK = "幸福指数".encode()
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


async def one_session(
    port: int, runs: int, query: str, cookie: str, out: list, errors: list, think: float = 0
) -> None:
    """Connect like a signed-in browser tab, open the Overview and rerun it until it has run
    `runs` times; time each run. Paced (think > 0), people also arrive at different moments:
    each session opens within the first `think` seconds."""
    if think:
        await asyncio.sleep(think * random.random())
    uri = f"ws://127.0.0.1:{port}/_stcore/stream"
    headers = {"Cookie": f"happy_session={cookie}"}
    async with websockets.connect(
        uri, subprotocols=["streamlit"], max_size=None, additional_headers=headers
    ) as ws:
        for i in range(runs):
            if think and i:
                # A person reads the page before the next click: 0.5–1.5 × the think time.
                await asyncio.sleep(think * (0.5 + random.random()))
            msg = BackMsg()
            msg.rerun_script.query_string = query
            msg.rerun_script.page_name = ""
            started = time.perf_counter()
            await ws.send(msg.SerializeToString())
            size, shown = 0, False
            while True:
                data = await asyncio.wait_for(ws.recv(), timeout=300)
                size += len(data)
                shown = shown or OVERVIEW_MARK in data
                fwd = ForwardMsg()
                fwd.ParseFromString(data)
                kind = fwd.WhichOneof("type")
                if kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                    errors.append(fwd.delta.new_element.exception.message[:200])
                if kind == "script_finished":
                    if fwd.script_finished not in (0, 3):  # finished / rerun requested
                        errors.append(f"script_finished={fwd.script_finished}")
                    break
            if not shown:
                errors.append("the run did not show the Overview")
            out.append((time.perf_counter() - started, size, i == 0))


async def load(port: int, cookies: list[str], runs: int, query: str, think: float = 0) -> dict:
    """Run one session per cookie concurrently; summarise latencies and sizes."""
    out: list = []
    errors: list = []
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_session(port, runs, query, c, out, errors, think=think) for c in cookies),
        return_exceptions=True,
    )
    errors.extend(repr(r) for r in results if isinstance(r, Exception))
    wall = time.perf_counter() - started
    reruns = sorted(t for t, _, first in out if not first)
    opens = sorted(t for t, _, first in out if first)

    def pct(values: list[float], p: float) -> float | None:
        if not values:
            return None
        return round(values[min(len(values) - 1, int(p * len(values)))], 3)

    return {
        "think_s": think,
        "sessions": len(cookies),
        "runs_each": runs,
        "runs_done": len(out),
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50_s": pct(reruns, 0.50),
        "p95_s": pct(reruns, 0.95),
        "max_s": pct(reruns, 1.0),
        "open_p50_s": pct(opens, 0.50),
        "open_p95_s": pct(opens, 0.95),
        "all_p95_s": pct(sorted(reruns + opens), 0.95),
        "wall_s": round(wall, 2),
        "bytes_per_run_max": max((size for _, size, _ in out), default=None),
    }


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    for _ in range(240):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"nothing healthy on port {port}")


def serve(db: str, port: int, settings: str) -> subprocess.Popen:
    """Start `streamlit run app.py` on the port and wait until it is healthy. settings="default"
    runs Streamlit's defaults for what .streamlit/config.toml tunes (postScriptGC on, the source
    file watcher on); "gc" the project's settings but with postScriptGC on."""
    env = {**os.environ, "HAPPY_DB_URL": db}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.headless", "true"]  # fmt: skip
    if settings in ("default", "gc"):
        command += ["--runner.postScriptGC", "true"]
    if settings == "default":
        command += ["--server.fileWatcherType", "auto"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_healthy(port, proc)
    return proc


def nginx_config(listen: int, ports: list[int], folder: Path) -> str:
    """An nginx configuration for replicas on `ports`, sticky by session cookie (or by client
    address for screen links): the same as docs/operations.md shows for a deployment."""
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in ports)
    return f"""
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream happy {{
        hash $cookie_happy_session$remote_addr consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 20m;
        location / {{
            proxy_pass http://happy;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 86400;
        }}
    }}
}}
"""


@dataclass
class Deployment:
    """The processes of one configuration under test; `port` is where clients connect."""

    port: int
    servers: list[subprocess.Popen]
    balancer: subprocess.Popen | None = None

    @property
    def ports(self) -> list[int]:
        """The ports of the app servers themselves."""
        if self.balancer is None:
            return [self.port]
        return [self.port + 1 + i for i in range(len(self.servers))]

    def stop(self) -> None:
        for proc in [*self.servers, *([self.balancer] if self.balancer else [])]:
            proc.terminate()
        for proc in [*self.servers, *([self.balancer] if self.balancer else [])]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def rss_mb(self) -> float:
        return round(sum(_rss_mb(p.pid) or 0 for p in self.servers), 1)


def deploy(db: str, port: int, replicas: int, settings: str, folder: Path) -> Deployment:
    """One server on `port`, or `replicas` servers behind nginx listening on `port`."""
    if replicas == 1:
        return Deployment(port, [serve(db, port, settings)])
    ports = [port + 1 + i for i in range(replicas)]
    servers = []
    try:
        for p in ports:
            servers.append(serve(db, p, settings))
        conf = folder / "nginx.conf"
        conf.write_text(nginx_config(port, ports, folder))
        balancer = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_healthy(port, balancer)
    except BaseException:
        Deployment(port, servers).stop()
        raise
    return Deployment(port, servers, balancer)


CONFIGS = {
    "baseline": ("Streamlit defaults (postScriptGC on, file watcher on), 1 process", 1, "default"),
    "gc": ("config.toml but postScriptGC on, 1 process", 1, "gc"),
    "tuned": ("config.toml (postScriptGC off, no file watcher), 1 process", 1, "project"),
    "replicas": ("config.toml, {n} processes behind nginx", None, "project"),
}


def measure(args: argparse.Namespace) -> list[dict]:
    """Every configuration, back to back and paced; one summary each."""
    cookies = admin_tokens(args.db, args.sessions + 1)
    rows = []
    for name in args.configs:
        label, replicas, settings = CONFIGS[name]
        replicas = replicas or args.replicas
        with tempfile.TemporaryDirectory() as folder:
            deployment = deploy(args.db, args.port, replicas, settings, Path(folder))
            try:
                # One session on every server first: the engine and the cached readers are
                # warm, as on a live server.
                for port in deployment.ports:
                    asyncio.run(load(port, cookies[-1:], 1, args.query))
                for think in (0.0, args.think):
                    load_before = os.getloadavg()[0]
                    summary = asyncio.run(
                        load(deployment.port, cookies[:-1], args.runs, args.query, think)
                    )
                    rows.append(
                        {
                            "config": name,
                            "label": label.format(n=replicas),
                            "replicas": replicas,
                            "load_before": load_before,
                            "server_rss_mb": deployment.rss_mb(),
                            **summary,
                        }
                    )
                    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
            finally:
                deployment.stop()
    return rows


def render(rows: list[dict], args: argparse.Namespace, started: str) -> str:
    """The docs/performance.md section for this run."""
    lines = [
        f"`python -m bench.load --db {args.db} --replicas {args.replicas}` — {started}, "
        f"{machine_summary()}. {args.sessions} signed-in websocket sessions (an admin: the city "
        f"view, `?{args.query}`), each running the Overview {args.runs} times: first all back to "
        f"back, then paced (each session opens within the first {args.think:g} s and pauses "
        f"0.5–1.5 × {args.think:g} s between reruns, a person reading the page). Latency: from "
        "the request to the script's end, as the browser sees it; *rerun* = the 2nd to last run "
        "of a session, "
        "*page open* = its first run (a new session: the server sets it up first).",
        "",
        "| configuration | reruns | runs | errors | rerun p50 (s) | rerun p95 (s) | rerun max (s) "
        "| page open p50 / p95 (s) | all runs p95 (s) | wall (s) | bytes per run (max) "
        "| server RSS (MB) | load avg before |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        pace = "back to back" if not r["think_s"] else f"paced {r['think_s']:g} s"
        lines.append(
            f"| {r['label']} | {pace} | {r['runs_done']} | {r['errors']} | {r['p50_s']} "
            f"| {r['p95_s']} | {r['max_s']} | {r['open_p50_s']} / {r['open_p95_s']} "
            f"| {r['all_p95_s']} | {r['wall_s']} | {r['bytes_per_run_max']:,} "
            f"| {r['server_rss_mb']} | {r['load_before']:.1f} |"
        )
    samples = sorted({s for r in rows for s in r["error_samples"]})
    if samples:
        lines += ["", "Errors seen: " + "; ".join(f"`{s}`" for s in samples)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the load test; record the results in docs/performance.md unless told not to."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="period=2025")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between reruns")
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--no-record", action="store_true", help="do not write the results")
    args = parser.parse_args(argv)
    if "replicas" in args.configs and not Path(NGINX).exists():
        parser.error("nginx is not installed (apt-get install nginx-light)")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows = measure(args)
    if not args.no_record:
        write_section(
            "load", "Load: 50 sessions rerunning the Overview", render(rows, args, started)
        )
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
