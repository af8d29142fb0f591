"""One audit writer on one clock, and one bilingual message type for data_access's errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.accounts import AccountError, add_account
from data_access.activities import add_activity
from data_access.auth import PermissionDenied
from data_access.db import StoreError, read_session, write_session
from data_access.importing import RowError
from data_access.messages import Message, MessageError
from data_access.models import AuditLog, Region
from data_access.sheet_reader import ImportRefused
from data_access.store import open_store
from data_access.validation import FieldError
from tests.activity_fixtures import some_place


@pytest.fixture
def local_time_is_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time 8 hours from UTC, as on a server in China."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_an_activity_save_and_an_account_change_are_audited_on_one_utc_clock(
    write_db_url, monkeypatch, local_time_is_not_utc
):
    # The audit clock, injected: a moment in UTC, stored naive as every time in the store.
    clock = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    monkeypatch.setattr(audit, "utcnow", lambda: clock)
    engine = open_store(write_db_url)
    try:
        place = some_place(engine, 3)
        with read_session(engine) as session:
            city = session.scalar(select(Region.id).where(Region.level == "city"))
        record = {
            "type_key": "mediation",
            "community_id": place["community_id"],
            "occurred_on": date.today() - timedelta(days=1),
            "title": f"时钟 {uuid4().hex[:8]}",
            "participants": 2,
            "cases_resolved": 1,
        }
        with write_session(engine) as session:
            saved = add_activity(session, record, uuid4().hex)
            account = add_account(
                session, None, f"clock{uuid4().hex[:8]}", "时钟", "staff", city, "long-password-1"
            )
        assert saved.status == "saved"
        with read_session(engine) as session:
            stamps = {
                entity: session.scalar(
                    select(AuditLog.at).where(
                        AuditLog.entity == entity, AuditLog.entity_id == str(entity_id)
                    )
                )
                for entity, entity_id in (("activity", saved.activity_id), ("account", account))
            }
    finally:
        engine.dispose()
    assert stamps == {"activity": clock, "account": clock}


def test_every_error_a_user_reads_carries_one_message_type():
    errors = [
        StoreError("数据库繁忙", "the database is busy", kind="busy"),
        PermissionDenied("超出管辖范围", "outside your scope"),
        AccountError("角色无效", "Unknown role"),
        ImportRefused("文件是空的。", "The file is empty."),
    ]
    for error in errors:
        assert isinstance(error, MessageError) and isinstance(error.message, Message)
        assert error.message.in_("zh") != error.message.in_("en")
        assert str(error) == f"{error.message.zh} / {error.message.en}"
    field = FieldError("title", Message("请填写标题。", "Enter a title."))
    row = RowError(2, "标题", Message("请填写标题。", "Enter a title."))
    assert field.message.in_("en") == row.message.in_("en") == "Enter a title."
    # The command line's one text in both languages is shown whole, once.
    assert str(StoreError("找不到地区 X / no such region")) == "找不到地区 X / no such region"
