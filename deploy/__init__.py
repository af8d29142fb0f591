"""The deployment docs/operations.md describes, on one machine: N app servers (`streamlit run
app.py`) on one store and nginx in front of them, configured by deploy/happy.nginx.conf.
`python -m deploy` runs it for people; the tests and benchmarks run the same `Fleet`.

    with Fleet("postgresql+psycopg://…", replicas=2, port=8600, folder=Path("/tmp/f")) as fleet:
        ...  # browsers open http://127.0.0.1:8600/
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "happy.nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HEALTH = "/_stcore/health"


class FleetError(RuntimeError):
    """A part of the fleet did not start; the message names it and the tail of its log."""


def site_config(listen: str | int, ports: list[int], host: str = "127.0.0.1") -> str:
    """deploy/happy.nginx.conf with its placeholders filled: nginx listening on `listen` (a port
    or address:port) in front of app servers on `host` at `ports`."""
    servers = "\n".join(f"    server {host}:{p};" for p in ports)
    return TEMPLATE.read_text().replace("@SERVERS@", servers).replace("@LISTEN@", str(listen))


def standalone_config(listen: str | int, ports: list[int], folder: Path) -> str:
    """A whole nginx configuration that runs the site in the foreground, unprivileged paths
    only (pid, logs and temporary files in `folder`): what the launcher starts."""
    paths = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    site = "\n".join(
        f"    {line}" if line else "" for line in site_config(listen, ports).split("\n")
    )
    return f"""# Written by `python -m deploy`: deploy/happy.nginx.conf in a foreground nginx.
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    access_log off;
{paths}
{site}
}}
"""


def _die_with_parent() -> None:
    """In the child before exec: a session of its own (so that stopping it stops whatever it
    started), and SIGTERM when the launcher dies, even by SIGKILL (Linux), so none is orphaned."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def answers(port: int, timeout: float = 2) -> bool:
    """Whether something on 127.0.0.1:`port` answers the health check with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{HEALTH}", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Fleet:
    """`replicas` app servers on `db` behind nginx on `port` (servers on first_port, first_port
    + 1, …; default port + 1). nginx=False: no balancer, clients connect to the servers (one
    server: to `port` itself). Logs, pid files and nginx's configuration go in `folder`."""

    db: str | None
    replicas: int = 2
    port: int = 8600
    folder: Path = field(default_factory=lambda: Path("/tmp/happy-fleet"))
    first_port: int | None = None
    nginx: bool = True
    server_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    start_timeout: float = 300
    root: Path = ROOT  # the checkout the servers run (a benchmark's baseline: another one)
    servers: list[subprocess.Popen | None] = field(default_factory=list, init=False)
    balancer: subprocess.Popen | None = field(default=None, init=False)

    @property
    def ports(self) -> list[int]:
        """The app servers' own ports."""
        if not self.nginx and self.replicas == 1 and self.first_port is None:
            return [self.port]
        first = self.first_port if self.first_port is not None else self.port + 1
        return [first + i for i in range(self.replicas)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port if self.nginx else self.ports[0]}/"

    def log(self, index: int) -> Path:
        return self.folder / f"replica-{index + 1}.log"

    def _server_env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        if self.db:  # else the servers' own setting (HAPPY_DB_URL, secrets.toml, data/happy.db)
            env["HAPPY_DB_URL"] = self.db
        if self.nginx:
            env.setdefault("HAPPY_PROXY_HOPS", "1")  # one proxy in front: nginx
        return env

    def start_server(self, index: int) -> subprocess.Popen:
        """Start (or start again) app server `index`; does not wait for it."""
        port = self.ports[index]
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true",
                   *self.server_args]  # fmt: skip
        with self.log(index).open("ab") as out:
            proc = subprocess.Popen(
                command,
                cwd=self.root,
                env=self._server_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (setsid and the death signal only)
            )
        while len(self.servers) <= index:
            self.servers.append(None)
        self.servers[index] = proc
        return proc

    def wait_healthy(self, index: int) -> None:
        """Wait until app server `index` answers its health check; FleetError if it died or
        did not within start_timeout."""
        proc, port = self.servers[index], self.ports[index]
        deadline = time.monotonic() + self.start_timeout
        while not answers(port):
            if proc is None or proc.poll() is not None or time.monotonic() > deadline:
                raise FleetError(
                    f"app server {index + 1} (port {port}) did not start; "
                    f"{self.log(index)}:\n{_tail(self.log(index))}"
                )
            time.sleep(0.3)

    def start(self) -> Fleet:
        """Start every app server at once (a fleet restarts together: data_access/once.py lets
        exactly one migrate), wait for each, then start nginx and wait for it too."""
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            for i in range(self.replicas):
                self.start_server(i)
            for i in range(self.replicas):
                self.wait_healthy(i)
            if self.nginx:
                self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self) -> None:
        if not Path(NGINX).exists():
            raise FleetError("nginx is not installed (apt-get install nginx-light)")
        conf = self.folder / "nginx.conf"
        conf.write_text(standalone_config(f"127.0.0.1:{self.port}", self.ports, self.folder))
        log = self.folder / "nginx.log"
        with log.open("ab") as out:
            self.balancer = subprocess.Popen(
                [NGINX, "-c", str(conf), "-p", str(self.folder), "-e", str(log)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        deadline = time.monotonic() + 30
        while not answers(self.port):
            if self.balancer.poll() is not None or time.monotonic() > deadline:
                raise FleetError(f"nginx did not start on port {self.port}:\n{_tail(log)}")
            time.sleep(0.2)

    def kill(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Kill app server `index` and everything it started (a crash, for the fault tests)."""
        proc = self.servers[index]
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            proc.wait()

    def processes(self) -> list[subprocess.Popen]:
        return [p for p in [*self.servers, self.balancer] if p is not None]

    def stop(self, timeout: float = 20) -> None:
        """Stop nginx and every app server, with everything they started: SIGTERM to each
        process group, SIGKILL to what is left after `timeout`."""
        procs = self.processes()
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever is left in its group (a child of a server), and the server if it hung.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def rss_mb(self) -> float:
        """The app servers' resident memory together, in MB."""
        total = 0
        for proc in self.servers:
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    total += next(int(x.split()[1]) for x in f if x.startswith("VmRSS:"))
            except (OSError, StopIteration, AttributeError):
                pass
        return round(total / 1024, 1)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the app servers have used so far, children included."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for proc in self.servers:
            try:
                with open(f"/proc/{proc.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
            except (OSError, AttributeError):
                pass
        return total

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
