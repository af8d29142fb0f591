"""The suite's own order: the longest files are handed to the workers first (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.conftest import LONGEST_FIRST, ROOT, pytest_collection_modifyitems


def test_every_longest_first_file_exists():
    found = {path.name for path in (ROOT / "tests").rglob("test_*.py")}
    assert [name for name in LONGEST_FIRST if name not in found] == []


def test_the_longest_files_come_first_and_each_file_stays_in_one_piece():
    def item(name: str, n: int):
        return SimpleNamespace(path=Path("tests") / name, n=n)

    items = [item("test_a.py", 1), item(LONGEST_FIRST[1], 2), item("test_a.py", 3)]
    items += [item(LONGEST_FIRST[0], 4), item(LONGEST_FIRST[1], 5)]
    pytest_collection_modifyitems(items)
    assert [(i.path.name, i.n) for i in items] == [
        (LONGEST_FIRST[0], 4),
        (LONGEST_FIRST[1], 2),
        (LONGEST_FIRST[1], 5),
        ("test_a.py", 1),
        ("test_a.py", 3),
    ]
