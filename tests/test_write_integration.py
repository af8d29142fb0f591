"""Writes across features: staff write only in their scope, only admins restore, and every write
keeps the community rollups and the city/district/street area rollups equal to a recount."""

from __future__ import annotations

import os
from datetime import date
from uuid import uuid4

import pytest

from data_access.accounts import demo_community
from data_access.activities import (
    add_activity,
    delete_activity,
    restore_activity,
    update_activity,
)
from data_access.auth import PermissionDenied, get_account_by_username
from data_access.db import read_session, write_session
from data_access.models import Region
from data_access.rollups import compare_area_rollups, compare_rollups
from data_access.store import open_store
from tests.activity_fixtures import some_place
from tests.auth_helpers import app_as


@pytest.fixture(scope="module")
def engine(write_db_url):
    engine = open_store(write_db_url)
    yield engine
    engine.dispose()


def _account(engine, username: str) -> int:
    with read_session(engine) as session:
        return get_account_by_username(session, username).id


def _duofu(engine) -> dict:
    with read_session(engine) as session:
        community = demo_community(session)
        return {"community_id": community.id}


def _record(community_id: int, **changes) -> dict:
    data = {"type_key": "mediation", "community_id": community_id,
            "occurred_on": date(2025, 4, 2), "title": f"调解 {uuid4().hex[:8]}",
            "participants": 3, "cases_resolved": 2}  # fmt: skip
    return data | changes


def test_staff_write_only_in_their_community_and_leaders_not_at_all(engine):
    staff, leader = _account(engine, "staff"), _account(engine, "leader")
    home = _duofu(engine)["community_id"]
    elsewhere = some_place(engine, 7)["community_id"]
    assert elsewhere != home
    with write_session(engine) as session:
        assert add_activity(session, _record(home), uuid4().hex, actor=staff).status == "saved"
    for actor, community in ((staff, elsewhere), (leader, home)):
        with pytest.raises(PermissionDenied), write_session(engine) as session:
            add_activity(session, _record(community), uuid4().hex, actor=actor)
    # Moving a record out of the staff member's community is refused too.
    with write_session(engine) as session:
        saved = add_activity(session, _record(home), uuid4().hex, actor=staff)
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        update_activity(session, saved.activity_id, _record(elsewhere), 1, actor=staff)


def test_only_administrators_restore(engine):
    staff, admin = _account(engine, "staff"), _account(engine, "admin")
    home = _duofu(engine)["community_id"]
    with write_session(engine) as session:
        saved = add_activity(session, _record(home), uuid4().hex, actor=staff)
    with write_session(engine) as session:
        deleted = delete_activity(session, saved.activity_id, 1, actor=staff)
    assert deleted.status in ("saved", "deleted")
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        restore_activity(session, saved.activity_id, actor=staff)
    with write_session(engine) as session:
        assert restore_activity(session, saved.activity_id, actor=admin).ok


def test_writes_keep_rollups_and_area_rollups_exact(engine):
    admin = _account(engine, "admin")
    a, b = some_place(engine, 2)["community_id"], some_place(engine, 900)["community_id"]
    with write_session(engine) as session:
        first = add_activity(session, _record(a), uuid4().hex, actor=admin)
        second = add_activity(
            session,
            _record(
                a,
                type_key="hotline_case",
                participants=None,
                cases_received=5,
                cases_resolved=4,
                cases_satisfied=4,
            ),
            uuid4().hex,
            actor=admin,
        )
    # Move one to another community in another month (and so, likely, another district).
    with write_session(engine) as session:
        moved = _record(b, occurred_on=date(2024, 11, 9))
        assert update_activity(session, first.activity_id, moved, 1, actor=admin).ok
        assert delete_activity(session, second.activity_id, 1, actor=admin).ok
    with read_session(engine) as session:
        assert compare_rollups(session) == []
        assert compare_area_rollups(session) == []


def test_pages_follow_the_role(app_env):
    url = os.environ["HAPPY_DB_URL"]
    staff = app_as(url, "staff", "zh", "app_pages/record.py")
    assert not staff.exception
    # The staff member's district, street and community are preset and fixed.
    for level in ("district", "street", "community"):
        assert staff.selectbox(key=f"rec_{level}").disabled
    assert staff.selectbox(key="rec_community").value is not None
    leader = app_as(url, "leader", "zh")
    with pytest.raises(ValueError):
        leader.switch_page("app_pages/record.py")
    leader.switch_page("app_pages/activity_log.py").run()
    assert not leader.exception


def test_a_write_by_another_process_reaches_this_ones_cached_readers(write_db_url, monkeypatch):
    """Replicas share the store but not their caches: the next script run (follow_store) drops
    what this process cached once anything else has written."""
    import streamlit as st

    from data_access import cached

    st.cache_data.clear()
    st.cache_resource.clear()
    other = open_store(write_db_url)  # another replica's engine: writes clear nothing here
    try:
        community = _duofu(other)["community_id"]
        with read_session(other) as session:
            code = session.get(Region, community).code
        cached.follow_store(write_db_url)
        before = cached.indicator_values(write_db_url, code, "2025")["disputes_mediated"]
        with write_session(other) as session:
            saved = add_activity(session, _record(community, cases_resolved=5), uuid4().hex)
        assert saved.status == "saved"
        assert cached.indicator_values(write_db_url, code, "2025")["disputes_mediated"] == before
        cached.follow_store(write_db_url)
        after = cached.indicator_values(write_db_url, code, "2025")["disputes_mediated"]
        assert after == before + 5
        # Nothing new: nothing forgotten.
        cleared = []
        monkeypatch.setattr(cached, "clear_readers", lambda: cleared.append(1))
        cached.follow_store(write_db_url)
        assert cleared == []
    finally:
        other.dispose()
        st.cache_data.clear()
        st.cache_resource.clear()
