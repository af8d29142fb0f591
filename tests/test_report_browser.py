"""In a real browser against `streamlit run app.py` (issue 13): community staff submit the month's
report, the street's reviewer returns it with a comment, the community fixes and resubmits it, the
street approves it, and the leader's Overview shows the new value and one more approved report.
Nothing is requested from another host and the browser console shows no error."""

from __future__ import annotations

import re

import pytest

from data_access.db import read_session, write_session
from data_access.models import MonthlyReport
from data_access.regions import get_region
from data_access.reports import get_completeness, get_report_form, reopen_report
from data_access.store import open_store
from tests.activity_fixtures import copy_sqlite
from tests.browser import Watch, sign_in
from tests.report_fixtures import STREET_USER, add_street_reviewer, demo_place
from tests.test_e2e_flows import choose, fill, settle

pytestmark = pytest.mark.browser
TIMEOUT = 90_000
MONTH = 202512  # the demo's last reported month: the leader's 2025 ends there
GRIDS = "城乡基础网格"
COMPLETE = "已通过的社区月报（2025-12）"


@pytest.fixture(scope="module")
def store(sqlite_url, tmp_path_factory) -> str:
    """A fresh copy of the demo store with a street reviewer, the demo community's report of
    the month not approved (reopened if the demo approved it)."""
    url = copy_sqlite(sqlite_url, tmp_path_factory.mktemp("report-flow") / "happy.db")
    add_street_reviewer(url)
    place = demo_place(url)
    engine = open_store(url)
    with write_session(engine) as session:
        status = get_report_form(session, None, place.community_id, MONTH).status
        if status == "approved":
            reopen_report(session, None, place.community_id, MONTH, "演示：重新填报")
    engine.dispose()
    return url


def _number(text: str) -> int:
    digits = re.sub(r"[^\d]", "", text)
    assert digits, text
    return int(digits)


def _card(page, label: str) -> str:
    """A card's value (the Overview's cards and counts are HTML, ui/cards.py)."""
    card = page.locator(".hs-card").filter(has_text=label).first
    card.wait_for(timeout=TIMEOUT)
    return card.locator(".hs-card-value").inner_text().strip()


def _overview(page, base: str) -> tuple[int, str]:
    """The leader's Overview of 2025 (in the link: the server's default period follows the real
    clock): the district's grids and the completeness count."""
    page.goto(f"{base}/?period=2025")
    page.locator(".hs-card-value").first.wait_for(timeout=TIMEOUT)
    settle(page)
    return _number(_card(page, GRIDS)), _card(page, COMPLETE)


def _open(page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("stHeading").first.wait_for(timeout=TIMEOUT)
    settle(page)


def _status(url: str, region_id: int) -> tuple[str, str | None]:
    engine = open_store(url)
    with read_session(engine) as session:
        report = session.query(MonthlyReport).filter_by(region_id=region_id, month=MONTH).one()
        found = report.status, report.comment
    engine.dispose()
    return found


def test_submit_return_fix_resubmit_approve_and_the_leader_sees_it(server, browser, store):
    place = demo_place(store)
    engine = open_store(store)
    with read_session(engine) as session:
        form = get_report_form(session, None, place.community_id, MONTH)
        district = get_region(session, place.district_code)
        before = get_completeness(session, district, MONTH, "community")
    engine.dispose()
    previous = next(r for r in form.rows if r.indicator_key == "grids").previous
    watches = []

    def page_as(username: str):
        context = browser.new_context(viewport={"width": 1400, "height": 1200})
        sign_in(context, server, store, username)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        watches.append(Watch(page))
        return page

    leader = page_as("leader")
    grids_before, complete_before = _overview(leader, server)
    assert complete_before == f"{before.approved:,} / {before.total:,}"

    # The community's staff change the grids and submit.
    staff = page_as("staff")
    _open(staff, f"{server}/report?month=2025-12")
    fill(staff, "stNumberInput", "城乡基础网格（个）", str(int(previous) + 5))
    staff.get_by_role("button", name="提交审核").click()
    settle(staff)
    staff.get_by_text("已提交审核").first.wait_for()
    assert _status(store, place.community_id)[0] == "submitted"

    # The street's reviewer returns it with a comment.
    street = page_as(STREET_USER)
    _open(street, f"{server}/report-review?month=2025-12")
    choose(street, "审核哪个单位的报表", "多福社区 · 已提交")
    comment = "网格数比上月多了5个，请核对"
    fill(street, "stTextArea", "退回意见（必填）", comment)
    street.get_by_role("button", name="退回", exact=True).click()
    settle(street)
    street.get_by_text("已退回").first.wait_for()
    assert _status(store, place.community_id) == ("returned", comment)

    # The community sees the comment, fixes the value and resubmits.
    _open(staff, f"{server}/report?month=2025-12")
    staff.get_by_text(comment).first.wait_for()
    fill(staff, "stNumberInput", "城乡基础网格（个）", str(int(previous) + 1))
    staff.get_by_role("button", name="提交审核").click()
    settle(staff)
    staff.get_by_text("已提交审核").first.wait_for()
    assert _status(store, place.community_id)[0] == "submitted"

    # The street approves it.
    _open(street, f"{server}/report-review?month=2025-12")
    choose(street, "审核哪个单位的报表", "多福社区 · 已提交")
    street.get_by_role("button", name="通过", exact=True).click()
    settle(street)
    street.get_by_text("已通过 1 份报表").wait_for()
    assert _status(store, place.community_id)[0] == "approved"

    # The leader's Overview: the new value counts, and one more report is approved.
    grids_after, complete_after = _overview(leader, server)
    assert complete_after == f"{before.approved + 1:,} / {before.total:,}"
    # Before, the district counted the community's last approved value (the one before
    # December, whose report was not approved); now December's, one more.
    assert grids_after == grids_before + 1
    for w in watches:
        assert w.outside == [], f"requests left the server: {w.outside}"
        assert w.problems() == []
