"""`python -m deploy`: start N app servers on one store and nginx in front of them on this
machine, wait until each answers, say where to open it, and stop them all on Ctrl-C or SIGTERM.

    python -m deploy --db postgresql+psycopg://happy@db/happy --replicas 2 --port 8600
    python -m deploy --print-nginx --port 80 --first-port 8601 --replicas 2 > happy.conf
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from deploy import Fleet, FleetError, site_config


def _stop_on(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # stop as on Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db",
        help="database URL (default: the servers' HAPPY_DB_URL, secrets.toml, or data/happy.db)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        default=os.cpu_count() or 1,
        help="app servers to start (default: one per core)",
    )
    parser.add_argument("--port", type=int, default=8600, help="nginx's port (default 8600)")
    parser.add_argument(
        "--first-port",
        type=int,
        help="the first app server's port (default: --port + 1; the others follow)",
    )
    parser.add_argument(
        "--folder",
        type=Path,
        default=Path("/tmp/happy-fleet"),
        help="logs, pid files and nginx's configuration (default /tmp/happy-fleet)",
    )
    parser.add_argument(
        "--print-nginx",
        action="store_true",
        help="print the nginx site configuration for these ports and exit",
    )
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    fleet = Fleet(args.db, args.replicas, args.port, args.folder, args.first_port)
    if args.print_nginx:
        print(site_config(args.port, fleet.ports), end="")
        return 0
    signal.signal(signal.SIGTERM, _stop_on)
    signal.signal(signal.SIGHUP, _stop_on)
    print(
        f"starting {args.replicas} app server(s) on ports {', '.join(map(str, fleet.ports))} "
        f"and nginx on {args.port}; logs in {args.folder}",
        flush=True,
    )
    try:
        started = time.monotonic()
        fleet.start()
        print(
            f"ready after {time.monotonic() - started:.0f} s: open http://<this machine>:"
            f"{args.port}/ (here: {fleet.url}); Ctrl-C stops everything",
            flush=True,
        )
        while True:
            for i, proc in enumerate(fleet.servers):
                if proc is not None and proc.poll() is not None:
                    print(
                        f"app server {i + 1} (port {fleet.ports[i]}) exited "
                        f"({proc.returncode}); see {fleet.log(i)}",
                        file=sys.stderr,
                        flush=True,
                    )
                    fleet.servers[i] = None
            if fleet.balancer is not None and fleet.balancer.poll() is not None:
                print("nginx exited; stopping", file=sys.stderr, flush=True)
                return 1
            time.sleep(1)
    except FleetError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        fleet.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
