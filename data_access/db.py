"""The one owner of database connections: URL resolution, store settings, engine creation,
sessions, and the one place that turns a database failure into a one-line message."""

from __future__ import annotations

import inspect
import logging
import random
import re
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from data_access import settings
from data_access.messages import MessageError

log = logging.getLogger(__name__)
T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "happy.db"


class StoreError(MessageError):
    """A problem with the store that the user can act on: one line (`message`, Chinese and
    English), never a traceback, never a credential. `kind` says what happened: "busy" (try
    again shortly), "unreachable", "read-only", "damaged", "config" or "error"."""

    def __init__(self, zh: str, en: str | None = None, *, kind: str = "error") -> None:
        super().__init__(zh, en)
        self.kind = kind


# What a failing store raises: our own errors, SQLAlchemy's (which wrap the drivers'), and a
# SQLite error that reaches us unwrapped. psycopg's own errors are wrapped by SQLAlchemy (and
# importing psycopg here would cost every SQLite deployment 0.4 s at start).
STORE_FAILURES: tuple[type[BaseException], ...] = (StoreError, SQLAlchemyError, sqlite3.Error)


def dialect_insert(dialect: str) -> Callable:
    """The dialect's own INSERT (with ON CONFLICT), imported when first asked for: a SQLite
    server need not import PostgreSQL's dialect at start (0.03 s), nor the other way round."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def store_setting(setting: settings.Setting[T]) -> T:
    """A setting's value (data_access/settings.py); StoreError ("config") if it is not valid."""
    try:
        return settings.get(setting)
    except settings.SettingError as exc:
        raise StoreError(exc.message.zh, exc.message.en, kind="config") from None


def default_url() -> str:
    """The embedded SQLite store under data/."""
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def resolve_url(explicit: str | None = None) -> str:
    """The database URL: explicit, else HAPPY_DB_URL, else secrets.toml, else the SQLite default."""
    if explicit:
        return explicit
    return store_setting(settings.DB_URL) or default_url()


def is_default_store(url: str) -> bool:
    """Whether the URL is the embedded default SQLite store (which the app seeds on first start)."""
    return url == default_url()


# A query parameter that may hold a secret (password=, sslpassword=, token= ...), and the same in
# free text such as a driver's message ("password=..." in a libpq connection string).
_SECRET_PARAM = re.compile(r"(?i)([?&;]\s*[^=&;#]*(?:pass|pwd|secret|token|key)[^=&;#]*=)[^&]*")
_SECRET_KEY = re.compile(r"(?i)pass|pwd|secret|token|key")
_SECRET_WORD = re.compile(
    r"""(?i)\b((?:ssl)?pass(?:word|wd)?|pwd|secret|token)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,]+)"""
)
# Anything between "//" and the last "@": a URL's userinfo (in free text: within one word).
_USERINFO = re.compile(r"(?s)//.*@")
_USERINFO_IN_TEXT = re.compile(r"//\S*@")
# The part of a URL that names the kind of database, shown for a URL that cannot be parsed.
_KNOWN_SCHEME = re.compile(
    r"(?i)^\s*((?:sqlite|postgresql|postgres|mysql|mariadb|mssql|oracle)(?:\+[a-z0-9_]+)?)"
)


def redact(url: str) -> str:
    """The URL for messages and logs: no user or password (anything between "//" and "@"), no
    password-like query parameter; for a URL that cannot be parsed only the kind of database."""
    url = str(url)
    try:
        make_url(url)
    except (ArgumentError, ValueError, TypeError):
        known = _KNOWN_SCHEME.match(url)
        return f"{known.group(1) if known else ''}…"
    shown = _USERINFO.sub("//***@", url.strip(), count=1)
    shown = _SECRET_PARAM.sub(r"\1***", shown)
    for secret in _credentials(url):
        shown = shown.replace(secret, "***")
    return shown


def _credentials(url: str | None) -> list[str]:
    """The secrets a URL holds, as typed and decoded: its password and password-like parameters."""
    if not url:
        return []
    found: list[str] = []
    head = url.split("//", 1)[-1]
    # The user and password end at an "@" and the password begins after a colon; which ones is
    # unsure in a mistyped URL: take each pair.
    ats = [j for j, c in enumerate(head) if c == "@"]
    starts = [i + 1 for i, c in enumerate(head) if c == ":"]
    found += [head[i:j] for i in starts for j in ats if i < j]
    found += [m.group(0).split("=", 1)[1] for m in _SECRET_PARAM.finditer(url)]
    try:
        parsed = make_url(url)
        found.append(parsed.password or "")
        found += [str(v) for k, v in parsed.query.items() if _SECRET_KEY.search(k)]
    except (ArgumentError, ValueError, TypeError):
        pass
    found += [unquote(f) for f in found]
    found += [quote(f, safe="") for f in found]
    return sorted({f for f in found if len(f) >= 3}, key=len, reverse=True)


def scrub(message: str, url: str | None = None) -> str:
    """A message made safe to show: the URL's credentials and anything password-like hidden."""
    for secret in _credentials(url):
        message = message.replace(secret, "***")
    message = _USERINFO_IN_TEXT.sub("//***@", message)
    message = _SECRET_PARAM.sub(r"\1***", message)
    return _SECRET_WORD.sub(r"\1\2***", message)


def _first_line(message: str, limit: int = 200) -> str:
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(getattr(exc, "orig", None), "sqlstate", None) or "")


def is_busy(exc: BaseException) -> bool:
    """Whether a failure only means "the store is busy" (no free connection, a lock held too
    long, a deadlock): nothing was written and trying again later is safe."""
    if isinstance(exc, StoreError):
        return exc.kind == "busy"
    if isinstance(exc, PoolTimeout):
        return True
    reason = str(getattr(exc, "orig", exc)).lower()
    return (
        "database is locked" in reason
        or "database table is locked" in reason
        or _sqlstate(exc) in ("55P03", "40P01", "40001")  # lock timeout, deadlock, serialization
    )


def failure_reason(exc: BaseException, url: str | None = None) -> str:
    """The first line of what the driver said about a failure, with no credential in it."""
    orig = getattr(exc, "orig", None)
    return scrub(_first_line(str(orig if orig is not None else exc)), url) or type(exc).__name__


BUSY = ("数据库繁忙，请稍后重试", "the database is busy; please try again in a moment")


def store_error(exc: BaseException, url: str | None = None) -> StoreError:
    """The one-line StoreError (Chinese and English) for any failure of the store, with no
    credential in it; `url` (the store's, as typed) lets the message name it, redacted."""
    if isinstance(exc, StoreError):
        return exc
    error = _classify(exc, url)
    message = error.message
    return StoreError(scrub(message.zh, url), scrub(message.en, url), kind=error.kind)


def _classify(exc: BaseException, url: str | None) -> StoreError:
    if is_busy(exc):
        return StoreError(*BUSY, kind="busy")
    reason = failure_reason(exc, url)
    low, code = reason.lower(), _sqlstate(exc)
    where = f" {redact(url)}" if url else ""
    if "readonly" in low or "read-only" in low or code == "25006":
        return StoreError(
            "数据库为只读，无法保存；请联系运维人员",
            "the database is read-only, so nothing can be saved; tell the operator",
            kind="read-only",
        )
    if "not a database" in low or "malformed" in low or code in ("XX001", "XX002"):
        return StoreError(
            "数据库文件已损坏或不是数据库；请联系运维人员从备份恢复",
            "the database file is damaged or not a database; the operator should restore it",
            kind="damaged",
        )
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated
        or code.startswith(("08", "57P"))
        or any(w in low for w in ("connect", "server closed", "unable to open", "terminating"))
    ):
        return StoreError(
            f"无法连接数据库{where}：{reason}",
            f"cannot connect to the database{where}: {reason}",
            kind="unreachable",
        )
    return StoreError(f"数据库出错：{reason}", f"database error: {reason}")


def _sqlite_pragmas(lock_ms: int) -> Callable:
    def pragmas(dbapi_conn, _record) -> None:
        # The driver must not open transactions by itself: we issue BEGIN (DEFERRED or IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={lock_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-131072")  # 128 MiB: index upkeep in big loads and scans
        cur.close()

    return pragmas


class _WriterQueue:
    """A lock that writers get in the order they asked for it, or give up after a time.

    SQLite lets one writer in at a time, and lets waiting writers race for it: with 20 writing
    threads in one process some saves waited 10 s and more (bench.activity_inserts --threads:
    11 of 10,000 failed after 10 s; with this queue none, the slowest 0.5 s). Queued here, the
    threads of one process take turns, and only one of them at a time races the writers of
    other processes for the file's lock."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held and not self._waiting:
                self._held = True
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ended
                return True
            self._waiting.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()  # handed over: stays held
            else:
                self._held = False


@dataclass(frozen=True)
class _EngineFacts:
    """What make_engine knew of an engine: the URL as typed (a mistyped URL parses into odd
    parts, a password in the database name, so messages are redacted and scrubbed from what the
    person typed), its lock timeout, and on SQLite its writers' queue."""

    url: str
    lock_timeout: float
    writers: _WriterQueue | None = None
    set_local: str | None = None  # PostgreSQL: the write transaction's SET LOCAL lock_timeout


_ENGINE_FACTS: weakref.WeakKeyDictionary[Engine, _EngineFacts] = weakref.WeakKeyDictionary()


def typed_url(engine: Engine) -> str:
    """The URL an engine was made from, as typed: for redacting and scrubbing messages only."""
    facts = _ENGINE_FACTS.get(engine)
    return facts.url if facts else unquote(engine.url.render_as_string(hide_password=False))


def _postgres_lock_timeout(lock_ms: int) -> Callable:
    # A lock held by another transaction (a long import) makes a statement fail after this long,
    # and a save try again, instead of waiting for ever. Set per connection, not as a startup
    # "options" parameter, which connection poolers such as PgBouncer refuse.
    def set_lock_timeout(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET lock_timeout = {lock_ms}")
        cur.close()
        dbapi_conn.commit()

    return set_lock_timeout


# How long SQLite's own busy wait lasts within one try for the write lock. Its wait is not fair:
# it polls ever more slowly (every 100 ms after the first 0.3 s) while a newcomer tries at
# once, so with 20 writing processes some saves waited 10 s and more (issue 11). Short tries
# repeated until the deadline keep every waiter polling at the same pace.
SQLITE_TRY_MS = 50


def _sqlite_begin(lock_ms: int) -> Callable:
    def begin(conn) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
        # another writer holds the lock (the busy timeout does not help); writers say so up
        # front, and wait for the lock in short tries until their deadline.
        options = conn.get_execution_options()
        mode, deadline = options.get("sqlite_begin", "DEFERRED"), options.get("sqlite_deadline")
        if mode != "IMMEDIATE" or deadline is None:
            conn.exec_driver_sql(f"BEGIN {mode}")
            return
        raw = conn.connection.driver_connection
        raw.execute(f"PRAGMA busy_timeout={SQLITE_TRY_MS}")
        try:
            while True:
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    return
                except OperationalError as exc:
                    if "locked" not in str(exc.orig) or time.monotonic() >= deadline:
                        raise
                    time.sleep(random.uniform(0, 0.002))
        finally:
            raw.execute(f"PRAGMA busy_timeout={lock_ms}")

    return begin


def _sqlite_folder(database: str | None, query: dict) -> Path | None:
    """The folder a SQLite file lives in (None for an in-memory store)."""
    if not database or database == ":memory:" or query.get("mode") == "memory":
        return None
    if str(query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database).parent


def make_engine(url: str) -> Engine:
    """Create an engine for the URL, configured for its backend and the store settings; raise
    StoreError (one line, no credential) if it cannot be used."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise StoreError(
            f"数据库地址无效：{redact(url)}", f"invalid database URL: {redact(url)}", kind="config"
        ) from None
    pool = {
        "pool_size": int(store_setting(settings.POOL_SIZE)),
        "max_overflow": int(store_setting(settings.MAX_OVERFLOW)),
        "pool_timeout": store_setting(settings.POOL_TIMEOUT),
    }
    lock = store_setting(settings.LOCK_TIMEOUT)
    try:
        if parsed.get_backend_name() == "sqlite":
            folder = _sqlite_folder(parsed.database, dict(parsed.query))
            if folder is not None:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(
                        f"无法创建数据库目录 {folder}：{exc.strerror}",
                        f"cannot create the database folder {folder}: {exc.strerror}",
                        kind="config",
                    ) from None
            engine = create_engine(
                url, connect_args={"timeout": lock}, **(pool if folder is not None else {})
            )
            event.listen(engine, "connect", _sqlite_pragmas(int(lock * 1000)))
            event.listen(engine, "begin", _sqlite_begin(int(lock * 1000)))
            _ENGINE_FACTS[engine] = _EngineFacts(url, lock, _WriterQueue())
            return engine
        connect_args: dict[str, Any] = {}
        postgres = parsed.get_backend_name() == "postgresql"
        if postgres and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = max(1, round(store_setting(settings.CONNECT_TIMEOUT)))
        if postgres and parsed.get_driver_name() == "psycopg":
            # No statements prepared on the server: behind PgBouncer in transaction mode the next
            # transaction may run on another server connection, where another app connection's
            # "_pg3_0" already exists (tests/test_pgbouncer.py). The page readers are cached and
            # the measured CPU per run was the same without them (docs/operations.md).
            connect_args["prepare_threshold"] = None
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)
        if postgres:
            event.listen(engine, "connect", _postgres_lock_timeout(int(lock * 1000)))
        set_local = f"SET LOCAL lock_timeout = {int(lock * 1000)}" if postgres else None
        _ENGINE_FACTS[engine] = _EngineFacts(url, lock, None, set_local)
        return engine
    except StoreError:
        raise
    except (ArgumentError, ImportError, SQLAlchemyError, ValueError, TypeError) as exc:
        raise StoreError(
            f"无法使用数据库 {redact(url)}：{type(exc).__name__}",
            f"cannot use the database {redact(url)}: {type(exc).__name__}",
            kind="config",
        ) from None


def check_connection(engine: Engine) -> None:
    """Open one connection to prove the store is reachable; raise StoreError otherwise."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (*STORE_FAILURES, ValueError) as exc:
        # ValueError: a URL parameter the driver cannot read (a port that is not a number).
        raise _unreachable(exc, typed_url(engine)) from None


def _unreachable(exc: BaseException, url: str) -> StoreError:
    error = store_error(exc, url)
    if error.kind != "error":
        return error
    reason, where = failure_reason(exc, url), redact(url)
    return StoreError(
        f"无法连接数据库 {where}：{reason}",
        f"cannot connect to the database {where}: {reason}",
        kind="unreachable",
    )


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading, in one (deferred) transaction."""
    with Session(engine) as session, session.begin():
        yield session


@contextmanager
def write_session(engine: Engine, connection: Connection | None = None) -> Iterator[Session]:
    """A session for one write transaction: committed on success, rolled back on any error. On
    SQLite the writers of this process take turns (see _WriterQueue) and then wait for the
    file's write lock; one that has not got both within the lock timeout gets a "busy"
    StoreError. `connection`: one of the engine's, not in a transaction, to write on (run_write
    prepares and writes on one connection: one checkout and pre-ping instead of two)."""
    facts = _ENGINE_FACTS.get(engine)
    queue = facts.writers if facts else None
    bind = connection if connection is not None else engine
    if queue is None:
        writer = bind.execution_options(sqlite_begin="IMMEDIATE")
        with Session(writer) as session, session.begin():
            if facts is not None and facts.set_local is not None:
                # For this transaction only: also behind PgBouncer in transaction mode, where
                # the connection's own SET may belong to another client's server connection.
                session.execute(text(facts.set_local))
            yield session
        return
    patience = facts.lock_timeout
    deadline = time.monotonic() + patience
    if not queue.acquire(patience):
        raise StoreError(*BUSY, kind="busy")
    try:
        writer = bind.execution_options(sqlite_begin="IMMEDIATE", sqlite_deadline=deadline)
        with Session(writer) as session, session.begin():
            yield session
    finally:
        queue.release()


class Moved(Exception):
    """Raised by a prepared write's writes when what its preparation read has changed meanwhile
    (a version in a WHERE matched no row, another publication came first): nothing was written
    (the transaction rolls back) and run_write prepares the write again."""


@dataclass(frozen=True)
class Writes:
    """What a prepared write leaves for its transaction: `run(session)` issues only the
    INSERT/UPDATE/DELETEs worked out beforehand and gives the write's result."""

    run: Callable[[Session], Any]
    # A long write in turns: after this transaction commits, the write is prepared and written
    # again (its next part), and the parts' results added up (+), so that other writers get the
    # lock in between (approving every report of a month). True: the next part is called with
    # the same arguments; a dict: with these arguments changed (the regions still to approve).
    more: bool | dict[str, Any] = False


def _next_part(fn: Callable, args: tuple, kwargs: dict, more: bool | dict) -> tuple[tuple, dict]:
    """The arguments of a write's next part: the same, or with `more`'s changes (by name, however
    the caller passed them)."""
    if not isinstance(more, dict):
        return args, kwargs
    bound = inspect.signature(getattr(fn, "prepare", fn)).bind(None, *args, **kwargs)
    bound.arguments.update(more)
    return bound.args[1:], bound.kwargs


_IN_SESSION_TRIES = 20


def prepared_write(prepare: Callable[..., Any]) -> Callable[..., Any]:
    """A write function made of its preparation: `prepare(session, *args, **kwargs)` reads and
    checks everything (validation, scope, region facts, rollup deltas, audit rows) and returns
    either the final result (nothing to write) or `Writes`. Called with a session, the two run
    in that session; run_write runs the preparation in a read transaction first and only the
    writes in the write transaction, so the write lock (SQLite's, PostgreSQL's row locks) is
    held for the writes alone. The writes must re-check what may have changed in between (a
    version or a unique token in their WHERE or ON CONFLICT)."""

    def write_part(session: Session, args: tuple, kwargs: dict) -> tuple[Any, bool | dict]:
        # In the caller's transaction: what moved meanwhile (another transaction's commit, on
        # PostgreSQL) is read again and the writes made afresh, back to a savepoint.
        for _attempt in range(_IN_SESSION_TRIES):
            step = prepare(session, *args, **kwargs)
            if not isinstance(step, Writes):
                return step, False
            try:
                with session.begin_nested():
                    return step.run(session), step.more
            except Moved:
                continue
        raise StoreError(*BUSY, kind="busy")

    def write(session: Session, *args: Any, **kwargs: Any) -> Any:
        total, more = write_part(session, args, kwargs)
        while more:
            args, kwargs = _next_part(prepare, args, kwargs, more)
            part, more = write_part(session, args, kwargs)
            total = total + part
        return total

    write.__name__, write.__qualname__ = prepare.__name__, prepare.__qualname__
    write.__doc__, write.__module__ = prepare.__doc__, prepare.__module__
    write.prepare = prepare  # type: ignore[attr-defined]
    return write


def _run_once(engine: Engine, fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, bool | dict]:
    """One transaction of a write: its result, and whether a prepared write has a next part."""
    prepare = getattr(fn, "prepare", None)
    if prepare is None:
        with write_session(engine) as session:
            return fn(session, *args, **kwargs), False
    with engine.connect() as connection:
        with Session(connection) as session, session.begin():
            step = prepare(session, *args, **kwargs)
        if not isinstance(step, Writes):
            return step, False
        with write_session(engine, connection) as session:
            return step.run(session), step.more


def run_write(
    engine: Engine,
    fn: Callable,
    *args: Any,
    after_part: Callable[[Any], None] | None = None,
    **kwargs: Any,
) -> Any:
    """Run one write function (session first) in its own transaction; a prepared write
    (prepared_write) is prepared in a read transaction before it, so that the write transaction
    holds only its INSERT/UPDATEs. A deadlock, or a lock given up on before the lock timeout
    has passed since the write began, is tried again (the preparation too); any failure ends
    as a one-line StoreError, and nothing (of that transaction) is written. A prepared write in
    parts (Writes.more) commits each part in its own transaction: a failure leaves the parts
    committed before it, each whole (approving all: those approved stay approved), and the
    exception carries their results added up as `committed` (a page says what was done).
    `after_part`, if given, is called with the results so far after each committed part that
    another follows (a page's progress bar)."""
    total, more = _run_tried(engine, fn, args, kwargs)
    while more:
        if after_part is not None:
            after_part(total)
        args, kwargs = _next_part(fn, args, kwargs, more)
        try:
            part, more = _run_tried(engine, fn, args, kwargs)
        except Exception as exc:
            exc.committed = total  # type: ignore[attr-defined]
            raise
        total = total + part
    return total


def _run_tried(engine: Engine, fn: Callable, args: tuple, kwargs: dict) -> tuple[Any, bool | dict]:
    began = time.monotonic()
    # The engine's own lock timeout: read once, not from the environment and secrets.toml on
    # every try (an engine made elsewhere, by tests, gets the setting).
    facts = _ENGINE_FACTS.get(engine)
    patience = facts.lock_timeout if facts else store_setting(settings.LOCK_TIMEOUT)
    while True:
        try:
            return _run_once(engine, fn, args, kwargs)
        except Moved:
            # Prepared from a state that changed before its writes: prepare it again.
            if time.monotonic() - began >= patience:
                raise StoreError(*BUSY, kind="busy") from None
        except STORE_FAILURES as exc:
            # The transaction never began (or was rolled back), so trying again is safe, and
            # saves carry their client token, so none is made twice. A pool timeout, a turn in
            # the writers' queue or SQLite's write lock have waited their full time already.
            again = is_busy(exc) and not isinstance(exc, (PoolTimeout, StoreError))
            if not again or time.monotonic() - began >= patience:
                raise store_error(exc, typed_url(engine)) from None
            time.sleep(random.uniform(0.01, 0.2))


def run_read(engine: Engine, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run one read function (session first) in its own read transaction; a store failure
    becomes a one-line StoreError."""
    try:
        with read_session(engine) as session:
            return fn(session, *args, **kwargs)
    except STORE_FAILURES as exc:
        raise store_error(exc, typed_url(engine)) from None
