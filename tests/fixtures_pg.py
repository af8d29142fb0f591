"""pytest fixtures for the PostgreSQL tests.

Register them in tests/conftest.py with::

    from tests.fixtures_pg import pg_server  # noqa: F401

(or on the command line with ``-p tests.fixtures_pg``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PostgresNotFoundError, PostgresServer, PostgresStartError


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for the test session, stopped and removed afterwards.

    Fails (never skips) when PostgreSQL is missing: CI must run the PostgreSQL tests.
    Use ``pg_server.create_database(name)`` to get a fresh database's SQLAlchemy URL.
    """
    error = None
    try:
        server = PostgresServer().start()
    except (PostgresNotFoundError, PostgresStartError) as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(f"PostgreSQL test server unavailable: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
