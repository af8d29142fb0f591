"""Strings of downloads (ui/exports.py): the lines above an exported table."""

STRINGS: dict[str, tuple[str, str]] = {
    "export.title": ("内容", "Contents"),
    "export.region": ("地区", "Region"),
    "export.period": ("时间段", "Period"),
    "export.made_at": ("导出时间", "Exported at"),
    "export.dates.all": ("全部日期", "all dates"),
    "export.dates.from": ("{start} 起", "from {start}"),
    "export.dates.to": ("至 {end}", "to {end}"),
    "export.dates.range": ("{start} 至 {end}", "{start} to {end}"),
}
