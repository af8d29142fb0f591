"""Property-based tests: random field values and random sheets never raise and never leave a
partial write."""

from __future__ import annotations

import csv
import io
from datetime import date
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from data_access import importing
from data_access.db import read_session, write_session
from data_access.importing import COLUMNS, ImportRefused, check_sheet, read_sheet, template_header
from data_access.models import Activity, AuditLog, Region, Rollup
from data_access.registry import ACTIVITY_TYPE_KEYS, MEASURE_KEYS
from data_access.store import open_store
from data_access.validation import (
    DESCRIPTION_MAX,
    EARLIEST_DATE,
    FIELDS,
    TITLE_MAX,
    measure_bound,
    validate_activity,
)
from tests.test_activity_validation import TODAY, FakeRegions

ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=120),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["", " ", "0", "-1", "1e9", "2025-03-01", "2025年3月1日", "45717", "１２"]),
    st.lists(st.integers(), max_size=2),
)
FIELD_VALUE = {
    "type_key": st.one_of(st.sampled_from(ACTIVITY_TYPE_KEYS), ANY_VALUE),
    "community_id": st.one_of(st.sampled_from([10, 11, 100, "10"]), ANY_VALUE),
    "grid_id": st.one_of(st.sampled_from([None, 100, 101, 102]), ANY_VALUE),
    "compound_id": st.one_of(st.sampled_from([None, 1000, 1001, 1002]), ANY_VALUE),
    "occurred_on": st.one_of(st.dates(min_value=date(2019, 1, 1)), ANY_VALUE),
}
MEASURE_VALUE = st.one_of(
    st.integers(min_value=-5, max_value=30_000),
    st.floats(min_value=-5, max_value=30_000),
    ANY_VALUE,
)


@st.composite
def records(draw):
    data = {}
    for name in FIELDS:
        if name in MEASURE_KEYS:
            data[name] = draw(MEASURE_VALUE)
        elif name in FIELD_VALUE:
            data[name] = draw(FIELD_VALUE[name])
        else:
            data[name] = draw(st.one_of(st.text(max_size=TITLE_MAX + 5), ANY_VALUE))
    return data


@settings(max_examples=400, deadline=None)
@given(records())
def test_validation_never_raises_and_what_it_accepts_is_sane(data):
    clean, errors = validate_activity(data, FakeRegions(), TODAY)
    assert (clean is None) != (errors == [])
    for error in errors:
        assert error.field in FIELDS and error.message.zh and error.message.en
    if clean is None:
        return
    assert clean["type_key"] in ACTIVITY_TYPE_KEYS
    assert clean["community_id"] in (10, 11)
    assert EARLIEST_DATE <= clean["occurred_on"] <= TODAY
    assert clean["title"] and len(clean["title"]) <= TITLE_MAX
    assert clean.get("description") is None or len(clean["description"]) <= DESCRIPTION_MAX
    for key in MEASURE_KEYS:
        value = clean[key]
        if value is not None:
            assert 0 <= value <= measure_bound(clean["type_key"], key)
    if clean["cases_received"] is not None and clean["cases_resolved"] is not None:
        assert clean["cases_resolved"] <= clean["cases_received"]


@pytest.fixture(scope="module")
def engine(write_sqlite_url):
    engine = open_store(write_sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def community_names(engine):
    with read_session(engine) as session:
        return list(
            session.scalars(
                select(Region.code).where(Region.level == "community").order_by(Region.id).limit(3)
            )
        ) + ["不存在社区"]


def _counts(engine):
    with read_session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Activity)),
            session.scalar(select(func.count()).select_from(AuditLog)),
            session.scalar(select(func.coalesce(func.sum(Rollup.n), 0))),
        )


CELL = st.one_of(
    st.none(),
    st.sampled_from(["人民调解", "mediation", "入户走访", "2025-03-01", "2024/12/31", "-3", "0"]),
    st.integers(min_value=-3, max_value=3000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-10, max_value=10**6),
    st.text(max_size=30),
)


@st.composite
def sheets(draw, communities):
    header = template_header()
    if draw(st.booleans()):
        header = header + [draw(st.text(min_size=1, max_size=10))]
    rows = [header]
    all_good = draw(st.booleans())
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        row = [draw(CELL) for _ in header]
        if draw(st.booleans()):
            row[COLUMNS.index("community")] = draw(st.sampled_from(communities))
        if all_good or draw(st.booleans()):
            row = [None] * len(header)
            row[COLUMNS.index("community")] = communities[0]
            row[COLUMNS.index("type_key")] = "人民调解"
            row[COLUMNS.index("occurred_on")] = "2025-03-01"
            row[COLUMNS.index("title")] = f"性质 {uuid4().hex[:10]}"
            row[COLUMNS.index("participants")] = draw(st.integers(min_value=-1, max_value=120))
            row[COLUMNS.index("cases_resolved")] = draw(st.integers(min_value=-1, max_value=250))
        rows.append(row)
    return rows


def _as_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_sheets_import_all_or_nothing(engine, community_names, data):
    table = data.draw(sheets(community_names))
    as_file = data.draw(st.booleans())
    before = _counts(engine)
    try:
        parsed = read_sheet("random.csv", _as_csv(table)) if as_file else table
    except ImportRefused:
        assert _counts(engine) == before
        return
    with read_session(engine) as session:
        result = check_sheet(session, parsed, TODAY)
    if not result.ok:
        with pytest.raises(ValueError), write_session(engine) as session:
            importing.import_activities(session, result, uuid4().hex)
        assert _counts(engine) == before
        return
    with write_session(engine) as session:
        saved = importing.import_activities(session, result, uuid4().hex)
    after = _counts(engine)
    n = len(result.rows)
    assert saved == n
    assert after[0] == before[0] + n and after[2] == before[2] + n
    assert after[1] == before[1] + n + 1  # one audit row per record and one for the import


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a.pdf"]))
def test_random_bytes_are_read_or_refused(blob, name):
    try:
        sheet = read_sheet(name, blob)
    except ImportRefused as exc:
        assert exc.message.zh and exc.message.en
        return
    assert isinstance(sheet.rows, list)


def test_a_failure_in_the_middle_of_an_import_leaves_nothing(engine, community_names, monkeypatch):
    header = template_header()
    row = dict.fromkeys(header, "")
    row.update(
        {
            "活动类型": "人民调解",
            "社区": community_names[0],
            "日期": "2025-03-01",
            "参与人数（人）": 2,
            "解决件数（件）": 1,
        }
    )
    table = [header] + [
        [row[h] if h != "标题" else f"中断 {uuid4().hex}" for h in header] for _ in range(5)
    ]
    with read_session(engine) as session:
        result = check_sheet(session, table, TODAY)
    assert result.ok

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "write_rollup_changes", broken)
    before = _counts(engine)
    with pytest.raises(RuntimeError), write_session(engine) as session:
        importing.import_activities(session, result, uuid4().hex)
    assert _counts(engine) == before
