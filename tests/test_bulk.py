"""Bulk loading with the plain indexes built and the foreign keys checked after the rows
(data_access.bulk.indexes_built_after and foreign_keys_checked_after, used by the demo's build):
what is built again is exactly what the store had, a row breaking a key is refused, and a
failure in the middle leaves the store as it was, indexes and keys included. On a real SQLite
file and a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from data_access.bulk import bulk_insert, foreign_keys_checked_after, indexes_built_after
from data_access.db import make_engine, read_session, write_session
from data_access.indicators import TOTAL_COLUMNS
from data_access.models import (
    Activity,
    ActivityTypeRow,
    IndicatorRow,
    MonthlyReportValue,
    Region,
    Rollup,
)
from data_access.store import open_store
from seed_data.loader import BULK_TABLES


@pytest.fixture
def store(empty_url) -> Engine:
    engine = open_store(empty_url)
    yield engine
    engine.dispose()


def _indexes(engine: Engine) -> dict[str, list[tuple]]:
    """Every index of the bulk tables: name, columns, unique."""
    found = inspect(engine)
    return {
        table.name: sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in found.get_indexes(table.name)
        )
        for table in BULK_TABLES
    }


def _foreign_keys(engine: Engine) -> dict[str, list[tuple]]:
    """Every foreign key of the bulk tables: name, columns, the table and columns it refers to."""
    found = inspect(engine)
    return {
        table.name: sorted(
            (
                k["name"],
                tuple(k["constrained_columns"]),
                k["referred_table"],
                tuple(k["referred_columns"]),
            )
            for k in found.get_foreign_keys(table.name)
        )  # fmt: skip
        for table in BULK_TABLES
    }


def _a_community(session) -> tuple[int, int, int, str]:
    """Regions and an activity type to hang activities on (the store's catalogue is there)."""
    parent = None
    for code, level in (("910000", "city"), ("910100", "district"), ("910101", "street")):
        parent = _region(session, code, level, parent)
    street = parent
    district = session.get(Region, street.parent_id)
    community = _region(session, "910101001", "community", street)
    type_key = session.scalar(select(ActivityTypeRow.key).limit(1))
    return community.id, street.id, district.id, type_key


def _region(session, code: str, level: str, parent: Region | None) -> Region:
    region = Region(
        code=code,
        level=level,
        parent_id=parent.id if parent else None,
        name_zh=f"测试{level}",
        name_en=f"Test {level}",
        lat=41.8,
        lon=123.4,
    )
    session.add(region)
    session.flush()
    return region


def _rows(ids: tuple[int, int, int, str], n: int):
    community, street, district, type_key = ids
    day = date(2025, 3, 1)
    return [
        (type_key, community, street, district, day, f"活动 {i}", "done", "form", 1)
        for i in range(n)
    ]


COLUMNS = (
    "type_key", "community_id", "street_id", "district_id", "occurred_on", "title", "status",
    "source", "version",
)  # fmt: skip


def test_the_plain_indexes_are_gone_in_the_block_and_built_again_as_they_were(store):
    before = _indexes(store)
    plain = sum(not unique for rows in before.values() for _, _, unique in rows)
    assert plain >= 10, before  # the activities alone have several
    with write_session(store) as session:
        ids = _a_community(session)
        with indexes_built_after(session, BULK_TABLES) as dropped:
            assert dropped == plain
            inside = session.connection()
            kept = {t.name: inspect(inside).get_indexes(t.name) for t in BULK_TABLES}
            assert all(i["unique"] for rows in kept.values() for i in rows), kept
            bulk_insert(session, Activity.__table__, COLUMNS, _rows(ids, 500))
    assert _indexes(store) == before
    with read_session(store) as session:
        assert session.scalar(select(Activity.id).where(Activity.title == "活动 499")) is not None


def test_a_failure_in_the_block_leaves_the_rows_and_the_indexes_as_they_were(store):
    before = _indexes(store)
    with pytest.raises(RuntimeError, match="stopped"), write_session(store) as session:
        ids = _a_community(session)
        with indexes_built_after(session, BULK_TABLES):
            bulk_insert(session, Activity.__table__, COLUMNS, _rows(ids, 100))
            raise RuntimeError("stopped half-way")
    assert _indexes(store) == before
    with read_session(store) as session:
        assert session.scalar(select(Activity.id).limit(1)) is None
        assert session.scalar(select(Region.id).limit(1)) is None


def test_the_demo_store_has_the_indexes_a_migrated_store_has(sqlite_demo_template, tmp_path):
    """The demo is built with its tables' plain indexes dropped and built again at the end."""
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    demo = make_engine(sqlite_demo_template)
    try:
        assert _indexes(demo) == _indexes(fresh)
        with demo.connect() as conn:  # and SQLite's own catalogue says they are whole
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        fresh.dispose()
        demo.dispose()


def _between_bulk_tables(keys: dict[str, list[tuple]]) -> int:
    """How many of the bulk tables' foreign keys refer to another bulk table."""
    bulk = {table.name for table in BULK_TABLES}
    return sum(referred in bulk for rows in keys.values() for _, _, referred, _ in rows)


def test_the_keys_between_the_loaded_tables_are_checked_after_the_block_as_they_were(store):
    before = _foreign_keys(store)
    assert _between_bulk_tables(before) >= 1, before  # a report's values → the report
    with write_session(store) as session:
        ids = _a_community(session)
        with foreign_keys_checked_after(session, BULK_TABLES) as dropped:
            # PostgreSQL checks them once at the end; SQLite cannot drop a constraint.
            postgres = store.dialect.name == "postgresql"
            assert dropped == (_between_bulk_tables(before) if postgres else 0)
            bulk_insert(session, Activity.__table__, COLUMNS, _rows(ids, 200))
    assert _foreign_keys(store) == before
    with read_session(store) as session:
        assert session.scalar(select(Activity.id).where(Activity.title == "活动 199")) is not None


def test_a_row_breaking_a_foreign_key_is_refused_and_nothing_is_kept(store):
    before = _foreign_keys(store)
    # SQLite refuses the row as it comes (the raw driver's error: bulk_insert writes through
    # it), PostgreSQL when the key is added again at the block's end.
    with pytest.raises((IntegrityError, sqlite3.IntegrityError)), write_session(store) as session:
        ids = _a_community(session)
        key = session.scalar(select(IndicatorRow.key).limit(1))
        with foreign_keys_checked_after(session, BULK_TABLES):
            bulk_insert(session, Activity.__table__, COLUMNS, _rows(ids, 50))
            orphan = [(999_999, key, 1.0)]  # the values of a report that does not exist
            bulk_insert(
                session,
                MonthlyReportValue.__table__,
                ("report_id", "indicator_key", "value"),
                orphan,
            )
    assert _foreign_keys(store) == before
    with read_session(store) as session:
        assert session.scalar(select(Activity.id).limit(1)) is None
        assert session.scalar(select(Region.id).limit(1)) is None
        assert session.scalar(select(MonthlyReportValue.report_id).limit(1)) is None


def test_whole_numbers_and_decimals_are_stored_as_floats(store):
    """A Float column takes numbers as they come (ints and floats, unconverted on SQLite, where
    its REAL affinity makes an int a float) and converts what SQLite could not take (Decimal)."""
    with write_session(store) as session:
        community, street, district, type_key = _a_community(session)
        others = [m for m in TOTAL_COLUMNS if m != "hours"]
        rows = [
            (community, 202501 + i, type_key, street, district, hours, *[1] * len(others))
            for i, hours in enumerate([2, 2.5, Decimal("3.25")])
        ]
        columns = ("community_id", "month", "type_key", "street_id", "district_id", "hours")
        bulk_insert(session, Rollup.__table__, (*columns, *others), rows)
    with store.connect() as conn:
        stored = conn.execute(text("SELECT hours FROM rollups ORDER BY month")).scalars().all()
    assert stored == [2.0, 2.5, 3.25]
    assert [type(v) for v in stored[:3]] == [float, float, float]
