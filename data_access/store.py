"""Opening a store ready for use: connect, migrate, register the catalogue."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from data_access.catalog import add_registry_rows, registry_in_step
from data_access.db import (
    STORE_FAILURES,
    make_engine,
    read_session,
    resolve_url,
    store_error,
    write_session,
)
from data_access.migrate import upgrade
from data_access.models import AuditLog, Region


def open_store(url: str | None = None) -> Engine:
    """Engine for the resolved URL, migrated to the newest schema with the registry synced."""
    url = resolve_url(url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        # Write only when the registry changed: a server starting beside another process's long
        # write (the demo being seeded) must not wait for SQLite's write lock.
        with read_session(engine) as session:
            in_step = registry_in_step(session)
        if not in_step:
            with write_session(engine) as session:
                add_registry_rows(session)
    except STORE_FAILURES as exc:
        engine.dispose()
        raise store_error(exc, url) from None
    return engine


def has_regions(engine: Engine) -> bool:
    """Whether the store holds any region (an empty store needs data before it can show any)."""
    with read_session(engine) as session:
        return session.scalar(select(Region.id).limit(1)) is not None


def data_version(session: Session) -> int:
    """A number that changes whenever the data do: every write adds an audit row in its own
    transaction, so the newest audit row's id (an index lookup) serves."""
    return session.scalar(select(func.max(AuditLog.id))) or 0
