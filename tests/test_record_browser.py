"""In Chromium against `streamlit run app.py`: what a staff member types into the Record form is
saved as shown or refused with the field's message, the input kept and nothing saved; the saved
banner shows the title as typed, never as Markdown."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import select

from data_access.db import make_engine, read_session
from data_access.models import Activity
from data_access.validation import EARLIEST_DATE
from tests.activity_fixtures import copy_sqlite
from tests.browser import Watch, sign_in
from tests.test_e2e_flows import TIMEOUT, choose, fill, open_page, settle
from ui.plain import WORD_JOINER

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def store(sqlite_url, tmp_path_factory) -> str:
    return copy_sqlite(sqlite_url, tmp_path_factory.mktemp("record-browser") / "happy.db")


def saved(url: str, title: str) -> list[Activity]:
    engine = make_engine(url)
    with read_session(engine) as session:
        rows = list(session.scalars(select(Activity).where(Activity.title == title)))
        session.expunge_all()
    engine.dispose()
    return rows


def field_value(page, kind: str, label: str) -> str:
    box = page.get_by_test_id(kind).filter(has=page.get_by_text(label, exact=True))
    return box.locator("input").input_value()


def red_text(page) -> str:
    """The field messages shown in red under the fields."""
    return " ".join(page.locator("[data-testid=stMarkdownContainer] span").all_inner_texts())


def test_typed_dates_and_a_fraction_of_a_person_are_refused_and_kept(server, browser, store):
    today = date.today()  # the server runs on this machine's clock
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    sign_in(context, server, store, "staff")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    watch = Watch(page)
    page.goto(server)
    page.locator(".hs-card-value").first.wait_for()
    settle(page)
    open_page(page, "活动录入")
    choose(page, "活动类型", "治理 · 人民调解")
    title = f":smile: 调解 **{uuid4().hex[:6]}**"
    fill(page, "stTextInput", "标题", title)
    fill(page, "stNumberInput", "参与人数（人）", "3")
    fill(page, "stNumberInput", "解决件数（件）", "1")
    save = page.get_by_role("button", name="保存", exact=True)

    refused = {
        "1900-01-01": "早于2020年",
        (EARLIEST_DATE - timedelta(days=1)).isoformat(): "早于2020年",
        "2999-12-31": "晚于今天",
        (today + timedelta(days=25)).isoformat(): "晚于今天",
        "2025-02-30": "日期格式不对",
    }
    for typed, reason in refused.items():
        fill(page, "stTextInput", "日期", typed)
        save.click()
        settle(page)
        assert reason in red_text(page), typed
        assert page.get_by_text("未保存任何内容").is_visible()
        assert field_value(page, "stTextInput", "日期") == typed, "the input is kept"
        assert saved(store, title) == [], f"{typed} must not be saved"

    day = (today - timedelta(days=2)).isoformat()
    fill(page, "stTextInput", "日期", day)
    fill(page, "stNumberInput", "参与人数（人）", "1.5")
    save.click()
    settle(page)
    assert "请填写整数" in red_text(page)
    assert field_value(page, "stNumberInput", "参与人数（人）") == "1.5"
    assert saved(store, title) == []

    fill(page, "stNumberInput", "参与人数（人）", "2")
    save.click()
    settle(page)
    banner = page.get_by_test_id("stAlertContentSuccess")
    banner.wait_for()
    # The title as typed: no emoji from :smile:, no bold from **.
    # (ui.plain puts invisible word joiners after ':' so that Streamlit makes no emoji of it.)
    assert f"已保存：{title}" in banner.inner_text().replace(WORD_JOINER, "")
    assert banner.locator("strong, img, a, h1, h2").count() == 0
    rows = saved(store, title)
    assert [(r.occurred_on.isoformat(), r.participants) for r in rows] == [(day, 2)]
    context.close()
    assert watch.outside == [], f"requests left the server: {watch.outside}"
    assert watch.problems() == []
