"""In Chromium against `streamlit run app.py`: an admin uploads a sheet that claims every cell
Excel allows (A1:XFD1048576, 150,000 filled rows with a cell in column XFD: ~20 GB once padded
by openpyxl, before the fix) on the import page while a leader opens the Overview in another
session. The leader gets the page, the uploader a clear Chinese refusal, and the server's
resident memory (its process and its children, the reading child included) stays bounded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.activity_fixtures import copy_sqlite
from tests.browser import sign_in
from tests.hostile.sheets import filled_bomb

pytestmark = pytest.mark.browser
TIMEOUT = 60_000
# The server process alone is ~300–450 MB resident once it has served a few pages; the reading
# child of this sheet peaks near 60 MB. Before the fix the server itself grew by GBs a minute.
RSS_BOUND = 1024 * 1024 * 1024


@pytest.fixture(scope="module")
def store(sqlite_url, tmp_path_factory) -> str:
    return copy_sqlite(sqlite_url, tmp_path_factory.mktemp("import-bomb") / "happy.db")


def _status(pid: int, field: str) -> int:
    """A /proc/<pid>/status memory field in bytes (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(argv) and port.encode() in argv:
                return int(entry.name)
    raise AssertionError(f"no streamlit process on port {port}")


class Resident:
    """Samples the resident memory of a process and its descendants until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self.children_seen = pid, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(_children(pid))
            self.children_seen = max(self.children_seen, len(pids) - 1)
            self.peak = max(self.peak, sum(_status(p, "VmRSS") for p in pids))
            self._stop.wait(0.1)

    def __enter__(self) -> Resident:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def test_a_dimension_bomb_upload_leaves_other_sessions_and_memory_alone(server, browser, store):
    bomb = filled_bomb()
    assert len(bomb) < 64 * 1024
    pid = _server_pid(server)
    uploader_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    sign_in(uploader_context, server, store, "admin")
    uploader = uploader_context.new_page()
    uploader.set_default_timeout(TIMEOUT)
    uploader.goto(f"{server}/import")
    uploader.locator("input[type=file]").wait_for(state="attached")
    leader_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    sign_in(leader_context, server, store, "leader")
    leader = leader_context.new_page()
    leader.set_default_timeout(TIMEOUT)

    with Resident(pid) as resident:
        uploader.locator("input[type=file]").set_input_files(
            {
                "name": "炸弹.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": bomb,
            }
        )
        leader.goto(server)
        leader.get_by_test_id("stHeading").nth(1).wait_for()
        overview = leader.get_by_test_id("stHeading").nth(1).inner_text()
        refusal = uploader.get_by_test_id("stAlert").filter(has_text="无法导入")
        refusal.wait_for()
        message = refusal.inner_text()
    assert overview.startswith("大东区"), overview
    assert "100,000" in message and "拆分" in message, message
    assert "Traceback" not in uploader.content()
    assert resident.children_seen >= 1, "the sheet was read in a child process"
    assert 0 < resident.peak < RSS_BOUND, resident.peak
    assert 0 < _status(pid, "VmHWM") < RSS_BOUND
    uploader_context.close()
    leader_context.close()
