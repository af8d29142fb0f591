"""A briefing's figures laid out as a list of blocks (headings, paragraphs, tables, charts) in
one language; the .docx and .pdf writers draw the same blocks. The charts are the pages' specs
(chart_specs: the stored specs of the Altair builders) with the briefing's rows; every
sentence is filled from figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from data_access.briefing.content import Briefing
from data_access.briefing.text import (
    indicator_name,
    pillar_name,
    pillar_short,
    say,
    unit,
)
from data_access.periods import Period, month_label
from data_access.registry import INDICATORS_BY_KEY, PILLARS, Indicator, activity_types_of
from data_access.scoring import IndexResult

# How many late reports, attention lines and most improved regions a briefing lists (the rest
# are counted or left to the dashboard).
LATE_LISTED = 30
ATTENTION_LISTED = 20
IMPROVED_LISTED = 10
# A chart names a region in at most this many characters (with "…"): its axes leave every label
# whole, so a 10,000-character name would make an image 150,000 pixels wide that takes minutes to
# draw and shows nothing at 16 cm. The tables beside it hold the whole name.
CHART_LABEL = 30
ZH_NUMERALS = "一二三四五六七八九十"


def _specs():
    """The pages' chart specs (chart_specs.specs: the Altair builders' output stored as JSON, so
    a build does not import Altair): the one place the briefing reaches them."""
    from chart_specs import specs

    return specs


def _label(text: str) -> str:
    return text if len(text) <= CHART_LABEL else text[: CHART_LABEL - 1] + "…"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 0 the title, 1 a section, 2 a subsection


@dataclass(frozen=True)
class Para:
    text: str
    small: bool = False


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    key: str  # what the table is ("scores", "indicators:<pillar>", "ranking", "late"), for tests


@dataclass
class Chart:
    spec: dict[str, Any]  # shared by every caller of the same shape: never changed
    rows: list[dict[str, Any]]
    caption: str
    png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Para | Table | Chart | PageBreak


def period_text(lang: str, period: Period) -> str:
    """A period in words: 2025年第3季度 / Q3 2025."""
    if period.kind == "year":
        return say(lang, "period.year", year=period.year)
    if period.kind == "quarter":
        return say(lang, "period.quarter", year=period.year, q=(period.first_month - 1) // 3 + 1)
    return say(lang, "period.month", year=period.year, month=period.first_month)


def score_text(value: float | None) -> str:
    """A score as the pages show it: one decimal."""
    return "—" if value is None else f"{value:.1f}"


def delta(now: float | None, before: float | None) -> float | None:
    """A change of score, rounded as the pages round it."""
    return None if now is None or before is None else round(now - before, 1)


def delta_text(d: float | None) -> str:
    """A change of score with its sign (+1.2)."""
    return "—" if d is None else f"{d:+.1f}"


def value_text(value: float | None) -> str:
    """An indicator's value (or target) as the pillar pages' table shows it: rounded to two
    decimals, grouped, trailing zeros dropped (12,345.5)."""
    if value is None:
        return "—"
    text = f"{round(value, 2):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def change_text(ind: Indicator, now: float | None, before: float | None) -> str:
    """An indicator's change against a year earlier, as the pillar pages show it."""
    if now is None or before is None:
        return "—"
    if ind.kind in ("rate", "ratio"):
        return f"{now - before:+.2f}"
    return "—" if before == 0 else f"{(now - before) / abs(before):+.1%}"


def _level(lang: str, level: str) -> str:
    return say(lang, f"level.{level}")


def parent_label(lang: str, b: Briefing) -> str:
    """The parent region's name, or for the city "the districts' average"."""
    if b.parent is not None:
        return b.parent.name(lang)
    level = b.kids[0].region.level if b.kids else "district"
    return say(lang, "children_average", level=_level(lang, level))


def _score_of(result: IndexResult | None, key: str) -> float | None:
    if result is None:
        return None
    return result.composite if key == "composite" else result.pillar(key).score


def summary(lang: str, b: Briefing) -> str:
    """One paragraph in plain words, every blank a figure of the briefing."""
    name, period = b.region.name(lang), period_text(lang, b.period)
    parts: list[str] = []
    now = b.now.composite
    if now is None:
        parts.append(say(lang, "s.no_index", period=period, region=name) + say(lang, "s.end"))
    else:
        text = say(lang, "s.index", period=period, region=name, score=score_text(now))
        d = delta(_score_of(b.now_so_far, "composite"), _score_of(b.year_ago, "composite"))
        if d is not None:
            key = "s.year_up" if d > 0 else "s.year_down" if d < 0 else "s.year_same"
            text += say(lang, key, d=f"{abs(d):.1f}")
        d = delta(now, b.parent_scores.get("composite"))
        if d is not None:
            key = "s.parent_up" if d > 0 else "s.parent_down" if d < 0 else "s.parent_same"
            text += say(lang, key, d=f"{abs(d):.1f}", parent=parent_label(lang, b))
        parts.append(text + say(lang, "s.end"))
    scored = [(p, b.now.pillar(p.key).score) for p in PILLARS]
    scored = [(p, s) for p, s in scored if s is not None]
    if scored:
        best = max(scored, key=lambda ps: ps[1])
        worst = min(scored, key=lambda ps: ps[1])
        parts.append(
            say(
                lang,
                "s.best_worst",
                best=pillar_name(lang, best[0]),
                best_score=score_text(best[1]),
                worst=pillar_name(lang, worst[0]),
                worst_score=score_text(worst[1]),
            )
        )
    if b.year_ago is not None:
        moves = [
            delta(b.now_so_far.pillar(p.key).score, b.year_ago.pillar(p.key).score)
            for p, _ in scored
        ]
        parts.append(
            say(
                lang,
                "s.pillars_moved",
                up=sum(1 for m in moves if m is not None and m > 0),
                down=sum(1 for m in moves if m is not None and m < 0),
            )
        )
    headline = [
        s
        for p in b.now.pillars
        for s in p.indicators
        if INDICATORS_BY_KEY[s.key].headline and s.score is not None
    ]
    if headline:
        met = sum(1 for s in headline if s.score >= 100)
        parts.append(say(lang, "s.targets", n=len(headline), met=met, unmet=len(headline) - met))
    ranked = [k for k in b.kids if k.index.composite is not None]
    if len(ranked) >= 2:
        top = max(ranked, key=lambda k: k.index.composite)
        bottom = min(ranked, key=lambda k: k.index.composite)
        parts.append(
            say(
                lang,
                "s.children",
                n=len(b.kids),
                level=_level(lang, b.kids[0].region.level),
                top=top.region.name(lang),
                top_score=score_text(top.index.composite),
                bottom=bottom.region.name(lang),
                bottom_score=score_text(bottom.index.composite),
            )
        )
    return ("" if lang == "zh" else " ").join(parts)


def _cover(lang: str, b: Briefing) -> list[Block]:
    path = " › ".join([a.name(lang) for a in b.chain] + [b.region.name(lang)])
    data_to = b.data_to
    return [
        Heading(say(lang, "title"), 0),
        Para(say(lang, "cover.region", region=path)),
        Para(say(lang, "cover.period", period=period_text(lang, b.period))),
        Para(
            say(lang, "cover.data_to", month=month_label(data_to))
            if data_to
            else say(lang, "cover.no_data")
        ),
        Para(say(lang, "cover.made", day=b.today.isoformat())),
        Para(say(lang, "cover.source"), small=True),
        PageBreak(),
    ]


def _index_section(lang: str, b: Briefing) -> list[Block]:
    parent = parent_label(lang, b)
    rows = []
    for key, label in [("composite", say(lang, "composite"))] + [
        (p.key, pillar_name(lang, p)) for p in PILLARS
    ]:
        now = _score_of(b.now, key)
        rows.append(
            (
                label,
                score_text(now),
                delta_text(delta(_score_of(b.now_so_far, key), _score_of(b.year_ago, key))),
                delta_text(delta(now, b.parent_scores.get(key))),
            )
        )
    blocks: list[Block] = [
        Heading(say(lang, "h.index"), 1),
        Table(
            (
                say(lang, "col.item"),
                say(lang, "col.score"),
                say(lang, "col.year_change"),
                say(lang, "col.parent_change", parent=parent),
            ),
            tuple(rows),
            "scores",
        ),
        Heading(say(lang, "h.summary"), 2),
        Para(summary(lang, b)),
    ]
    pillar, series, score = say(lang, "col.pillar"), say(lang, "col.series"), say(lang, "col.score")
    bars = []
    for p in PILLARS:
        bars.append(
            {
                pillar: pillar_short(lang, p),
                series: _label(b.region.name(lang)),
                score: _round1(b.now.pillar(p.key).score),
            }
        )
        bars.append(
            {
                pillar: pillar_short(lang, p),
                series: _label(parent),
                score: _round1(b.parent_scores.get(p.key)),
            }
        )
    blocks.append(
        Chart(
            _specs().grouped_bars(pillar, score, series, say(lang, "unit.score")),
            bars,
            say(lang, "chart.pillars", parent=parent),
        )
    )
    if b.trend:
        month = say(lang, "col.month")
        lines = []
        for m, result in sorted(b.trend.items()):
            lines.append(
                {
                    month: month_label(m),
                    series: say(lang, "composite"),
                    score: _round1(result.composite),
                }
            )
            for p in PILLARS:
                lines.append(
                    {
                        month: month_label(m),
                        series: pillar_short(lang, p),
                        score: _round1(result.pillar(p.key).score),
                    }
                )
        blocks.append(
            Chart(
                _specs().trend_lines(month, score, series, say(lang, "unit.score")),
                lines,
                say(lang, "chart.trend"),
            )
        )
    return blocks


def _round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _ranking_chart(lang: str, b: Briefing, key: str, caption: str) -> Chart:
    region, code = say(lang, "col.region"), say(lang, "col.code")
    score = say(lang, "col.composite") if key == "composite" else say(lang, "col.score")
    rows = sorted(
        (
            {
                region: _label(k.region.name(lang)),
                code: k.region.code,
                score: _round1(_score_of(k.index, key)),
            }
            for k in b.kids
        ),
        key=lambda r: (r[score] is None, -(r[score] or 0)),
    )
    return Chart(_specs().ranking_bars(region, score, code, score, len(rows)), rows, caption)


def _pillar_section(lang: str, b: Briefing) -> list[Block]:
    parent = parent_label(lang, b)
    blocks: list[Block] = [Heading(say(lang, "h.pillars"), 1)]
    kids_level = _level(lang, b.kids[0].region.level) if b.kids else ""
    for p in PILLARS:
        name = pillar_name(lang, p)
        now = b.now.pillar(p.key)
        blocks.append(Heading(name, 2))
        blocks.append(
            Para(
                say(
                    lang,
                    "pillar.score",
                    pillar=name,
                    score=score_text(now.score),
                    year=delta_text(
                        delta(b.now_so_far.pillar(p.key).score, _score_of(b.year_ago, p.key))
                    ),
                    parent=parent,
                    parent_change=delta_text(delta(now.score, b.parent_scores.get(p.key))),
                )
            )
        )
        before = {s.key: s.value for s in b.year_ago.pillar(p.key).indicators} if b.year_ago else {}
        current = {s.key: s.value for s in b.now_so_far.pillar(p.key).indicators}
        rows = []
        for s in now.indicators:
            ind = INDICATORS_BY_KEY[s.key]
            if not ind.headline:
                continue
            rows.append(
                (
                    indicator_name(lang, ind),
                    unit(lang, ind),
                    value_text(s.value),
                    value_text(s.target),
                    change_text(ind, current.get(s.key), before.get(s.key)),
                )
            )
        if rows:
            blocks.append(Para(say(lang, "headline"), small=True))
            blocks.append(
                Table(
                    tuple(
                        say(lang, f"col.{c}")
                        for c in ("indicator", "unit", "value", "target", "change")
                    ),
                    tuple(rows),
                    f"indicators:{p.key}",
                )
            )
        if b.kids:
            blocks.append(
                _ranking_chart(
                    lang,
                    b,
                    p.key,
                    say(lang, "chart.pillar_ranking", level=kids_level, pillar=name),
                )
            )
        kind, count = say(lang, "col.activity_type"), say(lang, "col.activities")
        types = [
            {
                kind: t.name_zh if lang == "zh" else t.name_en,
                count: int(b.totals.get(t.key, {}).get("n", 0)),
            }
            for t in activity_types_of(p.key)
        ]
        if types:
            blocks.append(
                Chart(
                    _specs().ranking_bars(kind, count, kind, count, len(types)),
                    types,
                    say(lang, "chart.types", pillar=name),
                )
            )
    return blocks


def _children_section(lang: str, b: Briefing) -> list[Block]:
    if not b.kids:
        return []
    level = _level(lang, b.kids[0].region.level)
    ranked = sorted(b.kids, key=lambda k: (k.index.composite is None, -(k.index.composite or 0)))
    rows = tuple(
        (
            str(i),
            k.region.name(lang),
            k.region.code,
            score_text(k.index.composite),
            *(score_text(k.index.pillar(p.key).score) for p in PILLARS),
            f"{k.activities:,}",
        )
        for i, k in enumerate(ranked, 1)
    )
    columns = (
        say(lang, "col.rank"),
        say(lang, "col.region"),
        say(lang, "col.code"),
        say(lang, "col.composite"),
        *(pillar_short(lang, p) for p in PILLARS),
        say(lang, "col.activities"),
    )
    silent = [k.region.name(lang) for k in b.kids if k.activities == 0]
    blocks: list[Block] = [
        Heading(say(lang, "h.children", level=level), 1),
        _ranking_chart(lang, b, "composite", say(lang, "chart.ranking", level=level)),
        Table(columns, rows, "ranking"),
        Para(
            say(
                lang,
                "activity_completeness",
                level=level,
                done=len(b.kids) - len(silent),
                total=len(b.kids),
            )
        ),
    ]
    if silent:
        sep = "、" if lang == "zh" else ", "
        blocks.append(Para(say(lang, "silent", level=level, names=sep.join(silent[:20]))))
    return blocks


def _completeness_section(lang: str, b: Briefing) -> list[Block]:
    done = b.completeness
    level = _level(lang, "community")
    blocks: list[Block] = [Heading(say(lang, "h.completeness"), 1)]
    if done is None:
        return [*blocks, Para(say(lang, "report_none", level=level))]
    blocks.append(
        Para(
            say(
                lang,
                "report_completeness",
                month=month_label(done.month),
                level=level,
                approved=done.approved,
                total=done.total,
                late=len(done.late),
            )
        )
    )
    if done.late:
        rows = tuple(
            (
                r.name_zh if lang == "zh" else r.name_en,
                r.code,
                (r.parent_name_zh if lang == "zh" else r.parent_name_en) or "",
                say(lang, f"status.{r.status}"),
            )
            for r in done.late[:LATE_LISTED]
        )
        blocks.append(
            Table(
                (
                    say(lang, "col.region"),
                    say(lang, "col.code"),
                    _level(lang, "street"),
                    say(lang, "col.status"),
                ),
                rows,
                "late",
            )
        )
    return blocks


def _attention_section(lang: str, b: Briefing) -> list[Block]:
    blocks: list[Block] = [Heading(say(lang, "h.attention"), 1)]
    if not b.attention:
        return [*blocks, Para(say(lang, "attention.none"))]
    rows = tuple(
        (item.what.in_(lang), item.region_name.in_(lang), item.off_text.in_(lang))
        for item in b.attention[:ATTENTION_LISTED]
    )
    blocks.append(
        Table(
            (say(lang, "col.what"), say(lang, "col.region"), say(lang, "col.off")),
            rows,
            "attention",
        )
    )
    if len(b.attention) > ATTENTION_LISTED:
        blocks.append(Para(say(lang, "attention.more", n=len(b.attention) - ATTENTION_LISTED)))
    return blocks


def _improved_section(lang: str, b: Briefing) -> list[Block]:
    if not b.kids:
        return []
    blocks: list[Block] = [Heading(say(lang, "h.improved"), 2)]
    if not b.improved:
        return [*blocks, Para(say(lang, "improved.none"))]
    rows = tuple(
        (
            str(i),
            r.region.name(lang),
            score_text(r.value),
            score_text(r.before),
            delta_text(None if r.change is None else round(r.change, 1)),
        )
        for i, r in enumerate(b.improved[:IMPROVED_LISTED], 1)
    )
    return [
        *blocks,
        Para(say(lang, "improved.caption"), small=True),
        Table(
            (
                say(lang, "col.rank"),
                say(lang, "col.region"),
                say(lang, "col.composite"),
                say(lang, "col.before"),
                say(lang, "col.index_change"),
            ),
            rows,
            "improved",
        ),
    ]


def _notes_section(lang: str, b: Briefing) -> list[Block]:
    blocks: list[Block] = [Heading(say(lang, "h.notes"), 1)]
    if not b.notes:
        return [*blocks, Para(say(lang, "notes.none"))]
    # Paragraphs, not a table: a note is read in full, however long.
    return blocks + [
        Para(
            say(
                lang,
                "note.line",
                day=n.on_day.isoformat(),
                region=n.region_name_zh if lang == "zh" else n.region_name_en,
                text=n.text,
                author=n.author_name,
            )
        )
        for n in b.notes
    ]


def number_sections(lang: str, blocks: list[Block]) -> list[Block]:
    """The sections (level-1 headings) numbered in order: 一、… in Chinese, 1. … in English."""
    out, n = [], 0
    for block in blocks:
        if isinstance(block, Heading) and block.level == 1:
            n += 1
            mark = f"{ZH_NUMERALS[n - 1]}、" if lang == "zh" else f"{n}. "
            block = Heading(mark + block.text, 1)
        out.append(block)
    return out


def compose(lang: str, b: Briefing) -> list[Block]:
    """The whole briefing as blocks, in one language ('zh' or 'en')."""
    return number_sections(
        lang,
        [
            *_cover(lang, b),
            *_index_section(lang, b),
            *_attention_section(lang, b),
            *_pillar_section(lang, b),
            *_children_section(lang, b),
            *_improved_section(lang, b),
            *_completeness_section(lang, b),
            *_notes_section(lang, b),
        ],
    )


def charts_of(blocks: list[Block]) -> list[Chart]:
    """The blocks that are charts (to render before writing)."""
    return [block for block in blocks if isinstance(block, Chart)]
