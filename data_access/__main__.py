"""Operators' command line: `python -m data_access migrate|indicators ...`."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from data_access.db import StoreError, read_session
from data_access.indicators import get_indicator_values
from data_access.periods import PeriodError, parse_period
from data_access.regions import get_city, get_region
from data_access.registry import INDICATORS
from data_access.store import open_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m data_access", description="幸福社区看板 operators' tools"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    migrate = sub.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument(
        "--db", help="database URL (default: HAPPY_DB_URL, secrets.toml, or data/happy.db)"
    )
    ind = sub.add_parser("indicators", help="print every indicator's value for a region and period")
    ind.add_argument("--db")
    ind.add_argument("--level", required=True, choices=["city", "district", "street", "community"])
    ind.add_argument("--region", help="region code (required below city level)")
    ind.add_argument("--period", required=True, help="2025, 2025Q1 or 2025-03")
    ind.add_argument("--format", default="json", choices=["json", "csv"])
    check = sub.add_parser(
        "check", help="recount the monthly rollups from the activities and report differences"
    )
    check.add_argument("--db")
    return parser


def _check(args: argparse.Namespace) -> int:
    from data_access.activities import compare_rollups

    engine = open_store(args.db)
    with read_session(engine) as session:
        diffs = compare_rollups(session)
    for d in diffs[:50]:
        print(
            f"community={d.community_id} month={d.month} type={d.type_key} {d.column}: "
            f"stored {d.stored:g}, recounted {d.recounted:g}"
        )
    if diffs:
        print(f"汇总表与活动记录不一致：{len(diffs)} 处 / {len(diffs)} rollup differences")
        return 1
    print("汇总表与活动记录一致 / rollups match the activities")
    return 0


def _indicators(args: argparse.Namespace) -> int:
    period = parse_period(args.period)
    engine = open_store(args.db)
    with read_session(engine) as session:
        if args.level == "city":
            region = get_city(session) if args.region is None else get_region(session, args.region)
        elif args.region is None:
            raise StoreError(f"--level {args.level} 需要 --region 代码 / needs --region CODE")
        else:
            region = get_region(session, args.region)
        if region is None:
            raise StoreError(f"找不到地区 {args.region or '(city)'} / no such region")
        if region.level != args.level:
            raise StoreError(
                f"地区 {region.code} 属于 {region.level} 级，不是 {args.level} / level mismatch"
            )
        values = get_indicator_values(session, region, period)
    if args.format == "json":
        payload = {
            "region": region.code,
            "level": region.level,
            "period": str(period),
            "indicators": values,
        }
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(["key", "pillar", "value", "unit", "name_zh", "name_en"])
        for ind in INDICATORS:
            writer.writerow(
                [ind.key, ind.pillar, values[ind.key], ind.unit_zh, ind.name_zh, ind.name_en]
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "migrate":
            engine = open_store(args.db)
            from data_access.migrate import current_revision

            print(f"数据库已是最新结构 / schema at revision {current_revision(engine)}")
            return 0
        if args.command == "check":
            return _check(args)
        return _indicators(args)
    except (StoreError, PeriodError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
