"""Bulk loading with the plain indexes built after the rows (data_access.bulk.indexes_built_after,
used by the demo's build): what is built again is exactly what the store had, and a failure in
the middle leaves the store as it was, indexes included. On a real SQLite file and a real
PostgreSQL server."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import Engine, inspect, select, text

from data_access.bulk import bulk_insert, indexes_built_after
from data_access.db import make_engine, read_session, write_session
from data_access.models import Activity, ActivityTypeRow, Region
from data_access.store import open_store
from seed_data.loader import BULK_TABLES


@pytest.fixture(params=["sqlite", "pg"])
def store(request, tmp_path) -> Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bulk.db'}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"bulk_{int(time.time() * 1000) % 10**9}")
    engine = open_store(url)
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
