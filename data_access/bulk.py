"""Fast bulk loading of many rows (demo data, imports): the quickest path each backend offers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

CHUNK = 50_000


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
        names = ", ".join(c.name for c in cols)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})'
        cursor = conn.connection.driver_connection.cursor()
        batch: list[tuple] = []
        for row in rows:
            batch.append(
                tuple(
                    v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True)
                )
            )
            if len(batch) == CHUNK:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
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
