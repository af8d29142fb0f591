"""The layers of docs/architecture.md, checked on the source: what each layer may import, and no
import cycle between the project's modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app_pages", "ui", "data_access", "seed_data", "chart_specs")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """The modules a file imports (absolute names), at module level only or anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _roots(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


SOURCES = _sources()


def test_the_tree_is_read():
    assert {"app", "ui.i18n", "data_access.db", "data_access.cached", "app_pages.overview"} <= set(
        SOURCES
    )


@pytest.mark.parametrize("module", [m for m in SOURCES if m.startswith("app_pages.")])
def test_page_scripts_go_through_ui_only(module):
    roots = _roots(_imports(SOURCES[module], top_level_only=False))
    assert roots <= {"__future__", "streamlit", "ui"}, f"{module} imports {sorted(roots)}"


@pytest.mark.parametrize(
    "module",
    [
        m
        for m in SOURCES
        if m.split(".")[0] in ("data_access", "seed_data") and m != "data_access.cached"
    ],
)
def test_data_layer_never_draws(module):
    roots = _roots(_imports(SOURCES[module], top_level_only=False))
    assert not roots & {"streamlit", "ui", "app_pages", "app"}, f"{module} imports {sorted(roots)}"


@pytest.mark.parametrize("module", [m for m in SOURCES if m.split(".")[0] == "chart_specs"])
def test_chart_specs_are_pure(module):
    # Shared by the pages and the briefing document: nothing of the project, no drawing, no SQL.
    roots = _roots(_imports(SOURCES[module], top_level_only=False))
    allowed = {"__future__", "functools", "typing", "json", "pathlib", "argparse", "sys"}
    assert roots <= allowed | {"altair", "chart_specs"}, f"{module} imports {sorted(roots)}"


@pytest.mark.parametrize("module", [m for m in SOURCES if m.startswith("ui.")])
def test_ui_never_writes_sql(module):
    roots = _roots(_imports(SOURCES[module], top_level_only=False))
    assert "sqlalchemy" not in roots, f"{module} imports sqlalchemy"


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in SOURCES.items():
        targets = set()
        for name in _imports(path, top_level_only=True):
            # `from data_access import db` names the module data_access.db
            while name and name not in SOURCES:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_between_modules():
    assert _cycle(_graph()) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_module_is_in_the_architecture_note():
    note = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        path.relative_to(ROOT).as_posix()
        for package in ("data_access", "ui", "seed_data", "chart_specs")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "__init__.py"
        and "migrations" not in path.parts
        and f"`{path.relative_to(ROOT).as_posix()}`" not in note
    ]
    assert missing == []
