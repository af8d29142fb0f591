"""Seed bench: how long building the demo city takes (`python -m seed_data`: what a first start and
every test session do), on an empty SQLite file (or, with --pg, an empty database of a throw-away
PostgreSQL server, tests/pgserver.py), for this tree and — turn about in the same run — for the
code at a git commit (--before): the wall time and the seeding process's CPU seconds (the
PostgreSQL server's own work is in the wall time only). Writes its section of
docs/performance.md with --record (the PostgreSQL runs their own section).

    python -m bench.seed --runs 3 --before be9edbe --record
    python -m bench.seed --pg --runs 2 --before 9f277ca --record
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import (  # noqa: E402
    machine_summary,
    timed_process,
    turn_about,
    wall_cpu_cells,
    write_section,
)
from bench.start import export  # noqa: E402


def one_seed(tree: Path, folder: Path, today: str, activities: int | None, pg=None) -> dict:
    """Seed an empty store (a new database of the server `pg`, else a SQLite file) with the
    code in `tree`; wall and CPU seconds of the process, the SQLite file's size."""
    store = folder / "seed.db"
    store.unlink(missing_ok=True)
    url = pg.create_database(f"seed_{time.time_ns() % 10**12}") if pg else f"sqlite:///{store}"
    command = [sys.executable, "-m", "seed_data", "--db", url, "--today", today]
    if activities:
        command += ["--activities", str(activities)]
    wall, cpu, _out = timed_process(command, tree)
    if pg:
        pg.drop_database(url.rsplit("/", 1)[1])
        return {"wall_s": wall, "cpu_s": cpu, "mb": None}
    size = store.stat().st_size
    store.unlink()
    return {"wall_s": wall, "cpu_s": cpu, "mb": size / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", default=None, help="git commit to compare with")
    parser.add_argument("--today", default="2026-01-15", help="the demo's today (the tests')")
    parser.add_argument("--activities", type=int, default=None, help="default: the demo's")
    parser.add_argument("--pg", action="store_true", help="into PostgreSQL (tests/pgserver.py)")
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="happy-seed-"))
    trees = {"this tree": ROOT}
    if args.before:
        trees[f"before ({args.before})"] = export(args.before, folder)
    with ExitStack() as stack:
        pg = None
        if args.pg:
            from tests.pgserver import PostgresServer

            pg = stack.enter_context(PostgresServer())
        runs, load = turn_about(
            trees, args.runs, lambda tree: one_seed(tree, folder, args.today, args.activities, pg)
        )
    size = {label: "—" if pg else f"{rs[0]['mb']:.0f}" for label, rs in runs.items()}
    rows = [f"| {label} | {wall_cpu_cells(rs)} | {size[label]} |" for label, rs in runs.items()]
    into = (
        "an empty database of a throw-away PostgreSQL server (tests/pgserver.py: fsync off)"
        if pg
        else "an empty SQLite file"
    )
    body = "\n".join(
        [
            f"`python -m bench.seed{' --pg' if pg else ''} --runs {args.runs}"
            + (f" --before {args.before}" if args.before else "")
            + (f" --activities {args.activities}" if args.activities else "")
            + f"` (today {args.today}) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
            f" {machine_summary()}, load average ≈ {load:.1f} while measured (shared machine)."
            f" The demo city built into {into}, {args.runs} runs each, turn about.",
            "",
            "| code | wall, median (s) | wall, range (s) | CPU, median (s) | store (MB) |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if args.record:
        if pg:
            write_section("seed-pg", "Building the demo city on PostgreSQL (bench/seed.py)", body)
        else:
            write_section("seed", "Building the demo city (bench/seed.py)", body)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
