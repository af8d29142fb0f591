"""SQLite writers of one process take turns first come, first served, and none is lost (issue
15): the writers' queue of db.py, through run_write on a real SQLite file. No timing: the order
in which the writers asked is made certain by waiting until each stands in the queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text

from data_access.db import _ENGINE_FACTS, make_engine, run_write, write_session

WRITERS = 12


def _until(condition, what: str, patience: float = 60.0) -> None:
    """Wait until the condition holds (a generous bound only so that a broken queue fails)."""
    deadline = time.monotonic() + patience
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.001)


def test_writers_of_one_process_are_served_in_arrival_order_and_none_is_lost(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE saves (writer INTEGER NOT NULL)"))
    queue = _ENGINE_FACTS[engine].writers
    served: list[int] = []
    failures: list[BaseException] = []

    def save(session, writer: int) -> None:
        served.append(writer)
        session.execute(text("INSERT INTO saves (writer) VALUES (:w)"), {"w": writer})

    def writer(index: int) -> None:
        try:
            run_write(engine, save, index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = []
    with write_session(engine):  # one writer holds the lock while the others arrive
        for index in range(WRITERS):
            thread = threading.Thread(target=writer, args=(index,))
            thread.start()
            threads.append(thread)
            _until(lambda n=index + 1: len(queue._waiting) == n, f"writer {index} queued")
    for thread in threads:
        thread.join(timeout=120)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT writer FROM saves ORDER BY rowid")).scalars().all()
    engine.dispose()
    assert failures == []
    assert served == list(range(WRITERS))
    assert stored == list(range(WRITERS))
