"""Building a briefing: read the figures, lay them out, draw the charts, write .docx and/or
.pdf, reporting progress as it goes (the Overview shows it; the command line does not)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy.engine import Engine

from data_access.briefing.compose import charts_of, compose, period_text
from data_access.briefing.content import Briefing, get_briefing
from data_access.briefing.images import chart_png
from data_access.briefing.text import LANGS, say
from data_access.db import read_session
from data_access.messages import Message, MessageError
from data_access.periods import Period
from data_access.regions import get_region

FORMATS = ("docx", "pdf")
# progress(done, message): done from 0 to 1
Progress = Callable[[float, Message], None]


class BriefingError(MessageError):
    """A briefing that cannot be built (no such region, an unknown format or language)."""


STEPS = {
    "read": Message("正在读取数据…", "Reading the figures…"),
    "charts": Message("正在绘制图表（{n}/{total}）…", "Drawing the charts ({n}/{total})…"),
    "docx": Message("正在生成 Word 文档…", "Writing the Word document…"),
    "pdf": Message("正在生成 PDF…", "Writing the PDF…"),
    "done": Message("已完成", "Done"),
}


def _step(key: str, **values) -> Message:
    m = STEPS[key]
    return Message(m.zh.format(**values), m.en.format(**values))


def _quiet(done: float, message: Message) -> None:
    pass


def file_name(region_code: str, period: Period, lang: str, fmt: str) -> str:
    """A download's name: 汇报材料-<code>-<period>.<fmt>."""
    stem = "汇报材料" if lang == "zh" else "briefing"
    return f"{stem}-{region_code}-{period}.{fmt}"


def read_briefing(
    engine: Engine, region_code: str, period: Period, *, today: date, viewer: int | None = None
) -> Briefing:
    """The briefing's figures for a region (by code) and period, as the viewer may see them."""
    with read_session(engine) as session:
        region = get_region(session, region_code)
        if region is None:
            raise BriefingError(f"找不到地区 {region_code}", f"No such region: {region_code}")
        return get_briefing(session, region, period, today=today, viewer=viewer)


def write_briefing(
    briefing: Briefing,
    formats: Iterable[str],
    lang: str,
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """The briefing written in each format ('docx', 'pdf'), its charts drawn once."""
    formats = tuple(formats)
    progress = progress or _quiet
    if lang not in LANGS:
        raise BriefingError(f"未知语言 {lang}（zh 或 en）", f"Unknown language {lang} (zh or en)")
    for fmt in formats:
        if fmt not in FORMATS:
            raise BriefingError(f"未知格式 {fmt}（docx 或 pdf）", f"Unknown format {fmt}")
    blocks = compose(lang, briefing)
    charts = charts_of(blocks)
    for n, chart in enumerate(charts, 1):
        progress(0.1 + 0.6 * (n - 1) / max(len(charts), 1), _step("charts", n=n, total=len(charts)))
        chart.png = chart_png(chart.spec, chart.rows)
    title = " · ".join(
        (say(lang, "title"), briefing.region.name(lang), period_text(lang, briefing.period))
    )
    out: dict[str, bytes] = {}
    for i, fmt in enumerate(formats):
        progress(0.7 + 0.3 * i / len(formats), _step(fmt))
        if fmt == "docx":
            from data_access.briefing.docx_file import write_docx

            out[fmt] = write_docx(blocks, lang, title)
        else:
            from data_access.briefing.pdf_file import write_pdf

            out[fmt] = write_pdf(blocks, lang, title)
    progress(1.0, _step("done"))
    return out


def build_briefing(
    engine: Engine,
    region_code: str,
    period: Period,
    formats: Iterable[str],
    lang: str,
    *,
    today: date,
    viewer: int | None = None,
    progress: Progress | None = None,
) -> dict[str, bytes]:
    """Read and write a region's briefing for a period in the formats asked, in one language."""
    (progress or _quiet)(0.0, _step("read"))
    briefing = read_briefing(engine, region_code, period, today=today, viewer=viewer)
    return write_briefing(briefing, formats, lang, progress)
