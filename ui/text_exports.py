"""Strings of downloads (ui/exports.py): the lines above an exported table."""

STRINGS: dict[str, tuple[str, str]] = {
    "export.title": ("内容", "Contents"),
    "export.region": ("地区", "Region"),
    "export.period": ("时间段", "Period"),
    "export.made_at": ("导出时间", "Exported at"),
}
