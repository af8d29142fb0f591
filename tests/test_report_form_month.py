"""The monthly report form opens on the month staff have to fill in: in the first days of a month,
until last month's report is due, that is last month while its report is not yet sent; otherwise
this month. (Before, it always opened this month: on 1 December the form showed December while
November's report was the one due.)"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest

from data_access.periods import Period
from tests.auth_helpers import app_as
from tests.report_fixtures import demo_place
from tests.test_report_pages import _submit

FORM = "app_pages/report.py"


def at_moment(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr("data_access.clock.now", lambda: moment)


@pytest.mark.parametrize(
    ("day", "status", "opens"),
    [
        (date(2026, 12, 1), "not_started", 202611),
        (date(2026, 12, 10), "draft", 202611),
        (date(2026, 12, 3), "returned", 202611),
        (date(2026, 12, 3), "submitted", 202612),
        (date(2026, 12, 3), "approved", 202612),
        (date(2026, 12, 11), "draft", 202612),  # past its deadline: this month again
        (date(2027, 1, 4), "not_started", 202612),  # across the year
    ],
)
def test_the_opening_month(monkeypatch, day, status, opens):
    from ui.monthly_report import opening_month

    at_moment(monkeypatch, datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC))
    assert opening_month(status, day) == opens


def test_the_form_opens_on_last_month_until_it_is_sent(report_env, monkeypatch):
    # 2026-03-03 in Shanghai: the demo has no report for 2026-02, so February's is due.
    at_moment(monkeypatch, datetime(2026, 3, 3, 2, 0, tzinfo=UTC))
    at = app_as(os.environ["HAPPY_DB_URL"], "staff", "zh", FORM)
    assert not at.exception
    assert at.session_state["month"] == str(Period(2026, 2, 1))
    assert "2026年2月" in at.subheader[0].value or "2026-02" in at.subheader[0].value

    # Chosen by the person, a month stays chosen (the URL keeps it too).
    at = app_as(os.environ["HAPPY_DB_URL"], "staff", "zh", FORM, month="2026-03")
    assert at.session_state["month"] == str(Period(2026, 3, 1))

    # Once February's report is submitted, the form opens this month.
    _submit(report_env, demo_place(report_env).community_id, 202602)
    at = app_as(os.environ["HAPPY_DB_URL"], "staff", "zh", FORM)
    assert not at.exception
    assert at.session_state["month"] == str(Period(2026, 3, 1))
