"""Strings of the store guard (ui/bootstrap.py), in Chinese and English."""

STRINGS: dict[str, tuple[str, str]] = {
    "store.step.regions": ("地区与小区 {count}", "regions and compounds {count}"),
    "store.step.activities": ("活动记录 {count}", "activities {count}"),
    "store.step.reports": ("月报与汇总 {count}", "monthly reports and totals {count}"),
    "store.step.indexes": ("建立索引 {count}", "indexes {count}"),
    "store.step.done": ("完成 {count}", "done {count}"),
    "store.step.other": ("演示数据 {count}", "demo data {count}"),
    "store.retry": ("重试", "Try again"),
    "store.migrating": (
        "正在升级数据库结构（本程序的新版本需要），完成后页面自动打开，请勿关闭。",
        "Upgrading the database schema for this version of the program; the page opens by"
        " itself when it is done. Please keep it open.",
    ),
    "store.migrating_step": ("已完成 {done}/{total} 步", "{done} of {total} steps done"),
    "store.migrated": ("数据库结构已升级", "The database schema is upgraded"),
}
