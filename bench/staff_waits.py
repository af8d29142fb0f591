"""Benchmark: what community staff and reviewers wait for after a click, turn about with
earlier code: checking an activity sheet before its import, and approving the city's monthly
reports.

    python -m bench.staff_waits --db /path/to/demo.db --runs 3 --before 3350d8f --record

For this tree and each commit given (--before, exported with `git archive`), each on its own
copy of the store (a SQLite file, migrated to the tree's schema first), in turn, `--runs`
rounds, in a child process per round:

- *check N*: `importing.check_sheet` of a sheet of N activity rows naming their district,
  street and community by name, as people type them (N = 3 and 500), and *check N with grids*:
  the same rows with a grid named in each (what the import page runs before it offers to save);
- *approve*: the city's template for a month no one has reported (MONTH) imported as submitted
  reports (1,158 on the demo), then `approve_reports` of every submitted one, APPROVE_PART at a
  time as the review page does; in one transaction rolled back at the end (its commit is not
  counted). The import's own time is not part of *approve*.

Medians of the rounds, in milliseconds; --record writes the section "staff-waits" of
docs/performance.md."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.perfdoc import machine_summary, turn_about, write_section  # noqa: E402
from bench.start import trees_with_stores  # noqa: E402

MONTH = 202612  # a month the demo built before it has no report of

# Run in the measured tree (its own data_access): the seconds of each step as JSON.
CHILD = r"""
import json, sys, time
from sqlalchemy import select
from sqlalchemy.orm import Session
from data_access.db import read_session
from data_access.importing import check_sheet, template_header
from data_access.models import Region
from data_access.regions import get_city
from data_access.report_sheets import import_report_sheet, template_xlsx
from data_access.reports import approve_reports
from data_access.store import open_store

url, month, sizes = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3].split(",")]
engine = open_store(url)
out = {}
header = template_header()
with read_session(engine) as session:
    names = {r.id: r for r in session.scalars(select(Region).where(Region.level != "grid"))}
    communities = [r for r in names.values() if r.level == "community"][:50]
    grids = {
        parent: name
        for parent, name in session.execute(
            select(Region.parent_id, Region.name_zh).where(Region.level == "grid")
        )
    }
    for n in sizes:
        for with_grids in (False, True):
            rows = [header]
            for i in range(n):
                c = communities[i % len(communities)]
                row = dict.fromkeys(header, "")
                row.update({header[0]: "人民调解", header[1]: names[c.district_id].name_zh,
                            header[2]: names[c.street_id].name_zh, header[3]: c.name_zh,
                            header[6]: "2025-03-15", header[7]: f"调解 {i}",
                            "参与人数（人）": 2, "解决件数（件）": 1})
                if with_grids:
                    row[header[4]] = grids[c.id]
                rows.append([row[h] for h in header])
            started = time.perf_counter()
            result = check_sheet(session, rows)
            out[f"check {n}" + (" with grids" if with_grids else "")] = (
                time.perf_counter() - started
            )
            assert result.ok, result.errors[:3]
with Session(engine) as session:
    city = get_city(session)
    data = template_xlsx(session, city, month)
    imported = import_report_sheet(session, None, "city.xlsx", data, month, submit=True)
    assert imported.ok, imported.errors[:3]
    session.flush()
    started = time.perf_counter()
    approved = approve_reports(session, None, month, None)
    session.flush()
    out["approve"] = time.perf_counter() - started
    out["approved"] = len(approved)
    session.rollback()
print(json.dumps(out))
"""

STEPS = ("check 3", "check 3 with grids", "check 500", "check 500 with grids", "approve")


def one_round(tree: Path, url: str, sizes: str = "3,500") -> dict:
    """One round in `tree` on the store at `url`: the seconds of each step (sheets of `sizes`
    rows, comma-separated) and the number of reports approved."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(MONTH), sizes],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.staff_waits")
    parser.add_argument("--db", required=True, help="a SQLite demo store (a file path)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--before", action="append", default=[], help="git commit to compare with (repeatable)"
    )
    parser.add_argument("--record", action="store_true", help="write docs/performance.md")
    args = parser.parse_args(argv)
    trees, urls, folder = trees_with_stores(args.db, args.before, "happy-staff-")
    runs, load = turn_about(trees, args.runs, lambda tree: one_round(tree, urls[tree]))
    lines = [
        "| code | " + " | ".join(STEPS) + " | reports approved |",
        "|---|" + "---|" * (len(STEPS) + 1),
    ]
    for label, results in runs.items():
        cells = [f"{1000 * statistics.median(r[s] for r in results):,.0f}" for s in STEPS]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {results[0]['approved']:,} |")
    table = "\n".join(lines)
    print(table)
    if args.record:
        body = (
            f"`python -m bench.staff_waits --db <demo store> --runs {args.runs}"
            + "".join(f" --before {ref}" for ref in args.before)
            + f"`: {machine_summary()}, load {load:.1f} (mean of the 1-minute load average"
            " before and after). Each code on its own copy of the store, in turn; medians of"
            f" {args.runs} rounds in milliseconds. *check N*: checking a sheet of N activity rows"
            " that name their regions (with a grid each in *with grids*) before the import;"
            " *approve*: approving every submitted report of the city for a new month, after"
            " the city's template was imported (see the script's docstring).\n\n" + table
        )
        write_section("staff-waits", "What staff wait for: an import's check, an approval", body)
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
