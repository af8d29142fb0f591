"""The briefing document (汇报材料, issue 16): the .docx read back with python-docx (headings,
numbers equal to `python -m data_access indicators`, pictures), the .pdf rendered to PNG and read
back as text with Debian's poppler-utils (pdftoppm, pdftotext, pdffonts: the pages are kept in
test-artifacts/briefing/ to look at), hostile names as text, the command line's errors, and the
Overview's button offering both downloads."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from data_access.__main__ import main
from data_access.briefing.build import read_briefing, write_briefing
from data_access.briefing.compose import Chart, compose
from data_access.db import read_session
from data_access.periods import parse_period
from data_access.regions import get_city, list_children
from data_access.registry import INDICATORS, PILLARS
from data_access.scoring import get_index
from data_access.store import open_store

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts" / "briefing"
PERIOD = "2025Q3"
TODAY = date(2026, 1, 5)
# poppler-utils (pdftoppm, pdftotext, pdffonts, pdfinfo) come from scripts/install-test-deps.sh;
# without them these tests fail rather than skip.

HOSTILE_NAMES = {
    "script": "<script>alert('x')</script>区",
    "formula": "=cmd|'/c calc'!A0",
    "long": "长" * 10_000,
    "rtl": "\u202eשלום مرحبا社区",
}


@pytest.fixture(scope="module")
def district(sqlite_url) -> dict:
    """A district of the demo city with its figures as the dashboard computes them."""
    engine = open_store(sqlite_url)
    period = parse_period(PERIOD)
    with read_session(engine) as session:
        city = get_city(session)
        region = list_children(session, city.id)[2]
        index = get_index(session, region, city, period)
    engine.dispose()
    return {"code": region.code, "zh": region.name_zh, "en": region.name_en, "index": index}


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _build(capsys, url: str, code: str, fmt: str, lang: str, out: Path) -> None:
    rc, stdout, err = _cli(
        capsys,
        "briefing",
        "--region",
        code,
        "--period",
        PERIOD,
        "--format",
        fmt,
        "--lang",
        lang,
        "--out",
        str(out),
        "--db",
        url,
    )
    assert rc == 0, err
    assert str(out) in stdout


def _indicators(capsys, url: str, code: str) -> dict[str, float | None]:
    rc, out, err = _cli(
        capsys,
        "indicators",
        "--level",
        "district",
        "--region",
        code,
        "--period",
        PERIOD,
        "--db",
        url,
    )
    assert rc == 0, err
    return json.loads(out)["indicators"]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _set_clock(monkeypatch) -> None:
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, 4, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_headings_numbers_and_pictures_equal_the_dashboard(
    sqlite_url, district, capsys, tmp_path, monkeypatch, lang
):
    from docx import Document

    from data_access.attention import attention_items

    _set_clock(monkeypatch)

    out = tmp_path / f"briefing-{lang}.docx"
    _build(capsys, sqlite_url, district["code"], "docx", lang, out)
    doc = Document(str(out))

    headings = [
        (p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith(("Head", "Title"))
    ]
    assert headings[0][0] == "Title"
    pillar_names = [p.name_zh if lang == "zh" else p.name_en for p in PILLARS]
    assert all(("Heading 2", name) in headings for name in pillar_names)
    first = "一、幸福指数与五个方面" if lang == "zh" else "1. The index and the five pillars"
    assert ("Heading 1", first) in headings
    titles = [text for _, text in headings]
    for zh, en in (("需关注", "Needs attention"), ("进步最快", "Most improved"), ("备注", "Notes")):
        assert any(t.endswith(zh if lang == "zh" else en) for t in titles)

    # The scores table: the composite and each pillar as the Overview shows them (one decimal).
    index = district["index"]
    scores = doc.tables[0]
    assert _number(scores.rows[1].cells[1].text) == round(index.composite, 1)
    for row, pillar in zip(scores.rows[2:], PILLARS, strict=True):
        assert _number(row.cells[1].text) == round(index.pillar(pillar.key).score, 1)
    summary = next(p.text for p in doc.paragraphs if f"{index.composite:.1f}" in p.text)
    assert district[lang] in summary

    # Every headline indicator's value equals the command line's `indicators` (rounded to 2).
    values = _indicators(capsys, sqlite_url, district["code"])
    by_name = {(i.name_zh if lang == "zh" else i.name_en): i for i in INDICATORS}
    checked = 0
    for table in doc.tables[1:]:
        header = [c.text for c in table.rows[0].cells]
        if header[2] not in ("数值", "Value"):
            continue
        for row in table.rows[1:]:
            cells = [c.text for c in row.cells]
            ind = by_name[cells[0]]
            expected = values[ind.key]
            if expected is None:
                assert cells[2] == "—"
            else:
                assert _number(cells[2]) == round(expected, 2), ind.key
            checked += 1
    assert checked == sum(1 for i in INDICATORS if i.headline)

    # The attention list is the Overview's, for the same day, most off first.
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        items = attention_items(session, district["code"], parse_period(PERIOD), today=TODAY)
    engine.dispose()
    attention = next(t for t in doc.tables if t.rows[0].cells[0].text in ("事项", "What"))
    shown = [tuple(c.text for c in row.cells) for row in attention.rows[1:]]
    assert shown == [
        (i.what.in_(lang), i.region_name.in_(lang), i.off_text.in_(lang)) for i in items[:20]
    ]

    # One picture per chart of the layout, each a PNG.
    engine = open_store(sqlite_url)
    briefing = read_briefing(engine, district["code"], parse_period(PERIOD), today=TODAY)
    engine.dispose()
    charts = [b for b in compose(lang, briefing) if isinstance(b, Chart)]
    assert len(doc.inline_shapes) == len(charts) >= 3
    with zipfile.ZipFile(out) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert media and all(z.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in media)


def test_pdf_pages_text_and_embedded_font(sqlite_url, district, capsys, tmp_path):
    out = tmp_path / "briefing.pdf"
    _build(capsys, sqlite_url, district["code"], "pdf", "zh", out)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("district-*.png"):
        old.unlink()
    shutil.copy(out, ARTIFACTS / "district.pdf")
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(out), str(ARTIFACTS / "district")], check=True
    )
    pages = sorted(ARTIFACTS.glob("district-*.png"))
    assert len(pages) >= 3

    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert district["zh"] in text
    assert f"{district['index'].composite:.1f}" in text
    assert f"第 1 页，共 {len(pages)} 页" in text
    assert "一、幸福指数与五个方面" in text

    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert "595.28 x 841.89" in info  # A4
    fonts = subprocess.run(
        ["pdffonts", str(out)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # every font embedded
    assert any("CJK" in line for line in fonts)


def _renamed(sqlite_url, district, region_name: str, kid_names: list[str]):
    """The district's briefing with its name, and its first children's, replaced."""
    engine = open_store(sqlite_url)
    briefing = read_briefing(engine, district["code"], parse_period(PERIOD), today=TODAY)
    engine.dispose()
    region = dataclasses.replace(briefing.region, name_zh=region_name, name_en=region_name)
    kids = [
        dataclasses.replace(k, region=dataclasses.replace(k.region, name_zh=name))
        for k, name in zip(briefing.kids, kid_names, strict=False)
    ]
    return dataclasses.replace(briefing, region=region, kids=kids + briefing.kids[len(kids) :])


def _note(text: str):
    from data_access.notes import NoteInfo

    return NoteInfo(
        1,
        "210104",
        "大东区",
        "Dadong",
        "district",
        date(2025, 8, 1),
        None,
        None,
        text,
        1,
        "<b>作者</b>",
        datetime(2025, 8, 1, tzinfo=UTC),
        None,
        1,
    )


def _pdf_text(tmp_path: Path, data: bytes) -> str:
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(data)
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _shown(name: str) -> str:
    return name.replace("\u202e", "")  # a bidi override would reorder what follows it


def test_hostile_names_are_text_in_both_formats(sqlite_url, district, tmp_path):
    from docx import Document

    kids = [HOSTILE_NAMES[k] for k in ("formula", "rtl", "long")]
    briefing = _renamed(sqlite_url, district, HOSTILE_NAMES["script"], kids)
    briefing = dataclasses.replace(
        briefing, notes=[_note(HOSTILE_NAMES["formula"]), _note(HOSTILE_NAMES["long"])]
    )
    files = write_briefing(briefing, ("docx", "pdf"), "zh")

    doc = Document(io.BytesIO(files["docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    assert any(HOSTILE_NAMES["script"] in p for p in paragraphs)  # cover and summary
    cells = {c.text for t in doc.tables for r in t.rows for c in r.cells}
    assert {_shown(name) for name in kids} <= cells  # the ranking table, in full
    with zipfile.ZipFile(io.BytesIO(files["docx"])) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    for note in ("formula", "long"):  # the notes, in full
        assert any(p.startswith("2025-08-01 · ") and HOSTILE_NAMES[note] in p for p in paragraphs)
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    assert "\u202e" not in xml

    text = _pdf_text(tmp_path, files["pdf"]).replace("\n", "")
    assert "<script>alert('x')</script>区" in text
    assert "=cmd|'/c calc'!A0" in text
    assert "שלום" in text and "مرحبا" in text  # in reading order
    assert "…" in text  # a table cell shows the start of a long name, then …
    assert text.count("长") >= 10_000  # the note, in full
    assert text.count("\f") < 20


def test_charts_name_a_long_region_in_a_few_characters(sqlite_url, district):
    from data_access.briefing.compose import CHART_LABEL

    # Every label of a chart is drawn whole: a 10,000-character name would make a picture wider
    # than 100,000 pixels (minutes to draw, nothing legible at 16 cm).
    briefing = _renamed(sqlite_url, district, HOSTILE_NAMES["long"], [HOSTILE_NAMES["long"]])
    charts = [b for b in compose("zh", briefing) if isinstance(b, Chart)]
    labels = {v for c in charts for row in c.rows for v in row.values() if isinstance(v, str)}
    assert "长" * (CHART_LABEL - 1) + "…" in labels
    assert max(len(label) for label in labels) == CHART_LABEL


def test_a_10000_character_name_wraps_on_the_cover(sqlite_url, district, tmp_path, monkeypatch):
    from docx import Document
    from PIL import Image

    from data_access.briefing import build

    # The charts are not what this test is about: a blank picture stands in for each.
    blank = io.BytesIO()
    Image.new("RGB", (620, 300), "white").save(blank, "PNG")
    monkeypatch.setattr(build, "chart_png", lambda spec, rows: blank.getvalue())
    briefing = _renamed(sqlite_url, district, HOSTILE_NAMES["long"], [])
    files = write_briefing(briefing, ("docx", "pdf"), "en")

    doc = Document(io.BytesIO(files["docx"]))
    assert any(HOSTILE_NAMES["long"] in p.text for p in doc.paragraphs)
    text = _pdf_text(tmp_path, files["pdf"])
    assert text.replace("\n", "").count("长") >= 2 * 10_000  # cover and summary, never cut
    assert text.count("\f") < 60


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--region", "999999", "--period", PERIOD], "找不到地区 999999"),
        (["--region", "210104", "--period", "2025Q5"], "无效的时间段"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(sqlite_url, capsys, tmp_path, args, expected):
    out = tmp_path / "b.docx"
    rc, stdout, err = _cli(
        capsys, "briefing", *args, "--format", "docx", "--out", str(out), "--db", sqlite_url
    )
    assert rc == 2
    assert expected in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no part-file left behind


def test_cli_unwritable_out_is_one_line(sqlite_url, district, capsys, tmp_path, monkeypatch):
    def not_built(*args, **kwargs):
        raise AssertionError("the document was built for a place it cannot be written to")

    monkeypatch.setattr("data_access.briefing.build_briefing", not_built)  # said before building
    out = tmp_path / "missing-folder" / "b.pdf"
    rc, _, err = _cli(
        capsys,
        "briefing",
        "--region",
        district["code"],
        "--period",
        PERIOD,
        "--format",
        "pdf",
        "--out",
        str(out),
        "--db",
        sqlite_url,
    )
    assert rc == 2
    assert "无法写入" in err and len(err.strip().splitlines()) == 1


def _briefing_downloads(at) -> dict:
    return {d.key: d for d in at.get("download_button") if d.key.startswith("briefing_")}


def test_overview_button_offers_both_downloads(app_env, district):
    from tests.auth_helpers import app_as

    at = app_as(app_env, "admin", "zh", None, region=district["code"], period=PERIOD)
    assert not at.exception
    assert not _briefing_downloads(at)
    button = next(b for b in at.button if b.key == "briefing_make")
    button.click().run(timeout=300)
    assert not at.exception
    assert not at.error
    downloads = _briefing_downloads(at)
    assert sorted(downloads) == ["briefing_docx", "briefing_pdf"]
    assert downloads["briefing_docx"].label == "下载 Word（.docx）"
    assert downloads["briefing_pdf"].label == "下载 PDF"
    (status,) = at.get("status")  # the progress was shown in the page, and is complete
    assert status.label == "汇报材料已生成"
    assert status.proto.state == status.proto.COMPLETE


def test_a_chart_is_drawn_once_for_what_it_shows(monkeypatch):
    import vl_convert

    from data_access.briefing import images

    drawn = []
    monkeypatch.setattr(vl_convert, "vegalite_to_png", lambda spec, scale: drawn.append(spec))
    images._png.cache_clear()
    spec = {"mark": "bar", "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    images.chart_png(spec, [{"a": 1}])
    images.chart_png(dict(spec), [{"a": 1}])  # equal, not the same objects
    assert len(drawn) == 1
    images.chart_png(spec, [{"a": 2}])  # another figure is another picture
    assert len(drawn) == 2
    images._png.cache_clear()


def test_pdf_embeds_the_common_characters_cut_and_the_whole_face_for_the_rest(
    tmp_path, monkeypatch
):
    from data_access.briefing import pdf_file
    from data_access.briefing.compose import Heading, Para

    monkeypatch.setenv("HAPPY_CACHE_DIR", str(tmp_path / "happy-community"))
    # A small cut (the real one is GB 2312) keeps the test quick; 鑫淼 are not in it.
    cut = "汇报材料第页共，"
    monkeypatch.setattr(pdf_file, "_common_chars", lambda: [*range(0x20, 0x7F), *map(ord, cut)])
    path, face = pdf_file.cjk_font()
    out = pdf_file.common_font_path(path, face)
    assert out.parent == tmp_path / "happy-community"
    pdf_file.make_common_font(path, face, out)
    assert pdf_file.pdf_font() == (str(out), 0, False)

    def fonts(data: bytes) -> list[str]:
        pdf = tmp_path / "fonts.pdf"
        pdf.write_bytes(data)
        lines = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True)
        return lines.stdout.splitlines()[2:]

    common = pdf_file.write_pdf([Heading("汇报材料", 0), Para("材料 2025")], "zh", "t")
    assert "材料 2025" in _pdf_text(tmp_path, common)
    assert len(fonts(common)) == 1
    rare = pdf_file.write_pdf([Heading("汇报材料", 0), Para("材料 2025 鑫淼")], "zh", "t")
    assert "材料 2025 鑫淼" in _pdf_text(tmp_path, rare)
    found = fonts(rare)
    assert len(found) == 2 and all("CJK" in f and f.split()[-5] == "yes" for f in found)
