"""The layering the architecture note describes, checked on the source: page scripts import
Streamlit and ui only (never data_access, never sqlalchemy)."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

PAGES = sorted((ROOT / "app_pages").glob("*.py"))


def _imported(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_scripts_go_through_ui_only(page):
    assert _imported(page) <= {"streamlit", "ui"}, page.name
