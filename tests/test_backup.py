"""Backups that restore: `python -m data_access backup` of a live store while a writer goes on,
`restore` into a fresh store, then `check` passes and the indicators equal the source's at the
backup's point (the source rolled back to that point through the product's own delete)."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import threading
from datetime import date
from uuid import uuid4

import pytest
from sqlalchemy import select

from data_access.accounts import demo_community
from data_access.activities import add_activity, delete_activity
from data_access.db import StoreError, read_session, run_write
from data_access.models import Activity
from data_access.store import open_store
from tests.conftest import ROOT

MARK = "备份测试"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _indicators(url: str) -> dict:
    out = _cli("indicators", "--db", url, "--level", "city", "--period", "2025")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


class Writer(threading.Thread):
    """Saves mediations (one transaction each, as the Record form does) until stopped; keeps
    its own record of what committed, in order."""

    def __init__(self, url: str, community_id: int, run: str) -> None:
        super().__init__(daemon=True)
        self.engine = open_store(url)
        self.community_id, self.run_id = community_id, run
        self.committed: list[int] = []  # activity ids, in commit order
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def title(self, n: int) -> str:
        return f"{MARK} {self.run_id} {n:05d}"

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                data = {"type_key": "mediation", "community_id": self.community_id,
                        "occurred_on": date(2025, 5, 1 + len(self.committed) % 28),
                        "title": self.title(len(self.committed)), "participants": 2,
                        "cases_resolved": 1}  # fmt: skip
                saved = run_write(self.engine, add_activity, data, uuid4().hex)
                assert saved.status == "saved", saved
                with self.progress:
                    self.committed.append(saved.activity_id)
                    self.progress.notify_all()
                # A pause, as between people's saves: back to back, a backup on a loaded machine
                # met hundreds of saves, each deleted again one by one below (a minute of CI).
                self.stop.wait(0.05)
        except BaseException as exc:  # reported by the test
            self.error = exc
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(
                lambda: len(self.committed) >= count or self.error, timeout=300
            )
        assert self.error is None, self.error


def _restored_titles(url: str, run: str) -> list[str]:
    engine = open_store(url)
    try:
        with read_session(engine) as session:
            return sorted(
                session.scalars(
                    select(Activity.title).where(Activity.title.like(f"{MARK} {run} %"))
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_a_backup_taken_during_writes_restores_to_that_moment(backend, request, tmp_path):
    source = request.getfixturevalue(f"write_{backend}_url")
    if backend == "pg":
        pg = request.getfixturevalue("pg_server")
        name = f"restored_{uuid4().hex[:8]}"
        target = pg.url(name)
        pg.create_database(name)  # an empty database, as an operator makes one (createdb)
    else:
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    engine = open_store(source)
    with read_session(engine) as session:
        community = demo_community(session).id
    run = uuid4().hex[:8]
    writer = Writer(source, community, run)
    writer.start()
    try:
        writer.wait_for(3)
        backup = tmp_path / ("happy.dump" if backend == "pg" else "happy-backup.db")
        out = _cli("backup", "--db", source, "--out", str(backup))
        assert out.returncode == 0, out.stderr
        # It holds the accounts' password hashes: readable by its owner only, and whole (no
        # file of the copy in progress left beside it).
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
        done_at_backup = len(writer.committed)
        writer.wait_for(done_at_backup + 3)  # and the writer went on
    finally:
        writer.stop.set()
        writer.join(timeout=120)
        writer.engine.dispose()
    assert writer.error is None, writer.error

    out = _cli("restore", str(backup), "--db", target)
    assert out.returncode == 0, out.stderr
    # The backup holds the writer's saves up to one moment: a prefix of its own record.
    titles = _restored_titles(target, run)
    kept = len(titles)
    assert titles == [writer.title(n) for n in range(kept)]
    assert 3 <= kept <= done_at_backup + 1 < len(writer.committed)

    out = _cli("check", "--db", target)
    assert out.returncode == 0, out.stdout + out.stderr
    # Roll the source back to the backup's moment (the saves after it deleted), then both
    # stores must show the same indicators.
    for activity_id in writer.committed[kept:]:
        assert run_write(engine, delete_activity, activity_id).ok
    engine.dispose()
    restored, original = _indicators(target), _indicators(source)
    assert restored == original
    assert restored["indicators"]["disputes_mediated"] is not None

    # A restore never overwrites a store in use.
    again = _cli("restore", str(backup), "--db", target)
    assert again.returncode == 2 and "restore into a new" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_failed_postgresql_backup_leaves_no_file(pg_server, tmp_path):
    target = tmp_path / "happy.dump"
    out = _cli("backup", "--db", pg_server.url(f"none_{uuid4().hex[:8]}"), "--out", str(target))
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_backup_says_why_in_one_line(tmp_path):
    out = _cli("backup", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--out", str(tmp_path / "b"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "no database file" in out.stderr
    with pytest.raises(StoreError):
        from data_access.backup import restore

        restore(tmp_path / "missing.dump", f"sqlite:///{tmp_path / 'x.db'}")
