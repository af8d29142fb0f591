"""The one owner of database connections: URL resolution, engine creation, sessions."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "happy.db"
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
SQLITE_BUSY_TIMEOUT_MS = 15_000


class StoreError(Exception):
    """A problem with the store that the user can act on; its message is one line, in Chinese
    first with English after, and never a traceback."""


def default_url() -> str:
    """The embedded SQLite store under data/."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def resolve_url(explicit: str | None = None) -> str:
    """The database URL: explicit, else HAPPY_DB_URL, else secrets.toml, else the SQLite default."""
    if explicit:
        return explicit
    env = os.environ.get("HAPPY_DB_URL")
    if env:
        return env
    if SECRETS_PATH.exists():
        try:
            secrets = tomllib.loads(SECRETS_PATH.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StoreError(
                f"无法读取 .streamlit/secrets.toml：{exc} / cannot read .streamlit/secrets.toml"
            ) from None
        url = secrets.get("connections", {}).get("happy", {}).get("url")
        if url:
            return url
    return default_url()


def is_default_store(url: str) -> bool:
    """Whether the URL is the embedded default SQLite store (which the app seeds on first start)."""
    return url == default_url()


def redact(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # The driver must not open transactions by itself: we issue BEGIN (DEFERRED or IMMEDIATE).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA cache_size=-131072")  # 128 MiB: index upkeep in big loads and scans
    cur.close()


def _sqlite_begin(conn) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    # another writer holds the lock (the busy timeout does not help); writers say so up front.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """Create an engine for the URL, configured for its backend; raise StoreError if unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"数据库地址无效：{url!r} / invalid database URL") from None
    if parsed.get_backend_name() == "sqlite":
        db_path = parsed.database
        if db_path and db_path != ":memory:":
            try:
                Path(db_path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"无法创建数据库目录 {Path(db_path).parent}：{exc.strerror} "
                    f"/ cannot create the database folder"
                ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        try:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
        except (ArgumentError, ImportError, SQLAlchemyError) as exc:
            raise StoreError(
                f"无法使用数据库 {redact(url)}：{type(exc).__name__} / cannot use this database"
            ) from None
    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection to prove the store is reachable; raise StoreError otherwise."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
        first = reason[0] if reason else type(exc).__name__
        raise StoreError(
            f"无法连接数据库 {redact(str(engine.url))}：{first} / cannot open the database"
        ) from None


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading, in one (deferred) transaction."""
    with Session(engine) as session, session.begin():
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session for one write transaction: committed on success, rolled back on any error."""
    writer = engine.execution_options(sqlite_begin="IMMEDIATE")
    with Session(writer) as session, session.begin():
        yield session
