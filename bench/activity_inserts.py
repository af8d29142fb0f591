"""Benchmark: latency of saving one activity (the form's path: validate, insert, rollup, audit),
alone and under concurrent writers, on SQLite and PostgreSQL.

    python -m bench.activity_inserts --db URL [--writers 20] [--per-writer 500] [--threads]
        [--record]

Writers are separate processes (like app replicas), or with --threads threads of one process
sharing one engine and its connection pool (like the sessions of one Streamlit process; a save
that fails is counted and the writer goes on). --record appends the result to
docs/performance.md (section "Activity inserts")."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

from sqlalchemy import select

from data_access.activities import add_activity
from data_access.db import StoreError, make_engine, read_session, redact, run_write
from data_access.models import Region
from data_access.registry import ACTIVITY_TYPES
from data_access.store import open_store

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
SECTION = "## Activity inserts (issue 5)"


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


def _writer(
    url: str, index: int, per_writer: int, marker: str, communities: list[int], start, results
) -> None:
    engine = make_engine(url)  # the store is migrated already; Alembic is not process-safe
    rng = random.Random(index)
    latencies: list[float] = []
    error = None
    try:
        start.wait(timeout=300)
        for i in range(per_writer):
            data = sample_activity(rng, communities, f"{marker} {index}-{i}")
            began = time.perf_counter()
            result = run_write(engine, add_activity, data, uuid4().hex)
            latencies.append(time.perf_counter() - began)
            if result.status != "saved":
                raise AssertionError(f"{result.status}: {result.errors}")
    except Exception as exc:  # reported to the parent, which fails loudly
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    finally:
        engine.dispose()
        results.put((latencies, error))


def run_writers(
    url: str, writers: int, per_writer: int, marker: str, communities: list[int]
) -> tuple[list[float], list[str]]:
    """Start `writers` processes (as separate app replicas would be), each saving `per_writer`
    activities one transaction at a time; return every save's latency in seconds and any
    errors."""
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
        mine, error = results.get(timeout=3600)
        latencies.extend(mine)
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
    start = threading.Barrier(writers)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def writer(index: int) -> None:
        rng = random.Random(index)
        start.wait(timeout=300)
        for i in range(per_writer):
            data = sample_activity(rng, communities, f"{marker} {index}-{i}")
            began = time.perf_counter()
            try:
                result = run_write(engine, add_activity, data, uuid4().hex)
                error = None if result.status == "saved" else f"{result.status}: {result.errors}"
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


def main() -> None:
    """Run the benchmark and print (and optionally record) the result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--per-writer", type=int, default=500)
    parser.add_argument("--alone", type=int, default=500)
    parser.add_argument("--threads", action="store_true", help="writers are threads of one process")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    communities = community_ids(args.db)
    marker = f"bench-{uuid4().hex[:8]}"
    alone, errors = run_writers(args.db, 1, args.alone, marker + "a", communities)
    if errors:
        raise SystemExit(f"alone: {errors[0]!r}")
    run = run_threads if args.threads else run_writers
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    together, errors = run(args.db, args.writers, args.per_writer, marker + "c", communities)
    elapsed = time.perf_counter() - began
    load_after = os.getloadavg()[0]
    if errors and not args.threads:
        raise SystemExit(f"concurrent: {errors[0]!r}")
    backend = "PostgreSQL" if args.db.startswith("postgresql") else "SQLite"
    kind = "threads" if args.threads else "processes"
    a_med, a_p95 = summary(alone)
    c_med, c_p95 = summary(together)
    line = (
        f"| {backend} | {len(alone)} alone | {a_med:.1f} | {a_p95:.1f} | "
        f"{args.writers}×{args.per_writer} {kind} | {c_med:.1f} | {c_p95:.1f} | "
        f"{len(together) / elapsed:.0f} | {max(together) * 1000:.0f} | {len(errors)} | "
        f"{load_before:.1f} → {load_after:.1f} |"
    )
    print(redact(args.db))
    print(line)
    for message in sorted(set(errors))[:5]:
        print(f"  failed ({errors.count(message)}×): {message}")
    if args.record:
        record(line)


def record(line: str) -> None:
    """Append a result row to the Activity inserts section of docs/performance.md."""
    header = (
        f"\n{SECTION}\n\n"
        "One save = the Record form's path (`run_write(add_activity)`): validate (regions),\n"
        "duplicate check, insert, rollup upsert, audit row, commit; one transaction each (BEGIN\n"
        "IMMEDIATE on SQLite; retried when SQLite reports the lock busy past its timeout).\n"
        "Concurrent writers are separate processes with their own engines (like app replicas),\n"
        "or threads of one process sharing its engine and pool (like one server's sessions).\n"
        "Recorded with `python -m bench.activity_inserts --db URL --record` on the demo store\n"
        "(200,000 activities), on the 2-core shared development machine.\n\n"
        "| store | alone | median ms | p95 ms | concurrent | median ms | p95 ms | saves/s "
        "| slowest ms | failed | load |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
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
