"""Strings of the monthly report (月报): the form, the review queue, the import, and the
completeness and "as of" marks on the leaders' pages."""

STRINGS: dict[str, tuple[str, str]] = {
    "report.nav": ("月报", "Monthly report"),
    "report.page.form": ("月报填报", "Monthly report"),
    "report.page.review": ("月报审核", "Report review"),
    "report.page.import": ("月报导入", "Report import"),
    "report.month": ("月份", "Month"),
    "report.region_line": ("{region} · {month} · {status}", "{region} · {month} · {status}"),
    "report.status.not_started": ("未填报", "Not started"),
    "report.status.draft": ("草稿", "Draft"),
    "report.status.submitted": ("已提交", "Submitted"),
    "report.status.returned": ("已退回", "Returned"),
    "report.status.approved": ("已通过", "Approved"),
    "report.intro": (
        "每项已预先填入上月的数值（标有“上月”），请只改有变化的项。可随时保存草稿，填好后提交审核。",
        "Each field holds last month's value (marked “last month”); change only what changed. "
        "Save a draft at any time and submit when done.",
    ),
    "report.field_label": ("{name}（{unit}）", "{name} ({unit})"),
    "report.from_last_month": ("上月 {month} 的数值：{value}", "Last month ({month}): {value}"),
    "report.no_last_month": ("上月没有数值，请填写。", "No value last month: please fill it in."),
    "report.prefilled_badge": ("上月", "last month"),
    "report.save_draft": ("保存草稿", "Save draft"),
    "report.submit": ("提交审核", "Submit for review"),
    "report.draft_saved": ("草稿已保存（版本 {version}）。", "Draft saved (version {version})."),
    "report.submitted_done": (
        "已提交审核（版本 {version}）。",
        "Submitted for review (version {version}).",
    ),
    "report.has_errors": (
        "有 {n} 处需要修改，见下方红字。未保存任何内容，已填写的内容都保留着。",
        "{n} field(s) need attention (in red below). Nothing was saved; everything you typed "
        "is kept.",
    ),
    "report.warnings": (
        "以下数值与上月相比变化较大，请核对（这只是提醒，已照常保存）：",
        "These values moved a lot against last month; please check them (a reminder only, "
        "they were saved as usual):",
    ),
    "report.store_error": (
        "暂时无法保存：{message}。已填写的内容都保留着，请稍后再试。",
        "Could not save just now: {message}. Everything you typed is kept; try again shortly.",
    ),
    "report.refused": ("不能保存：{message}", "Cannot save: {message}"),
    "report.conflict": (
        "在您填写期间，这份报表已被保存或审核（现为版本 {version}），您的内容尚未保存。"
        "已载入最新的报表，请核对后再保存。",
        "This report was saved or reviewed while you were filling it in (now version "
        "{version}); your input was not saved. The latest report is loaded: check it and save "
        "again.",
    ),
    "report.returned": (
        "上级退回了本月报表，意见：{comment}",
        "The report was returned: {comment}",
    ),
    "report.approved_locked": (
        "本月报表已通过审核，已锁定。如需修改，请联系管理员重新打开。",
        "This month's report is approved and locked. To change it, ask an administrator to "
        "reopen it.",
    ),
    "report.submitted_waiting": (
        "本月报表已提交，等待上级审核，审核前不能修改；如需修改，请联系审核人退回。",
        "This month's report is submitted and awaits review; it cannot be changed meanwhile. "
        "To change it, ask the reviewer to return it.",
    ),
    "report.nothing_to_report": (
        "{region} 没有需要按月填报的指标。",
        "{region} has no figures to report monthly.",
    ),
    "report.leader_no_write": (
        "领导账户只能查看，不能填报月报。",
        "Leader accounts can view but not fill in monthly reports.",
    ),
    "report.pillar_count": ("{pillar}（{n} 项）", "{pillar} ({n})"),
    # Review queue
    "report.review.intro": (
        "下级单位本月报表的状态（黄色为较上月有变化的）。在下方选择单位查看变化并通过或退回，"
        "也可一次通过全部已提交的报表。",
        "The status of this month's reports below you (yellow: changed against last month). "
        "Choose a region below to see its changes and approve or return it, or approve every "
        "submitted report at once.",
    ),
    "report.review.counts": (
        "共 {total} 份：未填报 {not_started}，草稿 {draft}，已提交 {submitted}，已退回 {returned}，"
        "已通过 {approved}",
        "{total} in all: {not_started} not started, {draft} draft, {submitted} submitted, "
        "{returned} returned, {approved} approved",
    ),
    "report.review.col.region": ("单位", "Region"),
    "report.review.col.code": ("代码", "Code"),
    "report.review.col.status": ("状态", "Status"),
    "report.review.col.changes": ("较上月变化项", "Changed vs last month"),
    "report.review.col.submitted_at": ("提交时间", "Submitted"),
    "report.review.col.comment": ("退回意见", "Return comment"),
    "report.review.pick": ("审核哪个单位的报表", "Review the report of"),
    "report.review.pick_placeholder": ("选择单位", "Choose a region"),
    "report.review.all": ("全部", "All"),
    "report.review.approve_all": (
        "全部通过（{n} 份已提交）",
        "Approve all submitted ({n})",
    ),
    "report.review.none_submitted": ("没有等待审核的报表。", "No report awaits review."),
    "report.review.approved_n": ("已通过 {n} 份报表。", "{n} report(s) approved."),
    "report.review.approving": (
        "正在通过：已通过 {done} / {n} 份报表……",
        "Approving: {done} of {n} reports approved…",
    ),
    "report.review.approved_part": (
        "已通过 {n} 份报表，其余未能通过：{error} 请再点“全部通过”继续。",
        "{n} report(s) approved; the rest were not: {error} Click “Approve all” again to go on.",
    ),
    "report.review.detail": ("{region} · {month} · {status}", "{region} · {month} · {status}"),
    "report.review.col.indicator": ("指标", "Indicator"),
    "report.review.col.previous": ("上月", "Last month"),
    "report.review.col.value": ("本月", "This month"),
    "report.review.col.change": ("变化", "Change"),
    "report.review.approve": ("通过", "Approve"),
    "report.review.return": ("退回", "Return"),
    "report.review.comment": ("退回意见（必填）", "Why it is returned (required)"),
    "report.review.comment_required": (
        "请填写退回意见，说明需要修改什么。",
        "Write a comment saying what needs to change.",
    ),
    "report.review.returned_one": (
        "已退回 {region} 的报表。",
        "The report of {region} was returned.",
    ),
    "report.review.not_submitted": (
        "这份报表还没有提交，不能审核。",
        "This report has not been submitted, so it cannot be reviewed yet.",
    ),
    "report.review.reopen": ("重新打开", "Reopen"),
    "report.review.reopen_reason": ("重新打开的原因（必填）", "Why it is reopened (required)"),
    "report.review.reason_required": (
        "请填写重新打开的原因。",
        "Write the reason for reopening it.",
    ),
    "report.review.reopened": (
        "已重新打开 {region} 的报表。",
        "The report of {region} was reopened.",
    ),
    "report.review.nothing": (
        "您的范围内没有需要审核的月报。",
        "There are no monthly reports for you to review.",
    ),
    "report.review.no_report": ("还没有填报。", "Nothing reported yet."),
    "report.review.export": ("月报审核", "report-review"),
    # Import
    "report.import.intro": (
        "下载本月的模板（列出您范围内的各单位和需要填报的指标，已填入上月数值），修改后上传。"
        "每一行都会先检查；有任何错误时一行也不导入。",
        "Download this month's template (your regions and the figures to report, with last "
        "month's values), change it and upload it. Every row is checked first; if any row has "
        "an error, nothing is imported.",
    ),
    "report.import.template_xlsx": ("下载本月模板（Excel）", "This month's template (Excel)"),
    "report.import.file_name": ("月报模板-{region}-{month}", "report-template-{region}-{month}"),
    "report.import.upload": (
        "上传填好的表格（Excel 或 CSV，UTF-8 或 GBK）",
        "Upload the filled sheet (Excel or CSV, UTF-8 or GBK)",
    ),
    "report.import.submit": ("导入后直接提交审核", "Submit the imported reports for review"),
    "report.import.summary": (
        "共 {rows} 行数据，{ok} 行无误，{bad} 行有错误。",
        "{rows} data rows: {ok} valid, {bad} with errors.",
    ),
    "report.import.errors": (
        "请改正以下错误后重新上传（一行也未导入）：",
        "Correct these errors and upload again (nothing was imported):",
    ),
    "report.import.go_file": ("检查并导入", "Check and import"),
    "report.import.done": ("已导入 {n} 个单位的月报。", "Reports of {n} regions imported."),
    "report.import.refused": ("无法导入：{message}", "Cannot import: {message}"),
    # Leaders' pages
    "report.completeness.title": ("月报完成情况", "Monthly reports"),
    "report.completeness.metric": (
        "{approved} / {total} 个{level}已通过（{month}）",
        "{approved} / {total} {level} approved ({month})",
    ),
    "report.completeness.metric_label": (
        "已通过的{level}月报（{month}）",
        "Reports of {level} approved ({month})",
    ),
    "report.completeness.late": (
        "尚未通过的{level}（{n} 个）",
        "Not yet approved: {n} {level}",
    ),
    "report.completeness.all_done": (
        "所有{level}的月报都已通过。",
        "Every report of the {level} is approved.",
    ),
    "report.completeness.col.region": ("单位", "Region"),
    "report.completeness.col.code": ("代码", "Code"),
    "report.completeness.col.street": ("所属街道", "Street"),
    "report.completeness.col.status": ("状态", "Status"),
    "report.completeness.export": ("月报未完成", "reports-late"),
    "report.as_of": ("截至 {month}", "as of {month}"),
    "report.as_of_older": (
        "部分数据早于 {period}（最早 {oldest}）",
        "some parts older than {period} (oldest {oldest})",
    ),
    "report.never_reported": ("未填报", "never reported"),
    "report.what_if": (
        "计入已提交、尚未审核的数值",
        "Count submitted values not yet approved",
    ),
    "report.what_if.help": (
        "看板只计入已通过审核的数值。打开此开关可查看如果计入已提交的数值，哪些指标会变化。",
        "The dashboards count approved values only. Switch this on to see which figures would "
        "change if submitted values were counted.",
    ),
    "report.what_if.none": (
        "计入已提交的数值不会改变任何指标。",
        "Counting the submitted values would change no figure.",
    ),
    "report.what_if.col.indicator": ("指标", "Indicator"),
    "report.what_if.col.approved": ("已通过", "Approved only"),
    "report.what_if.col.with_submitted": ("计入已提交", "With submitted"),
    "report.what_if.col.change": ("变化", "Change"),
    "report.what_if.export": ("计入已提交的变化", "with-submitted"),
    "report.col.as_of": ("截至", "As of"),
    "report.levels.community": ("社区", "communities"),
    "report.levels.street": ("街道", "streets"),
    "report.levels.district": ("区县", "districts"),
    "report.levels.city": ("市", "city"),
}
