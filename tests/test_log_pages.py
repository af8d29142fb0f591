"""The activity log's pages: each page is the records a plain OFFSET would list (the reference),
found without skipping the records before it; the page next to one already shown is read from
its edge, and continues from what was seen when records were entered since (issue 15)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import uuid4

import pytest
from sqlalchemy import select

from data_access.activities import add_activity, delete_activity
from data_access.activity_log import (
    ActivityFilter,
    _filtered,
    _log_select,
    _newest_first,
    list_activities,
    page_key,
)
from data_access.db import read_session, write_session
from data_access.models import Region
from data_access.store import open_store
from tests.activity_fixtures import some_place


def reference(session, flt: ActivityFilter, page: int, size: int) -> list[int]:
    """The ids on a page as the log listed them before: the records before it skipped."""
    rows = session.execute(
        _filtered(session, _log_select("zh"), flt)
        .order_by(*_newest_first(flt))
        .limit(size)
        .offset((page - 1) * size)
    )
    return [r.id for r in rows]


def ids(rows: list[dict]) -> list[int]:
    return [r["id"] for r in rows]


@pytest.fixture(scope="module")
def marked(write_db_url):
    """13 records of one community on four days (several the same day, entered out of day
    order), three of them deleted: the filter that lists them alone (by their marker)."""
    engine = open_store(write_db_url)
    place = some_place(engine, 7)
    marker = uuid4().hex[:10]
    saved = []
    for n, day in enumerate((3, 1, 3, 2, 4, 1, 3, 2, 2, 4, 1, 3, 4)):
        data = {
            "type_key": "mediation",
            "community_id": place["community_id"],
            "grid_id": None,
            "compound_id": None,
            "occurred_on": date(2025, 3, day),
            "title": f"{marker} {n}",
            "participants": 2,
            "cases_resolved": 1,
        }
        with write_session(engine) as session:
            saved.append(add_activity(session, data, uuid4().hex).activity_id)
    for gone in (saved[2], saved[5], saved[12]):
        with write_session(engine) as session:
            assert delete_activity(session, gone).status == "saved"
    yield engine, ActivityFilter(text=marker, level="community", region_id=place["community_id"])
    engine.dispose()


@pytest.mark.parametrize("order", ["entered", "date"])
@pytest.mark.parametrize("deleted", [False, True])
def test_every_page_and_its_neighbours_are_the_reference_pages(marked, order, deleted) -> None:
    engine, flt = marked
    flt = replace(flt, order=order, deleted=deleted)
    size = 3
    with read_session(engine) as session:
        total = list_activities(session, flt, 1, size)[1]
        assert total == (3 if deleted else 10)
        pages = -(-total // size)
        for page in range(1, pages + 2):
            rows, count = list_activities(session, flt, page, size)
            assert count == total
            assert ids(rows) == reference(session, flt, page, size), (order, deleted, page)
            if not rows:
                continue
            after, _ = list_activities(
                session, flt, page + 1, size, seek=("after", page_key(rows[-1], order))
            )
            assert ids(after) == reference(session, flt, page + 1, size) or (
                page == pages and ids(after) == reference(session, flt, pages, size)
            )
            if page > 1:
                before, _ = list_activities(
                    session, flt, page - 1, size, seek=("before", page_key(rows[0], order))
                )
                assert ids(before) == reference(session, flt, page - 1, size)


def test_the_next_page_continues_from_what_was_seen(marked) -> None:
    """Records entered while a page is open: the page after it lists the records after those
    seen (a page found by its number would repeat the last ones seen)."""
    engine, flt = marked
    with read_session(engine) as session:
        first, _ = list_activities(session, flt, 1, 4)
        assert ids(first) == reference(session, flt, 1, 4)
    place = some_place(engine, 7)
    with write_session(engine) as session:
        for n in range(2):
            data = {
                "type_key": "mediation",
                "community_id": place["community_id"],
                "grid_id": None,
                "compound_id": None,
                "occurred_on": date(2025, 3, 5),
                "title": f"{flt.text} later {n}",
                "participants": 1,
                "cases_resolved": 1,
            }
            assert add_activity(session, data, uuid4().hex).status == "saved"
    with read_session(engine) as session:
        following, _ = list_activities(
            session, flt, 2, 4, seek=("after", page_key(first[-1], "entered"))
        )
        by_number, _ = list_activities(session, flt, 2, 4)
        every = reference(session, flt, 1, 100)
    assert ids(following) == [i for i in every if i < ids(first)[-1]][:4]
    assert ids(by_number)[:2] == ids(first)[2:]  # shifted by the two new records


def test_a_seek_past_every_record_finds_the_page_by_its_number(marked) -> None:
    engine, flt = marked
    with read_session(engine) as session:
        beyond, total = list_activities(session, flt, 2, 4, seek=("after", (0,)))
        assert ids(beyond) == reference(session, flt, 2, 4) and total >= 10


@pytest.mark.parametrize("order", ["entered", "date"])
def test_deep_pages_of_the_demo_log_are_the_reference_pages(db_url, order) -> None:
    """The whole city's log and one district's (the log as it opens: counted from the monthly
    summaries), pages near both ends and around the middle."""
    engine = open_store(db_url)
    size = 500
    with read_session(engine) as session:
        district = session.scalar(
            select(Region.id).where(Region.level == "district").order_by(Region.id).limit(1)
        )
        for flt, near in (
            (ActivityFilter(order=order), lambda pages: (pages // 2 + 1, pages)),
            (
                ActivityFilter(order=order, level="district", region_id=district),
                lambda pages: (2, pages // 2, pages - 1),
            ),
        ):
            total = list_activities(session, flt, 1, size)[1]
            pages = -(-total // size)
            assert pages > 20
            for page in near(pages):
                rows, _ = list_activities(session, flt, page, size)
                assert ids(rows) == reference(session, flt, page, size), (flt, page)
    engine.dispose()
