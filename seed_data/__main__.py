"""`python -m seed_data --db URL [--activities N] [--today YYYY-MM-DD]`: fill a store with the
demo city, from 2024-01 up to today (the clock's, or the one given: the same today gives the
same demo)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from data_access.db import StoreError
from data_access.store import open_store
from seed_data.generator import DEFAULT_ACTIVITIES
from seed_data.loader import seed_demo


def main(argv: list[str] | None = None) -> int:
    """Run the seeding command line; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m seed_data", description="生成演示城市数据 / build the demo city"
    )
    parser.add_argument(
        "--db", help="database URL (default: HAPPY_DB_URL, secrets.toml, or data/happy.db)"
    )
    parser.add_argument(
        "--activities",
        type=int,
        default=DEFAULT_ACTIVITIES,
        help=f"activities in 2024–2025 (default {DEFAULT_ACTIVITIES:,}; later years follow 2025)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        help="build the demo as of this day, YYYY-MM-DD (default: today in HAPPY_TIMEZONE)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="replace a different demo already in the store"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    last = [-1.0]

    def progress(fraction: float, message: str) -> None:
        if fraction - last[0] >= 0.02 or fraction >= 1.0:
            last[0] = fraction
            print(f"\r[{fraction:6.1%}] {message:<40}", end="", file=sys.stderr, flush=True)

    try:
        engine = open_store(args.db)
        created = seed_demo(
            engine, args.activities, args.seed, progress, args.replace, today=args.today
        )
    except StoreError as exc:
        print(f"\n错误 / error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    print(file=sys.stderr)
    print(
        "演示数据已生成" if created else "演示数据已存在，未改动",
        f"/ {'built' if created else 'already present'} in {elapsed:.1f}s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
