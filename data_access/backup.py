"""Backups and restores of a store with the engines' own tools: PostgreSQL's `pg_dump -Fc` and
`pg_restore`, SQLite's online backup API; `python -m data_access backup|restore`.

Both are safe while the app servers write: pg_dump reads one snapshot (one transaction), and
SQLite's backup API copies a consistent state of the file, WAL included. A restore goes into a
fresh store only (an empty PostgreSQL database, a SQLite file that does not exist yet), so that a
mistyped URL never overwrites a live store; the app then migrates it if the backup is older
than the program.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from data_access.db import StoreError, make_engine, redact, resolve_url
from data_access.files import replaced_whole


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StoreError(
            f"找不到 {name}，请安装 PostgreSQL 客户端（postgresql-client）",
            f"{name} not found: install the PostgreSQL client tools (postgresql-client)",
            kind="config",
        )
    return found


@contextmanager
def _libpq(url: URL) -> Iterator[list[str]]:
    """pg_dump/pg_restore's connection arguments for a SQLAlchemy URL. The password goes in a
    password file of our own (mode 0600, removed afterwards), never on the command line where
    `ps` shows it."""
    params = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database or "",
        **{k: v for k, v in url.query.items() if isinstance(v, str) and k != "password"},
    }
    passfile = None
    try:
        if url.password is not None:
            handle, passfile = tempfile.mkstemp(prefix="happy-pgpass-")
            fields = [url.host or "*", url.port or "*", url.database or "*", url.username or "*"]
            line = ":".join(_pgpass_field(f) for f in [*fields, url.password])
            with os.fdopen(handle, "w") as f:
                f.write(line + "\n")
            params["passfile"] = passfile
        conninfo = " ".join(f"{k}='{_quote(str(v))}'" for k, v in params.items() if v is not None)
        yield ["--dbname", conninfo]
    finally:
        if passfile is not None:
            os.unlink(passfile)


def _pgpass_field(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace(":", "\\:")


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(argv: list[str], url: URL, what_zh: str, what_en: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line] or lines
        detail = errors[0].strip() if errors else f"exit {result.returncode}"
        if url.password:  # the tools do not print it; never let it through if one did
            detail = detail.replace(url.password, "***")
        raise StoreError(f"{what_zh}失败：{detail}", f"{what_en} failed: {detail}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise StoreError(
            "只能备份或恢复 SQLite 文件", "only a SQLite file can be backed up or restored"
        )
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API from one file to a new one, written beside it first and moved
    into place, so that an interrupted copy leaves no half file under the target's name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with replaced_whole(target, private=True) as partial:
            src = sqlite3.connect(source, timeout=30)
            dst = sqlite3.connect(partial)
            try:
                with dst:
                    # In one step: a read transaction on the source (writers go on under WAL),
                    # so the copy is the store as of its start; in steps, every write by another
                    # connection would start the copy over.
                    src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                src.close()
                dst.close()
    except sqlite3.Error as exc:
        raise StoreError(f"SQLite 备份失败：{exc}", f"SQLite backup failed: {exc}") from None


def backup(url: str, out: str | os.PathLike[str]) -> Path:
    """Write a backup of the store at `url` to `out` (PostgreSQL: pg_dump's custom format;
    SQLite: a database file), consistent as of one moment while writes go on."""
    parsed, target = make_url(url), Path(out)
    if parsed.get_backend_name() == "postgresql":
        argv = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file"]
        with replaced_whole(target, private=True) as partial, _libpq(parsed) as args:
            _run([*argv, str(partial), *args], parsed, "备份", "backup")
        return target
    if parsed.get_backend_name() == "sqlite":
        source = _sqlite_path(parsed)
        if not source.exists():
            raise StoreError(f"找不到数据库文件 {source}", f"no database file {source}")
        _sqlite_copy(source, target)
        return target
    raise StoreError(f"不支持的数据库：{redact(url)}", f"unsupported store: {redact(url)}")


def restore(file: str | os.PathLike[str], url: str) -> None:
    """Restore a backup made by `backup` into the fresh store at `url` (an empty PostgreSQL
    database; a SQLite file that does not exist yet)."""
    source, parsed = Path(file), make_url(url)
    if not source.is_file():
        raise StoreError(f"找不到备份文件 {source}", f"no backup file {source}")
    if parsed.get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                tables = inspect(conn).get_table_names()
        finally:
            engine.dispose()
        if tables:
            raise StoreError(
                "目标数据库不是空的：请恢复到新建的空数据库（createdb）",
                "the target database is not empty: restore into a new, empty database (createdb)",
            )
        argv = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        with _libpq(parsed) as args:
            _run([*argv, "--single-transaction", *args, str(source)], parsed, "恢复", "restore")
        return
    if parsed.get_backend_name() == "sqlite":
        target = _sqlite_path(parsed)
        if target.exists():
            raise StoreError(
                f"目标文件 {target} 已存在：请恢复到新文件",
                f"{target} exists: restore into a new file",
            )
        _sqlite_copy(source, target)
        return
    raise StoreError(f"不支持的数据库：{redact(url)}", f"unsupported store: {redact(url)}")


def add_commands(sub) -> None:
    """The `backup` and `restore` commands of `python -m data_access`."""
    one = sub.add_parser("backup", help="back up the store (pg_dump -Fc; SQLite backup API)")
    one.add_argument("--db", help="database URL (default: HAPPY_DB_URL, secrets.toml, …)")
    one.add_argument("--out", required=True, help="the backup file to write")
    two = sub.add_parser("restore", help="restore a backup into a new, empty store")
    two.add_argument("file", help="a file written by `backup`")
    two.add_argument("--db", required=True, help="the new store's URL (empty database / new file)")


def run_command(args) -> int:
    """Run `backup` or `restore`; StoreError for a failure (one line)."""
    if args.command == "backup":
        written = backup(resolve_url(args.db), args.out)
        print(f"备份已写入 {written} / backup written ({written.stat().st_size:,} bytes)")
        return 0
    restore(args.file, args.db)
    print(
        "已恢复；请运行 python -m data_access check 核对 / restored; "
        "check it with `python -m data_access check --db URL`"
    )
    return 0
