"""The briefing as a Word document (python-docx): real headings (Title, Heading 1/2, so the
navigation pane and a table of contents work in Word and WPS), tables, the charts as pictures,
A4 pages numbered in the footer. Everything is text the office can edit."""

from __future__ import annotations

import io

from data_access.briefing.compose import Block, Chart, Heading, PageBreak, Para, Table
from data_access.briefing.text import say
from data_access.text import drop_refused

# Chinese offices' default faces (WPS and Word map them to what the machine has).
EAST_ASIA_BODY = "宋体"
EAST_ASIA_HEADING = "黑体"


def _east_asia(style, face: str) -> None:
    from docx.oxml.ns import qn

    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), face)


def _page_number(paragraph, lang: str) -> None:
    """ "第 n 页，共 m 页" with Word fields, so the numbers follow the edited document."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    before, _, rest = say(lang, "page", n="\0", total="\1").partition("\0")
    middle, _, after = rest.partition("\1")
    for text, field in ((before, "PAGE"), (middle, "NUMPAGES"), (after, None)):
        if text:
            paragraph.add_run(text)
        if field:
            simple = OxmlElement("w:fldSimple")
            simple.set(qn("w:instr"), field)
            run = OxmlElement("w:r")
            label = OxmlElement("w:t")
            label.text = "1"
            run.append(label)
            simple.append(run)
            paragraph._p.append(simple)


def write_docx(blocks: list[Block], lang: str, title: str) -> bytes:
    """The blocks as a .docx file (bytes)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    _east_asia(doc.styles["Normal"], EAST_ASIA_BODY)
    for name in ("Title", "Heading 1", "Heading 2"):
        _east_asia(doc.styles[name], EAST_ASIA_HEADING)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number(footer, lang)
    doc.core_properties.title = drop_refused(title)[:250]
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
    for block in blocks:
        if isinstance(block, Heading):
            doc.add_heading(drop_refused(block.text), block.level)
        elif isinstance(block, Para):
            run = doc.add_paragraph().add_run(drop_refused(block.text))
            if block.small:
                run.font.size = Pt(9)
        elif isinstance(block, Table):
            table = doc.add_table(rows=1 + len(block.rows), cols=len(block.columns))
            table.style = doc.styles["Table Grid"]
            for cell, text in zip(table.rows[0].cells, block.columns, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(drop_refused(text))
                run.bold = True
            for row, values in zip(table.rows[1:], block.rows, strict=True):
                for cell, text in zip(row.cells, values, strict=True):
                    cell.text = drop_refused(text)
            doc.add_paragraph()
        elif isinstance(block, PageBreak):
            doc.add_page_break()
        elif isinstance(block, Chart) and block.png:
            doc.add_picture(io.BytesIO(block.png), width=Cm(16))
            doc.add_paragraph(drop_refused(block.caption), style="Caption")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
