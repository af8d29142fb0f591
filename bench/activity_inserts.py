"""Benchmark: latency of saving one activity (the form's path: validate, insert, rollup, audit),
alone and under concurrent writers, on SQLite and PostgreSQL.

    python -m bench.activity_inserts --db URL [--writers 20] [--per-writer 500] [--threads]
        [--pause 1 5] [--peer] [--record]

Writers are separate processes (like app replicas), or with --threads threads of one process
sharing one engine and its connection pool (like the sessions of one Streamlit process; a save
that fails is counted and the writer goes on). With --pause LOW HIGH each writer waits a random
LOW–HIGH seconds before each of its saves (people at a form, each at their own moment). After
the run the saves found in the store are counted (none may be lost) and `python -m data_access
check` must pass. With --peer the same writers then each save a bare INSERT into a scratch table
(`_save`): the floor of one committed row on this store and machine, in the same run. --record
appends the result to docs/performance.md (section "Activity inserts,
paced and back to back")."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, func, select

from data_access.activities import add_activity
from data_access.db import StoreError, make_engine, read_session, redact, run_write
from data_access.models import Activity, Region
from data_access.registry import ACTIVITY_TYPES
from data_access.store import open_store

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
SECTION = "## Activity inserts, paced and back to back (issue 15)"


def community_ids(url: str, limit: int = 200) -> list[int]:
    """Some community ids of the store, spread over the city."""
    engine = open_store(url)
    with read_session(engine) as session:
        ids = list(session.scalars(select(Region.id).where(Region.level == "community")))
    engine.dispose()
    return ids[:: max(1, len(ids) // limit)]


def sample_activity(rng: random.Random, communities: list[int], title: str) -> dict:
    """A valid activity of a random type, community and day."""
    activity_type = rng.choice(ACTIVITY_TYPES)
    data = {
        "type_key": activity_type.key,
        "community_id": rng.choice(communities),
        "occurred_on": date(2025, 1, 1) + timedelta(days=rng.randrange(300)),
        "title": title,
    }
    for measure in activity_type.measures:
        data[measure] = rng.randint(0, 10) if measure != "hours" else rng.randint(0, 20) / 2
    if "cases_received" in data:
        data["cases_received"] = 10
        data["cases_resolved"] = min(data.get("cases_resolved", 0), 10)
        data["cases_satisfied"] = min(data.get("cases_satisfied", 0), data["cases_resolved"])
    return data


PAUSE: tuple[float, float] | None = None  # seconds between one writer's saves (--pause)


def _pause(rng: random.Random) -> None:
    """With --pause, wait a random LOW–HIGH seconds: before every save, the first included.
    People at a form save at their own moments; until session 9 every writer's first save came
    the instant the start barrier opened, 20 saves at once (8 % of a 20 × 12 run), and that
    burst alone set the paced run's p95 (PostgreSQL: the burst's median 178 ms, the other
    saves' p95 18 ms). The burst is the back-to-back run's case (no --pause)."""
    if PAUSE:
        time.sleep(rng.uniform(*PAUSE))


PEER = False  # --peer: the writers make the peer's bare save instead of the app's
_PEER_ROWS = Table(
    "bench_peer_saves",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("community_id", Integer, nullable=False),
    Column("type_key", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("title", String(200), nullable=False),
)


def _save(engine, data: dict) -> str | None:
    """One save as this run's writers make it; what went wrong, or None. The app's: the Record
    form's path. The peer's (--peer): one bare INSERT of the activity's key fields into a
    scratch table, in a transaction of its own through the same engine (on SQLite the same
    BEGIN IMMEDIATE), with no validation, duplicate check, scope check, rollups or audit row:
    the floor for one committed row on this store and machine, in the same run."""
    if PEER:
        with engine.begin() as connection:
            connection.execute(
                _PEER_ROWS.insert(), {c.name: data[c.name] for c in _PEER_ROWS.c if c.name != "id"}
            )
        return None
    result = run_write(engine, add_activity, data, uuid4().hex)
    return None if result.status == "saved" else f"{result.status}: {result.errors}"


def warm_up(engine, communities: list[int], index: int) -> None:
    """One untimed save first, as a server that has been running has made: its connection
    opened and SQLAlchemy's statements compiled (else the first save of each of 20 writers
    started at once, 5–8 % of a short run, sets the p95)."""
    data = sample_activity(random.Random(-index - 1), communities, f"warm-up {index}")
    _save(engine, data)


def _writer(
    url: str, index: int, per_writer: int, marker: str, communities: list[int], start, results
) -> None:
    engine = make_engine(url)  # the store is migrated already; Alembic is not process-safe
    rng = random.Random(index)
    latencies: list[float] = []
    began_at: list[float] = []
    error = None
    try:
        warm_up(engine, communities, index)
        start.wait(timeout=300)
        for i in range(per_writer):
            _pause(rng)
            data = sample_activity(rng, communities, f"{marker} {index}-{i}")
            began_at.append(time.time())
            began = time.perf_counter()
            failed = _save(engine, data)
            latencies.append(time.perf_counter() - began)
            if failed:
                raise AssertionError(failed)
    except Exception as exc:  # reported to the parent, which fails loudly
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        engine.dispose()
        results.put((latencies, error, began_at))


def run_writers(
    url: str,
    writers: int,
    per_writer: int,
    marker: str,
    communities: list[int],
    stamps: list[tuple[float, float]] | None = None,
) -> tuple[list[float], list[str]]:
    """Start `writers` processes (as separate app replicas would be), each saving `per_writer`
    activities one transaction at a time; return every save's latency in seconds and any
    errors (and add (wall-clock start, latency) of each save to `stamps`)."""
    open_store(url).dispose()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(
            target=_writer, args=(url, i, per_writer, marker, communities, start, results)
        )
        for i in range(writers)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in processes:
        mine, error, began_at = results.get(timeout=3600)
        latencies.extend(mine)
        if stamps is not None:
            stamps.extend(zip(began_at, mine, strict=False))
        if error:
            errors.append(error)
    for process in processes:
        process.join()
    return latencies, errors


def run_threads(
    url: str, writers: int, per_writer: int, marker: str, communities: list[int]
) -> tuple[list[float], list[str]]:
    """Start `writers` threads sharing one engine (as the sessions of one server process do),
    each saving `per_writer` activities; return every save's latency in seconds (failed ones
    included) and the message of each failed save."""
    open_store(url).dispose()
    engine = make_engine(url)
    warm_up(engine, communities, -1)
    start = threading.Barrier(writers)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def writer(index: int) -> None:
        rng = random.Random(index)
        start.wait(timeout=300)
        for i in range(per_writer):
            _pause(rng)
            data = sample_activity(rng, communities, f"{marker} {index}-{i}")
            began = time.perf_counter()
            try:
                error = _save(engine, data)
            except StoreError as exc:
                error = str(exc)
            except Exception as exc:  # counted: the point is to see every kind of failure
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
            with lock:
                latencies.append(time.perf_counter() - began)
                if error:
                    errors.append(error)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    return latencies, errors


def summary(latencies: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def percentile(latencies: list[float], p: float) -> float:
    """The p-th percentile (0–1), in milliseconds."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


def saved_count(url: str, marker: str) -> int:
    """How many activities of this run (by their title's marker) the store holds."""
    engine = make_engine(url)
    with read_session(engine) as session:
        title = _PEER_ROWS.c.title if PEER else Activity.title
        count = session.scalar(select(func.count()).where(title.like(f"{marker}%")))
    engine.dispose()
    return int(count or 0)


def check_passes(url: str) -> bool:
    """Whether `python -m data_access check` finds every summary exact after the run."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "data_access", "check", "--db", url],
        cwd=root,
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def main() -> None:
    """Run the benchmark and print (and optionally record) the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--per-writer", type=int, default=500)
    parser.add_argument("--alone", type=int, default=500)
    parser.add_argument("--threads", action="store_true", help="writers are threads of one process")
    parser.add_argument("--pause", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"))
    parser.add_argument(
        "--peer",
        action="store_true",
        help="then the same writers each saving a bare INSERT (the floor), in the same run",
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    global PAUSE
    PAUSE = tuple(args.pause) if args.pause else None
    communities = community_ids(args.db)
    backend = "PostgreSQL" if args.db.startswith("postgresql") else "SQLite"
    kind = "threads" if args.threads else "processes"
    if PAUSE:
        kind += f", {PAUSE[0]:g}–{PAUSE[1]:g} s apart"
    lines = [f"| {backend} | " + _measure(args, communities, kind)]
    if args.peer:
        global PEER
        engine = make_engine(args.db)
        _PEER_ROWS.create(engine)
        PEER = True
        try:
            lines.append(f"| {backend}, peer: a bare INSERT | " + _measure(args, communities, kind))
        finally:
            PEER = False
            _PEER_ROWS.drop(engine)
            engine.dispose()
    print(redact(args.db))
    print("\n".join(lines))
    if args.record:
        for line in lines:
            record(line)


def _measure(args: argparse.Namespace, communities: list[int], kind: str) -> str:
    """One writer alone, then the concurrent writers; the result row's cells after the store's.
    The peer's rows are counted in its scratch table, and it leaves no summary to check."""
    global PAUSE
    marker = f"bench-{uuid4().hex[:8]}"
    pause, PAUSE = PAUSE, None  # alone: back to back, the baseline
    alone, errors = run_writers(args.db, 1, args.alone, marker + "a", communities)
    PAUSE = pause
    if errors:
        raise SystemExit(f"alone: {errors[0]!r}")
    run = run_threads if args.threads else run_writers
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    together, errors = run(args.db, args.writers, args.per_writer, marker + "c", communities)
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()[0]
    # A writer process stops at its first failure (counted in "failed"); threads go on.
    # Saves reported saved (threads time failed saves too; a process stops at its failure).
    reported = len(together) - (len(errors) if args.threads else 0)
    lost = reported - saved_count(args.db, marker + "c")
    clean = "–" if PEER else "yes" if check_passes(args.db) else "NO"
    for message in sorted(set(errors))[:5]:
        print(f"  failed ({errors.count(message)}×): {message}")
    a_med, a_p95 = summary(alone)
    c_med, c_p95 = summary(together)
    return (
        f"{len(alone)} alone | {a_med:.1f} | {a_p95:.1f} | "
        f"{args.writers}×{args.per_writer} {kind} | {c_med:.1f} | {c_p95:.1f} | "
        f"{percentile(together, 0.99):.1f} | "
        f"{len(together) / elapsed:.0f} | {max(together) * 1000:.0f} | {len(errors)} | "
        f"{lost} | {clean} | {load_before:.1f} → {load_after:.1f} |"
    )


def record(line: str) -> None:
    """Append a result row to the Activity inserts section of docs/performance.md."""
    header = (
        f"\n{SECTION}\n\n"
        "One save = the Record form's path (`run_write(add_activity)`), one transaction each.\n"
        "Writers are processes (replicas) or `--threads` of one process; with a pause each\n"
        "writer waits 1–5 s between saves (people at a form), else saves back to back. *lost*:\n"
        "saves reported saved but not in the store afterwards; *check*: `python -m data_access\n"
        "check` after the run. *alone*: one writer back to back, the same run's baseline.\n"
        "Recorded with `python -m bench.activity_inserts --db URL [--pause 1 5] [--threads]\n"
        "--record` on the demo store, on the 2-core machine shared with other work (load:\n"
        "the 1-minute load average at the start and end of the concurrent part).\n\n"
        "| store | alone | median ms | p95 ms | concurrent | p50 ms | p95 ms | p99 ms "
        "| saves/s | slowest ms | failed | lost | check | load |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    text = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else ""
    if SECTION not in text:
        if not text:
            text = "# Performance\n"
        text = text.rstrip("\n") + "\n" + header
    lines = text.rstrip("\n").split("\n")
    # Insert the row at the end of this section's table.
    start = lines.index(SECTION)
    end = start + 1
    while end < len(lines) and not lines[end].startswith("## "):
        end += 1
    while end > start and not lines[end - 1].startswith("|"):
        end -= 1
    lines.insert(end, line)
    PERFORMANCE_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
