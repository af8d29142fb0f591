"""Strings of 需关注 (what needs attention), 进步最快 (most improved) and 备注 (notes)."""

STRINGS: dict[str, tuple[str, str]] = {
    "brief.attention": ("需关注", "Needs attention"),
    "brief.attention.count": ("需关注（{n} 项）", "Needs attention ({n})"),
    "brief.attention.none": (
        "按当前规则，本时间段没有需要关注的事项。",
        "Nothing needs attention in this period under the current rules.",
    ),
    "brief.attention.rules": ("规则", "Rules"),
    "brief.attention.rules_intro": (
        "按偏离程度从大到小排列。规则与阈值：",
        "Ordered by how far off they are. The rules and their thresholds:",
    ),
    # A line of the panel is its own button (a tertiary button reads as a link): it opens the item.
    "brief.attention.line": (
        "**{what}** · {region} — {off} · 查看 ›",
        "**{what}** · {region} — {off} · Open ›",
    ),
    "brief.attention.more": ("另有 {n} 项", "{n} more"),
    "brief.attention.cannot_open": (
        "您的账户不能打开该页面。",
        "That page is not open to your account.",
    ),
    "brief.order": ("排序", "Order"),
    "brief.order.level": ("按水平", "By level"),
    "brief.order.change": ("进步最快", "Most improved"),
    "brief.change": ("较上年同期变化", "Change vs last year"),
    "brief.improved.caption": (
        "与上年同期（相同月份）相比的变化；数量类指标按每万居民计。",
        "Change against the same months a year earlier; counts per 10,000 residents.",
    ),
    "screen.attention": ("需关注", "Needs attention"),
    "screen.improved": ("{level}进步最快", "{level}: most improved"),
    "brief.notes": ("备注", "Notes"),
    "brief.notes.none": ("本时间段没有备注。", "No notes in this period."),
    "brief.notes.add": ("添加备注", "Add a note"),
    "brief.notes.day": ("日期", "Date"),
    "brief.notes.text": ("内容", "Text"),
    "brief.notes.about": ("关于", "About"),
    "brief.notes.about_none": ("（整体）", "(overall)"),
    "brief.notes.save": ("保存备注", "Save the note"),
    "brief.notes.cancel": ("取消", "Cancel"),
    "brief.notes.saved": ("备注已保存。", "The note is saved."),
    "brief.notes.edit": ("修改", "Edit"),
    "brief.notes.delete": ("删除", "Delete"),
    "brief.notes.deleted": ("备注已删除。", "The note is deleted."),
    "brief.notes.by": ("{author} · {day}", "{author} · {day}"),
    "brief.notes.on": ("{region}", "{region}"),
    "brief.notes.mark": ("备注", "Note"),
}
