"""`check`'s comparisons (data_access/rollups.py) on the demo city, on both engines: a sound store
passes through the store's own sift in SQL, and every kind of difference the sift must not let
through is still reported where it is — a row missing, a row too many, a place that moved, a
total off by more than a millionth — while drift within the margin is not. Each case is made in
a transaction that is rolled back: the shared store is left as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from data_access.indicators import TOTAL_COLUMNS
from data_access.models import AreaRollup, ReportedValue, Rollup
from data_access.regions import get_city
from data_access.rollups import (
    _recount_area_stocks,
    area_stock_totals,
    compare_area_rollups,
    compare_rollups,
)
from data_access.store import open_store


@pytest.fixture
def session(db_url):
    engine = open_store(db_url)
    with Session(engine) as session:
        yield session
        session.rollback()
    engine.dispose()


def _rollups(session: Session, count: int) -> list[Rollup]:
    """Rollup rows of `count` different communities, each with hours recorded."""
    communities = session.scalars(
        select(Rollup.community_id).distinct().order_by(Rollup.community_id).limit(count)
    ).all()
    return [
        session.scalars(
            select(Rollup)
            .where(Rollup.community_id == c, Rollup.hours > 10)
            .order_by(Rollup.month, Rollup.type_key)
        ).first()
        for c in communities
    ]


def _found(session: Session, community_id: int) -> dict[tuple, tuple]:
    return {
        (d.community_id, d.month, d.type_key, d.column): (d.stored, d.recounted)
        for d in compare_rollups(session, community_id)
    }


def test_every_kind_of_rollup_difference_is_reported_and_drift_within_the_margin_is_not(
    session,
):
    # Each kind in a community of its own, compared alone: each passes the sift by itself.
    moved, drifted, off, gone, extra = _rollups(session, 5)
    session.add(  # a row too many: a month with no activities at all
        Rollup(
            community_id=extra.community_id,
            month=199001,
            type_key=extra.type_key,
            street_id=extra.street_id,
            district_id=extra.district_id,
            n=2,
        )
    )
    street, hours, off_hours = moved.street_id, drifted.hours, off.hours
    moved.street_id = street + 100_000
    drifted.hours = hours * (1 + 1e-9)  # float drift, within a millionth
    off.hours = off_hours + 1
    gone_totals = {m: getattr(gone, m) for m in TOTAL_COLUMNS if getattr(gone, m)}
    session.delete(gone)
    session.flush()
    assert _found(session, moved.community_id) == {
        (moved.community_id, moved.month, moved.type_key, "street_id"): (street + 100_000, street)
    }
    assert _found(session, drifted.community_id) == {}
    found = _found(session, off.community_id)
    assert list(found) == [(off.community_id, off.month, off.type_key, "hours")]
    assert found.popitem()[1] == pytest.approx((off_hours + 1, off_hours))
    found = _found(session, gone.community_id)
    assert found.keys() == {(gone.community_id, gone.month, gone.type_key, c) for c in gone_totals}
    assert all(
        found[(gone.community_id, gone.month, gone.type_key, c)] == pytest.approx((0, v))
        for c, v in gone_totals.items()
    )
    assert _found(session, extra.community_id) == {
        (extra.community_id, 199001, extra.type_key, "n"): (2, 0)
    }
    # The whole store's comparison finds the same.
    assert {(d.community_id, d.column) for d in compare_rollups(session)} == {
        (moved.community_id, "street_id"),
        (off.community_id, "hours"),
        (extra.community_id, "n"),
        *((gone.community_id, c) for c in gone_totals),
    }


def test_area_rollups_missing_too_many_or_off_are_reported(session):
    assert compare_area_rollups(session) == []
    street_row, district_row = (
        session.scalars(
            select(AreaRollup).where(AreaRollup.level == level).order_by(AreaRollup.region_id)
        ).first()
        for level in ("street", "district")
    )
    street_key = (street_row.region_id, street_row.month, street_row.type_key)
    district_key = (district_row.region_id, district_row.month, district_row.type_key)
    session.execute(
        delete(AreaRollup).where(
            AreaRollup.region_id == street_key[0],
            AreaRollup.month == street_key[1],
            AreaRollup.type_key == street_key[2],
        )
    )
    session.execute(
        update(AreaRollup)
        .where(
            AreaRollup.region_id == district_key[0],
            AreaRollup.month == district_key[1],
            AreaRollup.type_key == district_key[2],
        )
        .values(n=AreaRollup.n + 1)
    )
    session.add(
        AreaRollup(
            region_id=district_key[0],
            month=199001,
            type_key=district_key[2],
            level="district",
            parent_id=district_row.parent_id,
            n=3,
        )
    )
    session.flush()
    assert compare_area_rollups(session) == sorted(
        [street_key, district_key, (district_key[0], 199001, district_key[2])]
    )


def test_the_recount_of_area_stocks_sums_the_values_one_by_one(sqlite_url):
    """The recount reads the values summed per street and span; the same totals and as-of
    months as area_stock_totals over the values one by one (what an approval computes)."""
    engine = open_store(sqlite_url)
    rv = ReportedValue
    with Session(engine) as session:
        grouped = _recount_area_stocks(session)
        rows = session.execute(
            select(
                rv.indicator_key, rv.month, rv.until_month, rv.value, rv.district_id, rv.street_id
            )
        ).all()
        one_by_one = area_stock_totals(rows, get_city(session).id)
    engine.dispose()
    assert grouped.keys() == one_by_one.keys()
    assert all(
        grouped[k][1] == one_by_one[k][1] and grouped[k][0] == pytest.approx(one_by_one[k][0])
        for k in grouped
    )
