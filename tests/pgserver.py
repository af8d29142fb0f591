"""A throw-away PostgreSQL server for the test session.

Stdlib only, apart from ``create_database``/``drop_database``, which use psycopg (v3), already a
runtime dependency of the app.

    with PostgresServer() as pg:
        url = pg.create_database("happy_test")   # postgresql+psycopg://postgres@127.0.0.1:PORT/...

The server's data directory, log and unix socket live in one temporary directory that ``stop()``
removes. It listens on a unix socket in that directory and on 127.0.0.1 at a free port, nowhere
else, with trust authentication and durability switched off for speed.

Binaries: ``$HAPPY_PG_BIN`` (a directory holding ``initdb`` and ``pg_ctl``) if set, else ``initdb``
on ``PATH``, else the newest ``/usr/lib/postgresql/*/bin`` (Debian's layout).

PostgreSQL refuses to run as root, so when the tests run as root, ``initdb`` and ``pg_ctl`` run as
the ``postgres`` system user (``subprocess``'s ``user=``/``group=``), and the temporary directory
is handed to that user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
HOST = "127.0.0.1"
# unix socket paths are limited to 107 bytes; ".s.PGSQL.NNNNN" is appended to the directory.
_MAX_SOCKET_DIR_LEN = 80
_SPEED_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # No WAL for the rows a transaction COPYs into a table it created or truncated (the demo
    # template's load, tests/fixtures_pg.py; with its indexes built after: 50-71 s -> 22-38 s at
    # load 12-15 on 2 cores, docs/performance.md "CI time"). Nothing here replicates or archives.
    "wal_level": "minimal",
    "max_wal_senders": "0",
}


class PostgresNotFoundError(RuntimeError):
    """No usable initdb/pg_ctl were found."""


class PostgresStartError(RuntimeError):
    """initdb or the server start failed."""


def find_pg_bin() -> Path:
    """The directory that holds ``initdb`` and ``pg_ctl``; raise PostgresNotFoundError if none."""
    env = os.environ.get("HAPPY_PG_BIN")
    if env:
        candidates = [Path(env)]
        where = f"HAPPY_PG_BIN={env}"
    else:
        candidates = []
        on_path = shutil.which("initdb")
        if on_path:
            # /usr/local/bin/initdb may be a symlink into /usr/lib/postgresql/N/bin
            candidates.append(Path(os.path.realpath(on_path)).parent)
            candidates.append(Path(on_path).parent)
        candidates += sorted(
            (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
            key=lambda p: _version_key(p.parent.name),
            reverse=True,
        )
        where = "PATH and /usr/lib/postgresql/*/bin"
    for bin_dir in candidates:
        if all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bin_dir
    raise PostgresNotFoundError(
        f"PostgreSQL server binaries (initdb, pg_ctl) not found in {where}; "
        "install them with `bash scripts/install-test-deps.sh` (Debian package `postgresql`) "
        "or point HAPPY_PG_BIN at the directory that holds them"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", name)) or (-1,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _one_line(text: str, lines: int = 12) -> str:
    tail = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(tail) if tail else "(empty)"


class PostgresServer:
    """A PostgreSQL server in a temporary directory; use as a context manager or start()/stop()."""

    def __init__(self, bin_dir: str | os.PathLike[str] | None = None) -> None:
        self.bin_dir = Path(bin_dir) if bin_dir else find_pg_bin()
        self.host = HOST
        self.port: int | None = None
        self.base_dir: Path | None = None
        self._run_as: pwd.struct_passwd | None = None

    # -- paths --------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._base() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._base()

    @property
    def log_file(self) -> Path:
        return self._base() / "server.log"

    def _base(self) -> Path:
        if self.base_dir is None:
            raise RuntimeError("PostgresServer is not started")
        return self.base_dir

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        if self.base_dir is not None:
            raise RuntimeError("PostgresServer already started")
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresStartError(
                    "running as root, and PostgreSQL refuses to run as root, but there is no "
                    f"'{SUPERUSER}' system user to run it as (the Debian package creates one)"
                ) from None
        self.base_dir = self._make_base_dir()
        atexit.register(self.stop)
        try:
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (if running) and remove the temporary directory. Idempotent."""
        base, self.base_dir = self.base_dir, None
        atexit.unregister(self.stop)
        if base is None:
            return
        try:
            if (base / "data" / "postmaster.pid").exists():
                for mode in ("fast", "immediate"):
                    res = self._run(
                        ["pg_ctl", "-D", str(base / "data"), "-m", mode, "-w", "-t", "30", "stop"],
                        check=False,
                        cwd=base,
                    )
                    if res.returncode == 0:
                        break
        finally:
            shutil.rmtree(base, ignore_errors=True)
            self.port = None

    def pause(self) -> None:
        """Stop the server but keep its data (a database that goes away); resume() restarts it."""
        self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"])

    def resume(self) -> None:
        """Start a paused server again, on the same port with the same data."""
        argv = ["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60"]
        self._run([*argv, "start"], timeout=90)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- use ----------------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL (psycopg 3 driver) of database ``dbname`` over TCP on 127.0.0.1."""
        if self.port is None:
            raise RuntimeError("PostgresServer is not started")
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str, template: str = "template0") -> str:
        """Create database ``name`` (UTF8) as a copy of ``template`` (default template0, empty;
        a template must have no open connections); return its SQLAlchemy URL."""
        from psycopg import sql

        self._admin(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} ENCODING 'UTF8'").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting any sessions."""
        from psycopg import sql

        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin(self, statement: object) -> None:
        import psycopg

        conninfo = f"host={self.host} port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    # -- internals ----------------------------------------------------------------------------

    def _make_base_dir(self) -> Path:
        parent = tempfile.gettempdir()
        if len(parent) > _MAX_SOCKET_DIR_LEN - 30 or (
            self._run_as is not None and not _world_traversable(parent)
        ):
            parent = "/tmp"
        base = Path(tempfile.mkdtemp(prefix="happy-pg-", dir=parent))
        if self._run_as is not None:
            # mkdtemp makes a 0700 root-owned directory: give it to the postgres user.
            os.chown(base, self._run_as.pw_uid, self._run_as.pw_gid)
        return base

    def _run(
        self, argv: list[str], *, check: bool = True, timeout: float = 120, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin_dir / argv[0]), *argv[1:]]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        kwargs: dict[str, object] = {}
        if self._run_as is not None:
            pw = self._run_as
            kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            env.update(HOME=pw.pw_dir, USER=pw.pw_name, LOGNAME=pw.pw_name)
        res = subprocess.run(
            argv,
            cwd=cwd or self._base(),
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )
        if check and res.returncode != 0:
            raise PostgresStartError(
                f"{Path(argv[0]).name} failed (exit {res.returncode}): "
                f"{_one_line(res.stdout + res.stderr)}"
            )
        return res

    def _initdb(self) -> None:
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
                "--auth=trust",
                "--no-sync",
            ]
        )

    def _start_server(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            port = _free_port()
            self._write_settings(port)
            argv = ["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60"]
            res = self._run([*argv, "start"], check=False, timeout=90)
            if res.returncode == 0:
                self.port = port
                return
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            port_taken = "could not bind" in log or "already in use" in log
            if port_taken and attempt < attempts:
                with contextlib.suppress(OSError):
                    self.log_file.unlink()
                continue
            raise PostgresStartError(
                f"PostgreSQL did not start (pg_ctl exit {res.returncode}, port {port}, "
                f"bin {self.bin_dir}): {_one_line(res.stdout + res.stderr, 3)}; "
                f"log tail: {_one_line(log)}"
            )

    def _write_settings(self, port: int) -> None:
        settings = {
            "listen_addresses": HOST,
            "port": str(port),
            "unix_socket_directories": str(self.socket_dir),
            **_SPEED_SETTINGS,
        }
        lines = ["", "# added by tests/pgserver.py (last setting wins)"]
        for key, value in settings.items():
            quoted = value.replace("'", "''")
            lines.append(f"{key} = '{quoted}'")
        # appending keeps the file's owner (the postgres user when running as root)
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def _world_traversable(path: str) -> bool:
    """Whether every directory on ``path`` is traversable by other users."""
    p = Path(path).resolve()
    for d in (p, *p.parents):
        try:
            if not d.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True
