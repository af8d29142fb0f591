"""In a real browser against `streamlit run app.py` (issue 16): a leader makes the briefing from
the Overview and downloads both files, a Word document and a PDF, built on the server while the
page shows its progress, step by step in Chinese. Nothing is requested from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.activity_fixtures import copy_sqlite
from tests.browser import overview_page

pytestmark = pytest.mark.browser
TIMEOUT = 240_000  # the build draws 13 charts and embeds a CJK font: long on a busy machine
# Records every text the progress bar shows while the briefing builds (a step may be replaced
# by the next before a test could look at it).
RECORD_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    for (const bar of document.querySelectorAll('[data-testid="stProgress"]')) {
      const text = bar.textContent.trim();
      if (text && window.progressSeen.at(-1) !== text) window.progressSeen.push(text);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def store(sqlite_url, tmp_path_factory) -> str:
    return copy_sqlite(sqlite_url, tmp_path_factory.mktemp("briefing-flow") / "happy.db")


def test_a_leader_downloads_the_briefing_as_word_and_pdf(server, browser, store):
    context, page, watch = overview_page(
        browser, server, store, "leader", TIMEOUT, accept_downloads=True
    )
    page.evaluate(RECORD_PROGRESS)
    page.get_by_role("button", name="一键生成汇报材料").click()
    word = page.get_by_role("button", name="下载 Word（.docx）")
    word.wait_for()
    # The steps were shown in the page as they happened, in Chinese, and the status says done.
    seen = page.evaluate("window.progressSeen")
    assert any(re.fullmatch(r"正在绘制图表（\d+/\d+）…", text) for text in seen), seen
    assert "正在生成 PDF…" in seen and seen[-1] == "已完成", seen
    assert page.get_by_text("汇报材料已生成").is_visible()
    files = {}
    for button in (word, page.get_by_role("button", name="下载 PDF")):
        with page.expect_download() as info:
            button.click()
        download = info.value
        kind = download.suggested_filename.rsplit(".", 1)[-1]
        files[kind] = Path(download.path()).read_bytes()
    assert set(files) == {"docx", "pdf"}
    assert files["docx"][:2] == b"PK"  # a Word document is a zip
    assert files["pdf"][:5] == b"%PDF-"
    assert len(files["docx"]) > 20_000 and len(files["pdf"]) > 20_000  # with charts inside
    assert watch.outside == []
    context.close()
