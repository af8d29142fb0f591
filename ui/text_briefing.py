"""Strings of the Overview's briefing button (一键生成汇报材料); the document's own words are in
data_access/briefing/text.py (the command line writes it too)."""

STRINGS: dict[str, tuple[str, str]] = {
    "briefing.title": ("汇报材料", "Briefing document"),
    "briefing.make": ("一键生成汇报材料", "Make the briefing"),
    "briefing.help": (
        "生成{region} {period}的汇报材料（Word 和 PDF），内容与看板数字一致。",
        "Makes the briefing of {region}, {period} (Word and PDF), with the dashboard's figures.",
    ),
    "briefing.building": ("正在生成汇报材料…", "Making the briefing…"),
    "briefing.ready": ("汇报材料已生成", "The briefing is ready"),
    "briefing.failed": ("汇报材料未能生成", "The briefing could not be made"),
    "briefing.docx": ("下载 Word（.docx）", "Download Word (.docx)"),
    "briefing.pdf": ("下载 PDF", "Download PDF"),
}
