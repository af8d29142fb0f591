"""Newest-first bench: the reads that list the newest records first, on a store given by --db.

- The activity log: how long one page takes to read (`list_activities`, the whole city's live
  records as an administrator sees them, 50 a page), by its number, at pages from the first to
  the last, in both of the log's orders (the latest entered; the latest dated); and for the
  code that has them, the page after and the page before one shown, read from its edge (› and
  ‹).
- A wall screen's latest activities (`list_recent_activities`, 8): for the city, a district, a
  street, and the community whose latest record is the median one (among those with records).

For this tree and, turn about in the same run, the code at git commits (--before), each on its
own copy of the store (each code migrates its copy to its own schema, unmeasured). Each round
runs in a child process started in the tree it measures. Writes its section of
docs/performance.md with --record.

    python -m bench.newest_first --db /path/to/a5m.db --runs 3 --before 9114de9 --record
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, turn_about, write_section  # noqa: E402
from bench.start import trees_with_stores  # noqa: E402

# Run in the measured tree (its own data_access): the pages' seconds as JSON.
CHILD = r"""
import inspect, json, sys, time
from sqlalchemy import select
from data_access.activity_log import ActivityFilter, list_activities
from data_access.db import read_session
from data_access.models import Account
from data_access.store import open_store

url, wanted = sys.argv[1], sys.argv[2].split(",")
engine = open_store(url)
seeks = "seek" in inspect.signature(list_activities).parameters
out = {}
with read_session(engine) as session:
    from sqlalchemy import func
    from data_access.feed import list_recent_activities
    from data_access.models import Activity, Region
    from data_access.regions import get_region_by_id
    admin = session.scalar(select(Account.id).where(Account.role == "admin"))
    first_of = select(Region.id).order_by(Region.id).limit(1)
    district = session.scalar(first_of.where(Region.level == "district"))
    for scope, where in (("city", {}), ("district", {"level": "district", "region_id": district})):
        for order in ("entered", "date"):
            flt = ActivityFilter(viewer=admin, order=order, **where)
            total = list_activities(session, flt, 1, 50)[1]
            pages = -(-total // 50)
            named = {"middle": pages // 2, "last": pages}
            for name in wanted:
                page = named.get(name) or int(name)
                if page > pages:
                    continue
                started = time.perf_counter()
                rows, _ = list_activities(session, flt, page, 50)
                out[f"{scope} {order} {name}"] = time.perf_counter() - started
                if seeks and rows:
                    from data_access.activity_log import page_key
                    around = (("after", rows[-1], page + 1), ("before", rows[0], page - 1))
                    for side, edge, there in around:
                        if 1 <= there <= pages:
                            started = time.perf_counter()
                            seek = (side, page_key(edge, order))
                            list_activities(session, flt, there, 50, seek=seek)
                            out[f"{scope} {order} {name} {side}"] = time.perf_counter() - started
            out[f"{scope} {order} pages"] = pages
    last = select(func.max(Activity.id).label("last")).group_by(Activity.community_id).subquery()
    median = session.scalar(select(last.c.last).order_by(last.c.last).offset(
        session.scalar(select(func.count()).select_from(last)) // 2).limit(1))
    places = {
        level: session.scalar(first_of.where(Region.level == level))
        for level in ("city", "district", "street")
    }
    places["community"] = session.scalar(select(Activity.community_id).where(Activity.id == median))
    for level, region_id in places.items():
        region = get_region_by_id(session, region_id)
        started = time.perf_counter()
        list_recent_activities(session, region, 8)
        out[f"latest {level}"] = time.perf_counter() - started
print(json.dumps(out))
"""


LEVELS = ("city", "district", "street", "community")


def one_round(tree: Path, url: str, pages: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, pages], cwd=tree, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(results: list[dict], key: str) -> str:
    values = [r[key] for r in results if key in r]
    if not values:
        return "—"
    median = statistics.median(values)
    return f"{1000 * median:,.0f}" if median >= 0.1 else f"{1000 * median:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.newest_first")
    parser.add_argument("--db", required=True, help="a SQLite store (a file path)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--before", action="append", default=[], help="git commit to compare with (repeatable)"
    )
    parser.add_argument(
        "--pages", default="1,100,1000,10000,middle,last", help="page numbers, middle, last"
    )
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args(argv)
    trees, urls, folder = trees_with_stores(args.db, args.before, "happy-log-")
    for tree in trees.values():
        one_round(tree, urls[tree], "1")  # migrated to the tree's schema, the file read once
    runs, load = turn_about(trees, args.runs, lambda tree: one_round(tree, urls[tree], args.pages))
    names = args.pages.split(",")
    first = next(iter(runs.values()))[0]
    header = (
        "| code | log of | order | "
        + " | ".join(f"page {n}" for n in names)
        + " | › (median) | ‹ (median) |"
    )
    rows = []
    for scope in ("city", "district"):
        for label, results in runs.items():
            for order in ("entered", "date"):
                head = f"{scope} {order} "
                cells = [_cell(results, head + n) for n in names]
                sides = []
                for side in ("after", "before"):
                    values = [
                        r[k] for r in results for k in r if k.startswith(head) and k.endswith(side)
                    ]
                    sides.append(f"{1000 * statistics.median(values):.1f}" if values else "—")
                where = f"{scope} ({first[f'{scope} {order} pages']:,} pages)"
                rows.append(f"| {label} | {where} | {order} | " + " | ".join(cells + sides) + " |")
    store_mb = Path(args.db).stat().st_size / 1e6
    body = "\n".join(
        [
            f"`python -m bench.newest_first --db <{Path(args.db).name}, {store_mb:,.0f} MB>"
            f" --runs {args.runs} --pages {args.pages}"
            + "".join(f" --before {ref}" for ref in args.before)
            + f"` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
            f" {machine_summary()}, load average ≈ {load:.1f} while measured (shared machine)."
            " One page of the activity log (50 records, an administrator), read by its number:"
            " the whole city's, and the first district's (as its leader sees the log); › and ‹:"
            " the page after and before each page measured, read from its edge (medians over"
            f" the pages). Milliseconds, median of {args.runs} rounds, turn about, each code on"
            " its own copy of the store.",
            "",
            header,
            "|---|---|---|" + "---|" * (len(names) + 2),
            *rows,
            "",
            "A wall screen's latest 8 activities (milliseconds, median of the rounds); the"
            " community is the one whose latest record is the median one:",
            "",
            "| code | city | district | street | community |",
            "|---|---|---|---|---|",
            *(
                f"| {label} | "
                + " | ".join(_cell(results, f"latest {level}") for level in LEVELS)
                + " |"
                for label, results in runs.items()
            ),
        ]
    )
    print(body)
    if args.record:
        write_section(
            "newest-first",
            "The newest records first: log pages, wall screens (bench/newest_first.py)",
            body,
        )
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
