"""The app behind PgBouncer in transaction mode (docs/operations.md, "PgBouncer"): a server
connection is lent per transaction, so a statement prepared on the server by one app connection
is met by another app connection's statement of the same name. Debian's `pgbouncer` package
(installed by scripts/install-test-deps.sh) is started in front of the test PostgreSQL; a
missing pgbouncer fails the test, it never skips."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from data_access.db import make_engine, read_session, write_session
from data_access.store import open_store

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bouncer(pg_server):
    if not os.path.exists(PGBOUNCER):
        pytest.fail("pgbouncer missing: run scripts/install-test-deps.sh", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="happy-bouncer-"))
    port = _free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={pg_server.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
        f"unix_socket_dir = {folder}\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        # One server connection: every app connection's transactions take turns on it.
        "default_pool_size = 1\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
    )
    run_as = {}
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        for f in folder.iterdir():
            os.chown(f, user.pw_uid, user.pw_gid)
        run_as = {"user": user.pw_uid, "group": user.pw_gid}
    process = subprocess.Popen(
        [PGBOUNCER, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **run_as,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"pgbouncer did not start: {process.stderr.read()!r}", pytrace=False)
            time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_app_reads_and_writes_through_pgbouncer_in_transaction_mode(pg_server, bouncer):
    open_store(pg_server.create_database("through_bouncer")).dispose()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{bouncer}/through_bouncer"
    # Two app connections (two pools, as two replicas), each running the same reads more often
    # than psycopg's threshold for preparing a statement on the server; their transactions
    # share PgBouncer's one server connection.
    engines = [make_engine(url), make_engine(url)]
    try:
        for _ in range(8):
            for engine in engines:
                with read_session(engine) as session:
                    count = session.execute(
                        text("SELECT count(*) FROM regions WHERE level = :level"),
                        {"level": "city"},
                    ).scalar_one()
                    assert count >= 0
    finally:
        for engine in engines:
            engine.dispose()


def test_a_write_waits_for_locks_as_long_as_its_own_setting_says_through_pgbouncer(
    pg_server, bouncer, monkeypatch
):
    """Each write transaction sets its own lock timeout (SET LOCAL): behind PgBouncer in
    transaction mode the connection-wide SET of one app connection lands on a server connection
    that the next transaction of another app connection (another replica, another setting) may
    get. Two replicas with different timeouts share the one server connection."""
    open_store(pg_server.create_database("bouncer_locks")).dispose()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{bouncer}/bouncer_locks"
    engines = {}
    for seconds in (3, 7):
        monkeypatch.setenv("HAPPY_DB_LOCK_TIMEOUT", str(seconds))
        engines[seconds] = make_engine(url)
    try:
        for seconds in (3, 7):  # each replica's connection made: the server's SET is the last
            with read_session(engines[seconds]) as session:
                session.execute(text("SELECT 1"))
        for seconds in (3, 7, 3):
            with write_session(engines[seconds]) as session:
                assert session.execute(text("SHOW lock_timeout")).scalar_one() == f"{seconds}s"
    finally:
        for engine in engines.values():
            engine.dispose()
