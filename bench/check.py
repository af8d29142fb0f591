"""Check bench: how long `python -m data_access check` takes (what an operator runs after a
restore, and what the tests run on the demo city), on a store given by --db, for this tree and —
turn about in the same run — for the code at git commits (--before): the wall time and the
process's CPU seconds. The check only reads, so every run uses the same store. Writes its
section of docs/performance.md with --record.

    python -m bench.check --db /path/to/demo.db --runs 3 --before 9f277ca --record
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
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


def one_check(tree: Path, url: str) -> dict:
    """`check` of the store with the code in `tree`: wall and CPU seconds, and its verdict."""
    command = [sys.executable, "-m", "data_access", "check", "--db", url]
    wall, cpu, out = timed_process(command, tree)
    return {"wall_s": wall, "cpu_s": cpu, "clean": "summaries match" in out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check")
    parser.add_argument("--db", required=True, help="a SQLite store (a file path)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--before", action="append", default=[], help="git commit to compare with (repeatable)"
    )
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args(argv)
    url = f"sqlite:///{Path(args.db).resolve()}"
    folder = Path(tempfile.mkdtemp(prefix="happy-check-"))
    trees = {"this tree": ROOT} | {f"before ({ref})": export(ref, folder) for ref in args.before}
    runs, load = turn_about(trees, args.runs, lambda tree: one_check(tree, url))
    rows = [
        f"| {label} | {wall_cpu_cells(rs)} | {'yes' if all(r['clean'] for r in rs) else 'no'} |"
        for label, rs in runs.items()
    ]
    store_mb = Path(args.db).stat().st_size / 1e6
    body = "\n".join(
        [
            f"`python -m bench.check --db <{Path(args.db).name}, {store_mb:.0f} MB>"
            f" --runs {args.runs}"
            + "".join(f" --before {ref}" for ref in args.before)
            + f"` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
            f" {machine_summary()}, load average ≈ {load:.1f} while measured (shared machine)."
            f" `python -m data_access check` of the same store, {args.runs} runs each, turn about.",
            "",
            "| code | wall, median (s) | wall, range (s) | CPU, median (s) | clean |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )
    print(body)
    if args.record:
        write_section("check", "Checking the summaries (bench/check.py)", body)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
