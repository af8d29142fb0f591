"""The app in AppTest: every registered page in both languages, first start, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py"))


def _run(lang: str | None = None, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if lang:
        at.query_params["lang"] = lang
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_both_languages(app_env, page, lang):
    at = _run(lang, page)
    assert not at.exception
    assert not at.error


def test_overview_shows_the_five_pillars_against_the_article_in_chinese(app_env):
    at = _run()
    markdown = " ".join(m.value for m in at.markdown)
    for name in ("组织有力", "治理有效", "服务有质", "邻里有爱", "平安有序"):
        assert name in markdown
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["人民调解化解矛盾纠纷"] == "3.1万件"
    assert metrics["12345热线满意率"] == "98.51%"
    assert metrics["每万城镇常住人口社区工作者"] == "20.0人"
    captions = " ".join(c.value for c in at.caption)
    assert "文章：2.9万余件" in captions


def test_overview_in_english(app_env):
    at = _run("en")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["12345 hotline requests resolved"] == "48.5K cases"
    assert "Strong organisation" in " ".join(m.value for m in at.markdown)
    assert "Article: 29K+ cases" in " ".join(c.value for c in at.caption)


def test_period_comes_from_the_url_and_a_bad_one_falls_back(app_env):
    at = _run(period="2024")
    assert at.query_params["period"] == "2024"
    assert {m.label: m.value for m in at.metric}["12345热线满意率"] == "97.78%"
    bad = _run(period="2025-13")
    assert bad.query_params["period"] == "2025"
    assert not bad.exception
    assert any("无效" in toast.value for toast in bad.toast)


def test_language_switch_changes_the_page(app_env):
    at = _run()
    at.sidebar.segmented_control[0].set_value("en").run()
    assert at.query_params["lang"] == "en"
    assert "Quality services" in " ".join(m.value for m in at.markdown)


def test_a_bad_database_url_shows_one_clear_message(monkeypatch):
    monkeypatch.setenv("HAPPY_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:9/nowhere")
    monkeypatch.chdir(ROOT)
    try:
        at = _run()
        assert not at.exception
        assert len(at.error) == 1 and "无法连接数据库" in at.error[0].value
        assert "Traceback" not in at.error[0].value
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_first_start_builds_the_default_store_then_reuses_it(monkeypatch, tmp_path):
    db_file: Path = tmp_path / "data" / "happy.db"
    monkeypatch.delenv("HAPPY_DB_URL", raising=False)
    monkeypatch.setattr("data_access.db.DEFAULT_SQLITE_PATH", db_file)
    monkeypatch.setattr("data_access.db.SECRETS_PATH", tmp_path / "no-secrets.toml")
    monkeypatch.chdir(ROOT)
    try:
        at = _run()
        assert not at.exception and db_file.exists()
        assert any("演示数据已就绪" in s.value for s in at.success)
        assert {m.label: m.value for m in at.metric}["城乡基础网格"] == "1.4万个"
        st.cache_data.clear()
        st.cache_resource.clear()
        again = _run()
        assert not again.exception and not again.success  # nothing rebuilt
        assert {m.label: m.value for m in again.metric}["城乡基础网格"] == "1.4万个"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
