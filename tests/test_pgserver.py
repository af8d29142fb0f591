"""The throw-away PostgreSQL server that the PostgreSQL tests run against."""

from __future__ import annotations

import contextlib
import socket

import pytest
from sqlalchemy import create_engine, text

from tests.pgserver import PostgresNotFoundError, PostgresServer, find_pg_bin


def test_create_database_and_query(pg_server: PostgresServer) -> None:
    url = pg_server.create_database("pgserver_smoke")
    assert url == f"postgresql+psycopg://postgres@127.0.0.1:{pg_server.port}/pgserver_smoke"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            assert version.startswith("PostgreSQL ")
            assert conn.execute(text("select current_database()")).scalar_one() == "pgserver_smoke"
            assert conn.execute(text("show server_encoding")).scalar_one() == "UTF8"
            assert conn.execute(text("select :s"), {"s": "幸福社区"}).scalar_one() == "幸福社区"
            assert conn.execute(text("show fsync")).scalar_one() == "off"
    finally:
        engine.dispose()
    pg_server.drop_database("pgserver_smoke")


def test_listens_only_on_loopback(pg_server: PostgresServer) -> None:
    engine = create_engine(pg_server.url())
    try:
        with engine.connect() as conn:
            assert conn.execute(text("show listen_addresses")).scalar_one() == "127.0.0.1"
            assert conn.execute(text("select host(inet_server_addr())")).scalar_one() == (
                "127.0.0.1"
            )
            sockets = conn.execute(text("show unix_socket_directories")).scalar_one()
            assert sockets == str(pg_server.socket_dir)
    finally:
        engine.dispose()
    port = pg_server.port
    assert port is not None
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    # Linux routes all of 127/8 to lo: a server bound to 127.0.0.1 only refuses 127.0.0.2.
    others = {"127.0.0.2"}
    with contextlib.suppress(OSError):
        others |= {
            info[4][0]
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
            if info[4][0] != "127.0.0.1"
        }
    for addr in sorted(others):
        with pytest.raises(OSError), socket.create_connection((addr, port), timeout=5):
            pass
    if socket.has_ipv6:
        with pytest.raises(OSError), socket.create_connection(("::1", port), timeout=5):
            pass


def test_stop_removes_everything() -> None:
    with PostgresServer() as pg:
        base = pg.base_dir
        assert base is not None and (base / "data" / "PG_VERSION").exists()
        port = pg.port
        assert port is not None
    assert not base.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    pg.stop()  # idempotent


def test_missing_binaries_message(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HAPPY_PG_BIN", str(tmp_path))
    with pytest.raises(PostgresNotFoundError, match="HAPPY_PG_BIN=.*install-test-deps"):
        find_pg_bin()
