"""Operators' command line: `python -m data_access COMMAND ...`, the commands migrate,
indicators, users, check, report and briefing."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from data_access.accounts import (
    AccountError,
    add_account,
    generate_password,
    reset_password,
    set_account_active,
    unlock_account,
)
from data_access.auth import ROLES, get_account_by_username, list_accounts
from data_access.backup import add_commands as add_backup_commands
from data_access.backup import run_command as run_backup_command
from data_access.db import StoreError, read_session, run_write, write_session
from data_access.files import replaced_whole
from data_access.indicators import get_indicator_values
from data_access.messages import MessageError
from data_access.periods import PeriodError, parse_period
from data_access.regions import get_city, get_region
from data_access.registry import DATA_LEVELS, INDICATORS
from data_access.reports import ReportError
from data_access.sheet_reader import ImportRefused
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
    ind.add_argument("--level", required=True, choices=DATA_LEVELS)
    ind.add_argument("--region", help="region code (required below city level)")
    ind.add_argument("--period", required=True, help="2025, 2025Q1 or 2025-03")
    ind.add_argument("--format", default="json", choices=["json", "csv"])
    users = sub.add_parser(
        "users", help="manage accounts: add, disable, enable, reset-password, unlock, list"
    )
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--scope", required=True, help="region code of the scope (city: its code)")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--sso", help="single-sign-on identity (email) mapped to this account")
    users_sub.add_parser("list", help="list the accounts")
    for name in ("disable", "enable", "reset-password", "unlock"):
        one = users_sub.add_parser(name, help=f"{name} an account")
        one.add_argument("username")
    for action in users_sub.choices.values():
        action.add_argument("--db")
    for name in ("add", "reset-password"):
        users_sub.choices[name].add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (default: generate and print one)",
        )
    check = sub.add_parser(
        "check", help="recount the monthly rollups from the activities and report differences"
    )
    check.add_argument("--db")
    report = sub.add_parser("report", help="monthly reports (月报): template, import, status")
    report_sub = report.add_subparsers(dest="action", required=True)
    template = report_sub.add_parser("template", help="write the Excel template of a month")
    template.add_argument("--region", required=True, help="region code (its communities)")
    template.add_argument("--out", required=True, help="the .xlsx file to write")
    imp = report_sub.add_parser("import", help="import a filled report sheet, all rows or none")
    imp.add_argument("file", help=".xlsx, .csv (UTF-8, GBK, with or without BOM) or .txt")
    imp.add_argument("--submit", action="store_true", help="submit the reports for review")
    status = report_sub.add_parser("status", help="completeness and each region's status")
    status.add_argument("--region", required=True, help="region code")
    status.add_argument("--format", default="json", choices=["json", "csv"])
    for one in report_sub.choices.values():
        one.add_argument("--month", required=True, help="2025-11")
        one.add_argument("--db")
        if one is not imp:
            one.add_argument(
                "--level",
                default="community",
                choices=["community", "street", "district", "city"],
                help="the reporting level (default: community)",
            )
    add_backup_commands(sub)
    brief = sub.add_parser("briefing", help="write a region's briefing (.docx or .pdf)")
    brief.add_argument("--region", required=True, help="region code")
    brief.add_argument("--period", required=True, help="2025, 2025Q1 or 2025-03")
    brief.add_argument("--format", required=True, choices=["docx", "pdf"])
    brief.add_argument("--lang", default="zh", choices=["zh", "en"])
    brief.add_argument("--out", required=True, help="the file to write")
    brief.add_argument("--db")
    return parser


def _briefing(args: argparse.Namespace) -> int:
    from data_access import clock
    from data_access.briefing import build_briefing

    period = parse_period(args.period)
    # Written beside the target first (files.replaced_whole): an unwritable place is said before
    # the document is built, and a scheduled run never leaves half a file nor loses the last
    # good one when a build fails.
    try:
        with replaced_whole(Path(args.out), private=False) as part:
            engine = open_store(args.db)
            files = build_briefing(
                engine, args.region, period, [args.format], args.lang, today=clock.today()
            )
            part.write_bytes(files[args.format])
    except OSError as exc:
        raise StoreError(f"无法写入 {args.out} / cannot write the file: {exc.strerror}") from None
    print(f"汇报材料已写入 {args.out} / briefing written")
    return 0


def _report(args: argparse.Namespace) -> int:
    from data_access.report_sheets import import_report_sheet, template_xlsx
    from data_access.reports import get_completeness, list_report_statuses, parse_month

    month = parse_month(args.month)
    engine = open_store(args.db)
    if args.action == "import":
        try:
            with open(args.file, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise StoreError(
                f"无法读取文件 {args.file} / cannot read the file: {exc.strerror}"
            ) from None
        # run_write: the sheet is read and checked before the write transaction begins.
        result = run_write(
            engine, import_report_sheet, None, args.file, data, month, submit=args.submit
        )
        for e in result.errors[:200]:
            print(
                f"第 {e.row} 行 [{e.column}]：{e.message.zh} / row {e.row} [{e.column}]: "
                f"{e.message.en}"
            )
        if result.errors:
            n = len(result.errors)
            print(f"有 {n} 处错误，未导入任何数据 / {n} errors: nothing imported", file=sys.stderr)
            return 1
        for w in result.warnings[:200]:
            print(
                f"提醒 第 {w.row} 行 [{w.column}]：{w.message.zh} / warning row {w.row}: "
                f"{w.message.en}"
            )
        state = "已提交审核" if args.submit else "已存为草稿"
        print(f"已导入 {result.saved} 份月报，{state} / imported {result.saved} reports")
        return 0
    with read_session(engine) as session:
        region = get_region(session, args.region)
        if region is None:
            raise StoreError(f"找不到地区 {args.region} / no such region")
        if args.action == "template":
            data = template_xlsx(session, region, month, args.level)
        else:
            done = get_completeness(session, region, month, args.level)
            rows = list_report_statuses(session, region, month, args.level)
    if args.action == "template":
        try:
            with open(args.out, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise StoreError(
                f"无法写入 {args.out} / cannot write the file: {exc.strerror}"
            ) from None
        print(f"模板已写入 {args.out} / template written")
        return 0
    if args.format == "json":
        payload = {
            "region": region.code,
            "month": args.month,
            "level": args.level,
            "total": done.total,
            "counts": done.counts,
            "regions": [
                {"code": r.code, "name": r.name_zh, "parent": r.parent_code, "status": r.status}
                for r in rows
            ],
        }
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(["code", "name_zh", "parent_code", "parent_name_zh", "status"])
        for r in rows:
            writer.writerow([r.code, r.name_zh, r.parent_code, r.parent_name_zh, r.status])
    return 0


def _users(args: argparse.Namespace) -> int:
    engine = open_store(args.db)
    if args.action == "list":
        with read_session(engine) as session:
            for a in list_accounts(session):
                state = "active" if a.is_active else "disabled"
                print(f"{a.username}\t{a.role}\t{a.scope_code}\t{state}\t{a.display_name}")
        return 0
    password = generated = None
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    elif args.action in ("add", "reset-password"):
        password = generated = generate_password()
    with write_session(engine) as session:
        if args.action == "add":
            region = get_region(session, args.scope)
            if region is None:
                raise StoreError(f"找不到地区 {args.scope} / no such region")
            add_account(
                session,
                None,
                args.username,
                args.name or args.username,
                args.role,
                region.id,
                password,
                args.sso,
                one_time_password=True,
            )
        else:
            account = get_account_by_username(session, args.username)
            if account is None:
                raise StoreError(f"找不到账户 {args.username} / no such account")
            if args.action == "reset-password":
                reset_password(session, None, account.id, password)
            elif args.action == "unlock":
                unlock_account(session, None, account.id)
            else:
                set_account_active(session, None, account.id, args.action == "enable")
    print(f"完成 / done: {args.action} {args.username}")
    if generated:
        print(f"密码 / password: {generated}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from data_access.rollups import compare_area_rollups, compare_area_stocks, compare_rollups

    engine = open_store(args.db)
    with read_session(engine) as session:
        diffs = compare_rollups(session)
        area_diffs = compare_area_rollups(session)
        stock_diffs = compare_area_stocks(session)
    for d in diffs[:50]:
        print(
            f"community={d.community_id} month={d.month} type={d.type_key} {d.column}: "
            f"stored {d.stored:g}, recounted {d.recounted:g}"
        )
    for region_id, month, type_key in area_diffs[:50]:
        print(f"area region={region_id} month={month} type={type_key}: differs from a recount")
    for d in stock_diffs[:50]:
        print(
            f"area region={d.region_id} month={d.month} indicator={d.indicator_key}: "
            f"stored {d.stored}, recounted {d.recounted} (total, as-of month)"
        )
    if diffs or area_diffs or stock_diffs:
        total = len(diffs) + len(area_diffs) + len(stock_diffs)
        print(f"汇总表与活动记录不一致：{total} 处 / {total} rollup differences")
        return 1
    print(
        "汇总表与活动记录、已通过的月报一致 / summaries match the activities and approved reports"
    )
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
        if args.command == "users":
            return _users(args)
        if args.command == "check":
            return _check(args)
        if args.command == "report":
            return _report(args)
        if args.command in ("backup", "restore"):
            return run_backup_command(args)
        if args.command == "briefing":
            return _briefing(args)
        return _indicators(args)
    except (
        StoreError,
        PeriodError,
        AccountError,
        ReportError,
        ImportRefused,
        MessageError,
    ) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
