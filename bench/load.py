"""Load test: N concurrent websocket sessions against `streamlit run`, each rerunning the Overview
R times, with `runner.postScriptGC` on and off. Records latency percentiles, errors and the bytes
sent to the browser per run in bench/results.json.

    python -m bench.load --db sqlite:////tmp/happy-bench/a5000000.db --port 8611 --sessions 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


async def one_session(
    port: int, runs: int, query: str, out: list, errors: list, page: str = "", think: float = 0
) -> None:
    """Connect like a browser tab, rerun the script `runs` times, time each run to its end."""
    uri = f"ws://127.0.0.1:{port}/_stcore/stream"
    async with websockets.connect(uri, subprotocols=["streamlit"], max_size=None) as ws:
        for i in range(runs):
            if think and i:
                # A person reads the page before the next click: 0.5–1.5 × the think time.
                await asyncio.sleep(think * (0.5 + random.random()))
            msg = BackMsg()
            msg.rerun_script.query_string = query
            msg.rerun_script.page_name = page
            started = time.perf_counter()
            await ws.send(msg.SerializeToString())
            size = 0
            while True:
                data = await asyncio.wait_for(ws.recv(), timeout=120)
                size += len(data)
                fwd = ForwardMsg()
                fwd.ParseFromString(data)
                kind = fwd.WhichOneof("type")
                if kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                    errors.append(fwd.delta.new_element.exception.message[:200])
                if kind == "script_finished":
                    if fwd.script_finished not in (0, 3):  # finished / rerun requested
                        errors.append(f"script_finished={fwd.script_finished}")
                    break
            out.append((time.perf_counter() - started, size))


async def load(port: int, sessions: int, runs: int, query: str, think: float = 0) -> dict:
    """Run the sessions concurrently; summarise latencies and sizes."""
    out: list = []
    errors: list = []
    started = time.perf_counter()
    results = await asyncio.gather(
        *(one_session(port, runs, query, out, errors, think=think) for _ in range(sessions)),
        return_exceptions=True,
    )
    errors.extend(repr(r) for r in results if isinstance(r, Exception))
    wall = time.perf_counter() - started
    latencies = sorted(t for t, _ in out)
    sizes = [s for _, s in out]

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 3)

    return {
        "think_s": think,
        "sessions": sessions,
        "runs_each": runs,
        "runs_done": len(out),
        "errors": len(errors),
        "error_samples": errors[:3],
        "p50_s": pct(0.50) if latencies else None,
        "p95_s": pct(0.95) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "wall_s": round(wall, 2),
        "bytes_first_run_max": max(sizes[:sessions]) if sizes else None,
        "bytes_per_run_median": int(statistics.median(sizes)) if sizes else None,
    }


async def page_bytes(port: int, query: str) -> dict:
    """The bytes sent to the browser for one first visit to each page."""
    from bench.run import PAGES

    sizes = {}
    for page in PAGES:
        out: list = []
        errors: list = []
        await one_session(port, 1, query, out, errors, page="" if page == "overview" else page)
        sizes[page] = {"bytes": out[0][1] if out else None, "errors": len(errors)}
    return sizes


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def serve(db: str, port: int, gc: bool) -> subprocess.Popen:
    """Start `streamlit run app.py` on the port and wait until it is healthy."""
    env = {**os.environ, "HAPPY_DB_URL": db}
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(port), "--server.headless", "true",
            "--runner.postScriptGC", "true" if gc else "false",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def main(argv: list[str] | None = None) -> int:
    """Run the load test with postScriptGC on and off; record the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="period=2025")
    parser.add_argument("--gc", nargs="+", default=["true", "false"])
    parser.add_argument("--think", type=float, default=0, help="mean seconds between reruns")
    args = parser.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
    for gc in args.gc:
        proc = serve(args.db, args.port, gc == "true")
        try:
            # One session first: the engine and the cached readers are warm, as on a live server.
            asyncio.run(load(args.port, 1, 1, args.query))
            summary = asyncio.run(load(args.port, args.sessions, args.runs, args.query, args.think))
            summary["server_rss_mb"] = _rss_mb(proc.pid)
            summary["page_bytes"] = asyncio.run(page_bytes(args.port, args.query))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        load_summary = {
            "db": args.db,
            "postScriptGC": gc == "true",
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": os.getloadavg()[0],
            **summary,
        }
        print(json.dumps(load_summary), flush=True)
        results.setdefault("load", []).append(load_summary)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
