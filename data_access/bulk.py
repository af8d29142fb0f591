"""Fast bulk loading of many rows (demo data, imports): the quickest path each backend offers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice

from sqlalchemy import Table, bindparam, insert, text
from sqlalchemy.engine import processors
from sqlalchemy.orm import Session

CHUNK = 50_000


def _already_floats(batch: list[Sequence], conversion: tuple[int, dict, Callable]) -> bool:
    """Whether a Float column's values in the batch are all numbers SQLite takes as they are
    (float, int or None; its REAL column stores an int as a float, as the conversion would).
    The demo's two million report values are floats: converting them anyway rebuilt every row,
    6 s of a profiled build (docs/performance.md, session 14)."""
    i, _seen, process = conversion
    return process is processors.to_float and all(type(row[i]) in _NUMBERS for row in batch)


_NUMBERS = frozenset({float, int, type(None)})


def _converted(row: Sequence, convert: list[tuple[int, dict, Callable]]) -> list:
    values = list(row)
    for i, seen, process in convert:
        value = values[i]
        if value is not None:
            # Dates and times repeat (a few hundred days among 670,000 rows): each converted once.
            try:
                done = seen.get(value)
                if done is None:
                    done = seen[value] = process(value)
            except TypeError:  # a value that cannot be a key
                done = process(value)
            values[i] = done
    return values


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[tuple]
) -> int:
    """Insert tuples (in `columns` order) into the table inside the session's transaction.

    PostgreSQL gets COPY; SQLite a plain DB-API executemany with the column types' own bind
    conversions; anything else SQLAlchemy's executemany. Returns the number of rows.
    """
    conn = session.connection()
    dialect = conn.dialect.name
    cols = [table.c[name] for name in columns]
    count = 0
    if dialect == "postgresql":
        dbapi_conn = conn.connection.driver_connection
        names = ", ".join(f'"{c.name}"' for c in cols)
        with (
            dbapi_conn.cursor() as cur,
            cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    if dialect == "sqlite":
        procs = [c.type._cached_bind_processor(conn.dialect) for c in cols]
        # Only the columns whose type converts its values (dates, times) are touched row by row:
        # rebuilding every tuple cost 1.5 s per 670,000 rows, 3–4 s of the demo city's build.
        convert = [(i, {}, p) for i, p in enumerate(procs) if p is not None]
        names = ", ".join(c.name for c in cols)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
        cursor = conn.connection.driver_connection.cursor()
        pending = iter(rows)
        while batch := list(islice(pending, CHUNK)):
            needed = [c for c in convert if not _already_floats(batch, c)]
            if needed:
                batch = [_converted(row, needed) for row in batch]
            cursor.executemany(sql, batch)
            count += len(batch)
        cursor.close()
        return count
    batch_dicts: list[dict] = []
    for row in rows:
        batch_dicts.append(dict(zip(columns, row, strict=True)))
        if len(batch_dicts) == CHUNK:
            session.execute(insert(table), batch_dicts)
            count += len(batch_dicts)
            batch_dicts = []
    if batch_dicts:
        session.execute(insert(table), batch_dicts)
        count += len(batch_dicts)
    return count


# The plain (not unique) indexes of some tables, with the statement that builds each: read from
# the store's own catalogue, so that what is built again is exactly what was there.
_PLAIN_INDEXES = {
    "sqlite": text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN :tables AND upper(sql) NOT LIKE 'CREATE UNIQUE %' ORDER BY name"
    ),
    "postgresql": text(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
        " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = current_schema() AND t.relname IN :tables AND NOT x.indisunique"
        " ORDER BY i.relname"
    ),
}


@contextmanager
def indexes_built_after(session: Session, tables: Sequence[Table]) -> Iterator[int]:
    """Inside the session's transaction: drop the tables' plain indexes for the block, then build
    each again from the statement the store's catalogue holds. Loading hundreds of thousands of
    rows and then building an index once (a sort) is quicker than updating it row by row: the
    demo city's build took about a quarter less (docs/performance.md, session 13). Unique
    indexes and keys stay and check every row as it comes. Both engines' DDL is transactional:
    an error in the block rolls the indexes back with the rows. On PostgreSQL a dropped index
    locks its table until the transaction ends: for loading a store nobody reads yet. Yields
    how many indexes were dropped."""
    conn = session.connection()
    query = _PLAIN_INDEXES.get(conn.dialect.name)
    if query is None:
        yield 0
        return
    with _away_for_the_block(conn, query, tables, 'DROP INDEX "{0}"', "{1}") as dropped:
        yield dropped


@contextmanager
def _away_for_the_block(
    conn, catalogue, tables: Sequence[Table], drop: str, restore: str
) -> Iterator[int]:
    """The tables' rows of a catalogue query: for each, the statement `drop` (a template filled
    with the row's fields: {0}, {1}, ...) runs before the block, `restore` after it; yields how
    many rows there were (indexes_built_after, foreign_keys_checked_after)."""
    names = [table.name for table in tables]
    rows = conn.execute(
        catalogue.bindparams(bindparam("tables", expanding=True)), {"tables": names}
    ).all()
    for row in rows:
        conn.exec_driver_sql(drop.format(*row))
    yield len(rows)
    for row in rows:
        conn.exec_driver_sql(restore.format(*row))


_FOREIGN_KEYS = text(
    "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
    " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
    " JOIN pg_class r ON r.oid = c.confrelid"
    " WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname IN :tables"
    " AND r.relname IN :tables ORDER BY t.relname, c.conname"
)


@contextmanager
def foreign_keys_checked_after(session: Session, tables: Sequence[Table]) -> Iterator[int]:
    """On PostgreSQL, inside the session's transaction: drop the foreign keys from one of the
    tables to another for the block, then add each again from its definition in the store's
    catalogue, which checks every row in one pass instead of a trigger and a lookup per row (a
    report's values → the report: a tenth to a fifth of the demo city's build on PostgreSQL,
    docs/performance.md, session 14). A row that breaks a key fails the block's end, and the
    transaction takes the rows back with the keys. Only keys between these tables: dropping a
    key locks the table it refers to against every reader until the transaction ends, and
    servers started together read the regions and the catalogue while one of them builds the
    demo (tests/test_start_together.py failed with "busy" when all keys were dropped). Like
    indexes_built_after, for loading tables nobody reads yet. Elsewhere nothing changes: SQLite
    cannot drop a constraint. Yields how many foreign keys were dropped."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        yield 0
        return
    drop = 'ALTER TABLE "{0}" DROP CONSTRAINT "{1}"'
    add = 'ALTER TABLE "{0}" ADD CONSTRAINT "{1}" {2}'
    with _away_for_the_block(conn, _FOREIGN_KEYS, tables, drop, add) as dropped:
        yield dropped
