"""One-time jobs on a shared store (migrating, seeding the demo, creating the first admin) when
several processes start together: exactly one does the job, the others wait for it and then
find it done.

A fleet restarts all its servers at once after a deploy; without this, three app processes on a
new PostgreSQL database raced each other's migrations and two of three failed.
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session


def job_key(job: str) -> int:
    """The advisory-lock number of a job (the same in every process and version)."""
    return zlib.crc32(f"happy-community:{job}".encode())


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # a URI filename; an in-memory one has no file to guard
        database = database[5:].split("?", 1)[0]
        if not database or "mode=memory" in str(engine.url):
            return None
    return Path(database)


@contextmanager
def one_at_a_time(engine: Engine, job: str) -> Iterator[None]:
    """Hold the store-wide lock of `job` while the block runs; wait (without a time limit) while
    another process holds it. The block must check whether the job is still needed.

    PostgreSQL: a transaction-scoped advisory lock on a connection of its own, so it is freed
    when the block ends, even if the process dies. SQLite: an exclusive lock on a file beside the
    database (SQLite stores are on one machine), freed by the kernel when the process dies."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, conn.begin():
            # Waiting for another process's long job is expected here: no lock timeout.
            conn.exec_driver_sql("SET LOCAL lock_timeout = 0")
            conn.execute(select(func.pg_advisory_xact_lock(job_key(job))))
            yield
        return
    path = _sqlite_file(engine)
    if path is None:
        yield
        return
    lock_path = path.with_name(f"{path.name}.{job}.lock")
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 (held for the block)
    except OSError:
        # A read-only folder: nobody can write this store, so no one-time job can race here.
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def serialise(session: Session, job: str) -> None:
    """Within a write transaction: wait for any other transaction doing `job`, and keep others
    waiting until this one ends. On SQLite a write transaction (BEGIN IMMEDIATE) already excludes
    every other writer; on PostgreSQL a transaction-scoped advisory lock does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(job_key(job))))
