"""20 writers saving 20 activities each at once: every row saved exactly once and the rollups
equal to a recount, on SQLite and on PostgreSQL.

The smoke version of bench/activity_inserts.py, which runs the long scenario (500 each and more)
by hand and records its latencies in docs/performance.md."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import String, cast, func, select

from bench.activity_inserts import community_ids, run_writers
from data_access.db import read_session
from data_access.models import Activity, AuditLog
from data_access.rollups import compare_rollups
from data_access.store import open_store

WRITERS = 20
PER_WRITER = 20  # 50 each took 20–40 s of CI; the 20 still wait on each other at every save


@pytest.mark.slow
def test_twenty_concurrent_writers(write_db_url):
    marker = f"并发 {uuid4().hex[:8]}"
    engine = open_store(write_db_url)
    latencies, errors = run_writers(
        write_db_url, WRITERS, PER_WRITER, marker, community_ids(write_db_url)
    )
    assert errors == []
    assert len(latencies) == WRITERS * PER_WRITER
    with read_session(engine) as session:
        saved = session.scalar(select(func.count()).where(Activity.title.like(f"{marker} %")))
        distinct = session.scalar(
            select(func.count(func.distinct(Activity.title))).where(
                Activity.title.like(f"{marker} %")
            )
        )
        # One audit row per save of this run (each writer's untimed warm-up save has its own).
        # The run's ids first: a join on cast(id) matched each audit row against every
        # activity (a nested scan that took 30 s of CI, most of this test).
        ids = select(cast(Activity.id, String)).where(Activity.title.like(f"{marker} %"))
        audits = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "activity", AuditLog.entity_id.in_(ids))
        )
        differences = compare_rollups(session)
    engine.dispose()
    assert saved == distinct == WRITERS * PER_WRITER
    assert audits == WRITERS * PER_WRITER
    assert differences == []


def test_paced_writers_wait_before_their_first_save_too(monkeypatch):
    """bench/activity_inserts.py --pause: people at a form save at their own moments, so every
    save, the first included, comes after a random pause; 20 first saves at the barrier's
    release were a burst that set the paced p95 (docs/performance.md, session 9)."""
    import random

    import bench.activity_inserts as inserts

    slept: list[float] = []
    monkeypatch.setattr(inserts.time, "sleep", slept.append)
    monkeypatch.setattr(inserts, "PAUSE", (1.0, 5.0))
    inserts._pause(random.Random(0))
    assert len(slept) == 1 and 1.0 <= slept[0] <= 5.0
    monkeypatch.setattr(inserts, "PAUSE", None)
    inserts._pause(random.Random(0))
    assert len(slept) == 1


def test_the_peers_writers_each_commit_a_bare_row_and_touch_nothing_of_the_app(
    write_db_url, monkeypatch
):
    """bench/activity_inserts.py --peer: the same writers, each saving one bare INSERT into a
    scratch table in its own transaction (the floor beside the app's saves): every row there,
    no activity, audit row or rollup of the app written."""
    import bench.activity_inserts as inserts

    marker = f"peer {uuid4().hex[:8]}"
    engine = open_store(write_db_url)
    with read_session(engine) as session:
        audits_before = session.scalar(select(func.count()).select_from(AuditLog))
    inserts._PEER_ROWS.create(engine)
    monkeypatch.setattr(inserts, "PEER", True)
    try:
        latencies, errors = run_writers(write_db_url, 4, 5, marker, community_ids(write_db_url))
        peer_rows = inserts.saved_count(write_db_url, marker)
    finally:
        inserts._PEER_ROWS.drop(engine)
    monkeypatch.setattr(inserts, "PEER", False)
    assert errors == [] and len(latencies) == 20
    assert peer_rows == 20
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == audits_before
        assert inserts.saved_count(write_db_url, marker) == 0  # no activity of the run
        assert compare_rollups(session) == []
    engine.dispose()
