"""Strings of the store guard (ui/bootstrap.py), in Chinese and English."""

STRINGS: dict[str, tuple[str, str]] = {
    "store.step.regions": ("地区与小区 {count}", "regions and compounds {count}"),
    "store.step.activities": ("活动记录 {count}", "activities {count}"),
    "store.step.reports": ("月报与汇总 {count}", "monthly reports and totals {count}"),
    "store.step.indexes": ("建立索引 {count}", "indexes {count}"),
    "store.step.done": ("完成 {count}", "done {count}"),
    "store.step.other": ("演示数据 {count}", "demo data {count}"),
    "store.retry": ("重试", "Try again"),
}
