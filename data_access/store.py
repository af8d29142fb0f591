"""Opening a store ready for use: connect, migrate, register the catalogue."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from data_access.catalog import add_registry_rows, registry_in_step
from data_access.db import (
    STORE_FAILURES,
    check_connection,
    make_engine,
    read_session,
    resolve_url,
    store_error,
    write_session,
)
from data_access.migrate import newest_revision, stored_revision
from data_access.models import AuditLog, Region
from data_access.once import one_at_a_time


def open_store(url: str | None = None, on_step: Callable[[int, int], None] | None = None) -> Engine:
    """Engine for the resolved URL, migrated to the newest schema with the registry synced;
    `on_step(done, total)` follows a migration's revisions (migrate.upgrade)."""
    url = resolve_url(url)
    engine = make_engine(url)
    try:
        check_connection(engine)  # an unreachable store says so in its own words
        if not _ready(engine):
            # Servers started together: one migrates and registers the catalogue while the
            # others wait, then find both done (and never wait for SQLite's write lock behind
            # another process's long write, such as the demo being seeded).
            from data_access.migrate import upgrade

            with one_at_a_time(engine, "start"):
                upgrade(engine, on_step)
                if not _ready(engine):
                    with write_session(engine) as session:
                        add_registry_rows(session)
    except STORE_FAILURES as exc:
        engine.dispose()
        raise store_error(exc, url) from None
    return engine


def _ready(engine: Engine) -> bool:
    """Whether the store is at this program's schema with the registry in step (reads only;
    two plain queries and the migration files' headers, no Alembic at a normal start)."""
    newest = newest_revision()
    if newest is None or stored_revision(engine) != newest:
        return False
    with read_session(engine) as session:
        return registry_in_step(session)


def has_regions(engine: Engine) -> bool:
    """Whether the store holds any region (an empty store needs data before it can show any)."""
    with read_session(engine) as session:
        return session.scalar(select(Region.id).limit(1)) is not None


def data_version(reader: Session | Connection) -> int:
    """A number that changes whenever the data do: every write adds an audit row in its own
    transaction, so the newest audit row's id (an index lookup) serves. Read on every script
    run (cached.follow_store): a connection, not a session, is enough."""
    return reader.scalar(_DATA_VERSION) or 0


_DATA_VERSION = select(func.max(AuditLog.id))
