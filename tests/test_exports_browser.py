"""In a real browser: a table's downloads sit behind its 下载数据 menu (ui/exports.download_buttons,
drawn only while open: issue 15, part 3); opening the menu shows both buttons and the CSV
button downloads the table, named for what it is. Nothing is requested from another host."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import overview_page

pytestmark = pytest.mark.browser
TIMEOUT = 120_000


def test_a_tables_menu_opens_and_its_csv_downloads(server, browser, store):
    context, page, watch = overview_page(
        browser, server, store, "admin", TIMEOUT, accept_downloads=True
    )
    menus = page.get_by_test_id("stPopover").filter(has_text="下载数据")
    assert menus.count() == 3  # the pillars' chart, the trend, the ranking
    assert page.get_by_role("button", name="下载 CSV").count() == 0  # closed: not drawn
    menus.nth(1).get_by_role("button").click()  # the trend's
    csv = page.get_by_role("button", name="下载 CSV")
    csv.wait_for()
    assert page.get_by_role("button", name="下载 Excel").is_visible()
    with page.expect_download() as info:
        csv.click()
    download = info.value
    assert download.suggested_filename.startswith("幸福指数与各方面得分月度走势_沈阳市_2025年_")
    assert download.suggested_filename.endswith(".csv")
    lines = Path(download.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert lines[:3] == ["内容,幸福指数与各方面得分月度走势", "地区,沈阳市", "时间段,2025年"]
    assert watch.outside == []
    context.close()
