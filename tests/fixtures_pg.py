"""pytest fixtures for the PostgreSQL tests, and loading a PostgreSQL store from a SQLite one.

Register them in tests/conftest.py with::

    from tests.fixtures_pg import pg_server  # noqa: F401

(or on the command line with ``-p tests.fixtures_pg``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from data_access.bulk import bulk_insert, indexes_built_after
from data_access.models import Base
from data_access.store import open_store
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


def load_from_sqlite(sqlite_url: str, pg_url: str) -> dict[str, int]:
    """Copy every row of a SQLite store into a new PostgreSQL store (migrated here to the same
    head): each table of the models read with SQLite's own cursor and written with COPY (the
    text form PostgreSQL parses: dates, times, 0/1 booleans), in one transaction, with the
    foreign-key triggers off (the rows come from a store that enforced them), then each id
    sequence moved past the copied ids. The stores then hold the same rows. A test store built
    this way costs a read and a COPY instead of a second seeding (the seeding itself runs on
    PostgreSQL in test_start_together). Returns rows per table."""
    source = sqlite3.connect(make_url(sqlite_url).database)
    present = {name for (name,) in source.execute("SELECT name FROM sqlite_master")}
    tables = [t for t in Base.metadata.sorted_tables if t.name in present]
    target = open_store(pg_url)
    counts: dict[str, int] = {}
    with Session(target) as session, session.begin():
        session.execute(text("SET LOCAL session_replication_role = replica"))
        names = ", ".join(f'"{t.name}"' for t in tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        session.execute(text("SET LOCAL maintenance_work_mem = '128MB'"))
        with indexes_built_after(session, tables):  # built once after the rows
            for table in tables:
                columns = [c.name for c in table.c]
                order = [c.name for c in table.primary_key.columns] or columns
                cursor = source.execute(
                    f'SELECT {", ".join(columns)} FROM "{table.name}" ORDER BY {", ".join(order)}'
                )
                rows = (
                    row for chunk in iter(lambda c=cursor: c.fetchmany(50_000), []) for row in chunk
                )
                counts[table.name] = bulk_insert(session, table, columns, rows)
        for table in tables:
            (key, *more) = table.primary_key.columns
            if more or key.type.python_type is not int:
                continue
            sequence = session.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": key.name}
            )
            if sequence:
                top = session.scalar(select(func.max(key)))
                session.execute(
                    text("SELECT setval(:s, :v, :called)"),
                    {"s": sequence, "v": top or 1, "called": top is not None},
                )
    source.close()
    target.dispose()
    return counts
