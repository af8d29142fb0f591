"""The briefing as an A4 PDF (fpdf2, no browser): the Chinese font embedded as a subset, so the
text is selectable and reads the same on a machine without the font; numbered pages; bookmarks
for the sections. The font is read from the machine's files (Debian's fonts-noto-cjk, or
fonts-wqy-zenhei), never fetched."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
import unicodedata
from functools import cache
from pathlib import Path

from data_access import settings
from data_access.briefing.compose import Block, Chart, Heading, PageBreak, Para, Table
from data_access.briefing.text import say
from data_access.files import replaced_whole
from data_access.messages import MessageError
from data_access.text import drop_refused

# Where Debian's packages put a CJK font (fonts-noto-cjk first, the WenQuanYi fonts after).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
# Letters the CJK font lacks (Arabic, Hebrew, Cyrillic in a user's text) come from this one.
FALLBACK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# A table cell shows at most this many characters (with "…"): a 10,000-character name would
# make one row taller than a page, which fpdf2 cannot split. Headings and paragraphs hold all.
CELL_CHARS = 60
MARGIN = 18  # mm
BODY_WIDTH = 210 - 2 * MARGIN


# The common characters' font: the CJK face cut to GB 2312 (6,763 hanzi, its symbols) and the
# Latin and punctuation blocks, with TrueType outlines, made once in the background into the
# user's cache folder. fpdf2 reads and subsets the whole 65,535-glyph CFF face for every PDF
# (most of the PDF's time, bench/briefing.py); this one is a ninth of it and simpler to cut. A
# character it lacks comes from the whole face, added only to a document that has one.
COMMON_VERSION = 1
COMMON_RANGES = ((0x20, 0x7F), (0xA0, 0x180), (0x2000, 0x2070), (0x2100, 0x2200), (0x2460, 0x2500),
                 (0x25A0, 0x2600), (0x3000, 0x3040), (0xFF00, 0xFFF0))  # fmt: skip


def _cache_dir() -> Path:
    chosen = settings.get(settings.CACHE_DIR)
    return Path(chosen) if chosen else Path.home() / ".cache" / "happy-community"


class FontMissing(MessageError):
    """No CJK font on the machine."""


@cache
def cjk_font() -> tuple[str, int]:
    """The first CJK font file found and, in a collection, the number of its Simplified
    Chinese face."""
    for name in CJK_FONTS:
        path = Path(name)
        if path.exists():
            return name, _sc_face(path)
    raise FontMissing(
        "找不到中文字体：请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）",
        "No Chinese font found: install fonts-noto-cjk (apt-get install fonts-noto-cjk)",
    )


@cache
def _sc_face(path: Path) -> int:
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for number, font in enumerate(collection.fonts):
            family = font["name"].getDebugName(1) or ""
            if family.endswith(" SC") or "zenhei" in family.lower().replace(" ", ""):
                return number
    return 0


def common_font_path(path: str, face: int) -> Path:
    """Where the common characters' font made from this face is kept (its name changes with the
    face's file, so a new font package makes a new one)."""
    stat = os.stat(path)
    key = f"{COMMON_VERSION}|{path}|{face}|{stat.st_size}|{stat.st_mtime_ns}"
    return _cache_dir() / f"cjk-common-{hashlib.sha256(key.encode()).hexdigest()[:16]}.ttf"


def _common_chars() -> list[int]:
    chars = {c for low, high in COMMON_RANGES for c in range(low, high)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return sorted(chars)


def make_common_font(path: str, face: int, out: Path) -> None:
    """Write the common characters' font of a CJK face to `out` (TrueType outlines, no layout
    tables: the PDF draws each character by itself)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(path, fontNumber=face, lazy=True)
    options = subset.Options(layout_features=[], name_IDs=["*"], notdef_outline=True)
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_common_chars())
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    font["glyf"], font["loca"] = glyf, newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements", "maxPoints", "maxContours", "maxCompositePoints",
                  "maxCompositeContours", "maxComponentDepth"):  # fmt: skip
        setattr(maxp, field, 1 if field == "maxZones" else 0)
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    font.sfntVersion = "\x00\x01\x00\x00"
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced_whole(out, private=False) as partial:
        font.save(str(partial))


@cache
def _start_common_font(path: str, face: int, out: str) -> None:
    # Once per process, and not while another process makes it (a lock younger than 10 min):
    # a niced child, so the 20-60 s of fontTools work never holds this server's GIL.
    lock = Path(out + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        if lock.exists() and time.time() - lock.stat().st_mtime < 600:
            return
        lock.touch()
        code = (
            "import os, sys; from pathlib import Path; os.nice(10);"
            "from data_access.briefing.pdf_file import make_common_font;"
            "make_common_font(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]));"
            "Path(sys.argv[3] + '.lock').unlink(missing_ok=True)"
        )
        subprocess.Popen(
            [sys.executable, "-c", code, path, str(face), out],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return  # no cache folder or no process: the whole face does the work


def pdf_font() -> tuple[str, int, bool]:
    """The font file, face number and whether it is the whole face: the common characters'
    font once it is made (and its making started in the background if not)."""
    path, face = cjk_font()
    common = common_font_path(path, face)
    if common.exists():
        return str(common), 0, False
    _start_common_font(path, face, str(common))
    return path, face, True


def _texts(blocks: list[Block]):
    for block in blocks:
        if isinstance(block, Heading | Para):
            yield block.text
        elif isinstance(block, Table):
            for values in (block.columns, *block.rows):
                yield from values
        elif isinstance(block, Chart):
            yield block.caption


def has_rtl(blocks: list[Block]) -> bool:
    """Whether any text is written right to left (Hebrew, Arabic in a name or note)."""
    return any(
        unicodedata.bidirectional(char) in ("R", "AL") for text in _texts(blocks) for char in text
    )


def _lacks(cmap, blocks: list[Block], *more: str) -> bool:
    return any(
        ord(char) not in cmap and not char.isspace()
        for text in (*_texts(blocks), *more)
        for char in text
    )


def _cell(text: str) -> str:
    text = drop_refused(text)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def write_pdf(blocks: list[Block], lang: str, title: str) -> bytes:
    """The blocks as an A4 .pdf file (bytes)."""
    from fpdf import FPDF, FontFace
    from fpdf.enums import TextEmphasis, WrapMode

    page_label = say(lang, "page", n="{n}", total="{nb}")

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.cell(0, 6, page_label.replace("{n}", str(self.page_no())), align="C")

    pdf = Document(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    font, face, whole = pdf_font()
    pdf.add_font("cjk", "", font, collection_font_number=face)
    fallbacks = []
    if not whole and _lacks(pdf.fonts["cjk"].cmap, blocks, title, page_label):
        full, full_face = cjk_font()
        pdf.add_font("cjk-all", "", full, collection_font_number=full_face)
        fallbacks.append("cjk-all")
    if Path(FALLBACK_FONT).exists():
        pdf.add_font("latin", "", FALLBACK_FONT)
        fallbacks.append("latin")
    pdf.set_fallback_fonts(fallbacks)
    if has_rtl(blocks):
        # Right-to-left text is put in reading order by the shaping engine (uharfbuzz), which
        # triples the cost of every line: only for a document that has some.
        pdf.set_text_shaping(True)
    pdf.set_title(drop_refused(title)[:250])
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_creator("幸福社区看板 / Happy Community dashboard")
    # Chinese has no spaces to break at: break anywhere; English breaks between words (a word
    # longer than the line is still split).
    wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD
    pdf.add_page()
    for block in blocks:
        if isinstance(block, Heading):
            text = drop_refused(block.text)
            if block.level == 0:
                pdf.set_font("cjk", size=22)
                pdf.ln(40)
                pdf.multi_cell(0, 12, text, align="C", new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
                pdf.ln(10)
                continue
            # A heading is not left alone at the foot of a page.
            if pdf.get_y() > (200 if block.level == 1 else 235):
                pdf.add_page()
            pdf.start_section(text[:120], level=block.level - 1)
            pdf.set_font("cjk", size=16 if block.level == 1 else 13)
            pdf.ln(4)
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
            pdf.ln(1)
        elif isinstance(block, Para):
            pdf.set_font("cjk", size=9 if block.small else 11)
            pdf.multi_cell(
                0,
                5 if block.small else 6.5,
                drop_refused(block.text),
                new_x="LMARGIN",
                new_y="NEXT",
                wrapmode=wrap,
            )
            pdf.ln(2)
        elif isinstance(block, Table):
            pdf.set_font("cjk", size=8 if len(block.columns) > 6 else 9.5)
            with pdf.table(
                line_height=5,
                first_row_as_headings=True,
                wrapmode=wrap,
                text_align="LEFT",
                col_widths=_widths(block),
                # One face only: reading and subsetting a CJK font is most of the PDF's cost
                # (bench/briefing.py), so headings differ by size and shade, not a bold face.
                headings_style=FontFace(emphasis=TextEmphasis.NONE, fill_color=(228, 228, 228)),
                width=pdf.epw,
            ) as table:
                for values in (block.columns, *block.rows):
                    row = table.row()
                    for text in values:
                        row.cell(_cell(text))
            pdf.ln(3)
        elif isinstance(block, PageBreak):
            pdf.add_page()
        elif isinstance(block, Chart) and block.png:
            _image(pdf, block.png)
            pdf.set_font("cjk", size=9)
            pdf.multi_cell(
                0,
                5,
                drop_refused(block.caption),
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
                wrapmode=wrap,
            )
            pdf.ln(3)
    return bytes(pdf.output())


def _widths(table: Table) -> tuple[float, ...]:
    # Columns share the line by how long their texts are (short codes and scores stay narrow).
    return tuple(
        min(max(len(_cell(values[i])) for values in (table.columns, *table.rows)), 24) + 3
        for i in range(len(table.columns))
    )


def _image(pdf, png: bytes) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        width, height = img.size
    w = BODY_WIDTH * 0.9
    h = w * height / width
    room = pdf.h - 2 * MARGIN - 10
    if h > room:  # taller than a page: shrink to fit
        w, h = w * room / h, room
    if pdf.get_y() + h > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(png), x=(pdf.w - w) / 2, w=w, h=h)
