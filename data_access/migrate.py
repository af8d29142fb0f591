"""Schema migrations (Alembic), run from the app at start and from the command line."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from data_access.db import (
    STORE_FAILURES,
    StoreError,
    check_connection,
    failure_reason,
    redact,
    store_error,
    typed_url,
)
from data_access.once import one_at_a_time

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# Alembic is imported only when a migration is looked at or run (0.25 s at every start, issue
# 15): the check at start reads the revisions from the files' headers and the store's table.
_HEADER = re.compile(r"^(down_revision|revision)\b[^=]*=(.*)$", re.M)


def _config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The newest schema revision this program knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def _parents() -> dict[str, set[str]]:
    """Each revision of the migration files, by their headers (no Alembic): its down_revisions."""
    parents: dict[str, set[str]] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = {
            key: set(re.findall(r"[\"']([^\"']+)[\"']", value))
            for key, value in _HEADER.findall(path.read_text(encoding="utf-8"))
        }
        for revision in found.get("revision", ()):
            parents[revision] = found.get("down_revision", set())
    return parents


def newest_revision(parents: dict[str, set[str]] | None = None) -> str | None:
    """head_revision() read from the migration files' headers without Alembic (or from their
    `_parents()` read already): the revision that no other names as its down_revision (None if
    that is not exactly one)."""
    parents = _parents() if parents is None else parents
    heads = set(parents) - set().union(*parents.values())
    return heads.pop() if len(heads) == 1 else None


def pending_revisions(engine: Engine) -> list[str]:
    """The revisions an upgrade would apply to a store that has a schema, oldest first (none
    for an empty store, whose schema is made at once, for one at the newest, and for one this
    program does not know: opening it says so)."""
    parents = _parents()
    stored, newest = stored_revision(engine), newest_revision(parents)
    if stored is None or newest is None or stored == newest or stored not in parents:
        return []
    pending, revision = [], newest
    while revision != stored:
        pending.append(revision)
        before = parents.get(revision, set())
        if len(before) != 1:  # a merge or the first revision: not a line down to the store's
            return []
        (revision,) = before
    return pending[::-1]


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def stored_revision(engine: Engine) -> str | None:
    """current_revision() by one plain query (no Alembic); None if the store has no
    revision table (an empty store) or not exactly one row in it."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except STORE_FAILURES:
        return None
    return rows[0][0] if len(rows) == 1 else None


def check_schema_known(engine: Engine) -> str | None:
    """Raise StoreError when the database's schema is newer than this program; else its revision."""
    from alembic.script import ScriptDirectory

    current = current_revision(engine)
    if current is None:
        return None
    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise StoreError(
            f"数据库结构版本 {current} 比本程序新（本程序最高为 {head_revision()}），请升级程序",
            f"the database schema ({current}) is newer than this program ({head_revision()})",
            kind="config",
        )
    return current


def upgrade(engine: Engine, on_step: Callable[[int, int], None] | None = None) -> str:
    """Bring the database to the newest schema; return the revision it is at. A store with a
    schema to bring forward calls `on_step(done, total)` before its first revision (done = 0)
    and after each (a page's progress; none for an empty store, made at once)."""
    check_connection(engine)
    if check_schema_known(engine) == head_revision():
        return head_revision()
    from alembic import command

    cfg = _config()
    total = len(pending_revisions(engine)) if on_step is not None else 0
    if on_step is not None and total:
        on_step(0, total)
        applied = itertools.count(1)

        def told(**_) -> None:
            on_step(min(next(applied), total), total)

        cfg.attributes["on_version_apply"] = told
    try:
        # Servers started together: one migrates, the others wait and then find nothing to do.
        with one_at_a_time(engine, "migrate"), engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except STORE_FAILURES as exc:
        url = typed_url(engine)
        error = store_error(exc, url)
        if error.kind != "error":
            raise error from None
        reason, where = failure_reason(exc, url), redact(url)
        raise StoreError(
            f"数据库 {where} 升级失败：{reason}", f"migrating the database {where} failed: {reason}"
        ) from None
    return head_revision()
