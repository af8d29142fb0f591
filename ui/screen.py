"""The wall screen (大屏): configuration from the URL, slides as HTML, rotation and refresh."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import streamlit as st

from data_access import cached, settings
from data_access.periods import PeriodError, parse_period
from data_access.registry import (
    ACTIVITY_TYPES_BY_KEY,
    INDICATORS_BY_KEY,
    PARENT_LEVELS,
    PILLARS,
    PILLARS_BY_KEY,
    child_level,
)
from data_access.scoring import IndexResult
from ui import attention
from ui import format as fmt
from ui.auth import screen_viewer_check, signed_in
from ui.filters import default_period, in_scope, period_coverage, scope_root
from ui.i18n import pick, t, t_text
from ui.plain import html_text as _e
from ui.plain import plain

SLIDE_KINDS = ("index", "pillars", "ranking", "latest")
OVERVIEW = "app_pages/overview.py"  # where the exit of a screen opened from the menu leads
RANKING_ROWS = 16  # two columns of eight rows fit a 16:9 screen at 5 metres
DEFAULT_INTERVAL = 15
INTERVAL_RANGE = (5, 600)

_DIGITS = re.compile(r"[0-9]{1,4}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenConfig:
    slides: tuple[str, ...]
    interval: int
    region_code: str | None
    period: str


def bad_param(name: str, value: str) -> str:
    """The notice for a URL setting that is not valid (Markdown; the value escaped)."""
    return t("screen.bad_param", name=name, value=plain(value[:40]))


def parse_config(params: Mapping[str, str], default_period: str) -> tuple[ScreenConfig, list[str]]:
    """The screen's settings from URL parameters, and notices (Markdown, the values escaped) for
    values that were not valid."""
    notices: list[str] = []
    kinds = list(SLIDE_KINDS)
    if "slides" in params:
        asked = [k.strip() for k in params["slides"].split(",") if k.strip()]
        if asked and all(k in SLIDE_KINDS + attention.SCREEN_SLIDES for k in asked):
            kinds = asked
        else:
            notices.append(bad_param("slides", params["slides"]))
    interval = DEFAULT_INTERVAL
    if "interval" in params:
        raw = params["interval"]
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        if _DIGITS.fullmatch(raw) and INTERVAL_RANGE[0] <= int(raw) <= INTERVAL_RANGE[1]:
            interval = int(raw)
        else:
            notices.append(bad_param("interval", raw))
    period = default_period
    if "period" in params:
        try:
            period = str(parse_period(params["period"]))
        except PeriodError:
            notices.append(bad_param("period", params["period"]))
    region = params.get("region") or None
    return ScreenConfig(tuple(kinds), interval, region, period), notices


def expand_slides(kinds: tuple[str, ...]) -> list[str]:
    """The slide sequence: 'pillars' becomes one slide per pillar."""
    slides: list[str] = []
    for kind in kinds:
        if kind == "pillars":
            slides.extend(f"pillar:{p.key}" for p in PILLARS)
        else:
            slides.append(kind)
    return slides


def _score(value: float | None) -> str:
    return "—" if value is None else fmt.number(value, 1)


def _bar(percent: float | None) -> str:
    width = 0 if percent is None else max(0.0, min(100.0, percent))
    return f'<div class="hs-bar"><div style="width:{width:.1f}%"></div></div>'


def _delta(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    diff = now - before
    cls = "hs-up" if diff >= 0 else "hs-down"
    return f'<span class="{cls}">{_e(t_text("screen.vs_last_year", delta=f"{diff:+.1f}"))}</span>'


def _index_slide(snap: dict) -> str:
    index: IndexResult = snap["index"]
    # None: no fair base (a partial period's scores weigh counts of activities): no change shown.
    last: IndexResult | None = snap["index_last_year"]

    def before(pillar_key: str | None) -> float | None:
        if last is None:
            return None
        return last.composite if pillar_key is None else last.pillar(pillar_key).score

    tiles = "".join(
        f'<div class="hs-tile"><div class="hs-tile-name">{_e(pick(p.name_zh, p.name_en))}</div>'
        f'<div class="hs-tile-value">{_score(index.pillar(p.key).score)}</div>'
        f"{_bar(index.pillar(p.key).score)}"
        f"<div>{_delta(index.pillar(p.key).score, before(p.key))}</div></div>"
        for p in PILLARS
    )
    return (
        f'<div class="hs-hero"><div class="hs-label">{_e(t("screen.index"))}</div>'
        f'<div class="hs-big">{_score(index.composite)}</div>'
        f"<div>{_delta(index.composite, before(None))}</div></div>"
        f'<div class="hs-tiles">{tiles}</div>'
    )


def _pillar_slide(snap: dict, pillar_key: str) -> str:
    pillar = PILLARS_BY_KEY[pillar_key]
    score = snap["index"].pillar(pillar_key)
    rows = []
    for item in score.indicators:
        ind = INDICATORS_BY_KEY[item.key]
        if not ind.headline:
            continue
        progress = None
        if item.value is not None and item.target:
            progress = 100.0 * item.value / item.target
        notes = []
        if item.target is not None:
            notes.append(t_text("screen.target", value=fmt.indicator_value(ind, item.target)))
        if fmt.article_value(ind) and snap["region"].level == "city":
            notes.append(t_text("screen.article", value=fmt.article_value(ind)))
        rows.append(
            f'<div class="hs-ind">'
            f'<div class="hs-ind-name">{_e(pick(ind.name_zh, ind.name_en))}</div>'
            f'<div class="hs-ind-value">{_e(fmt.indicator_value(ind, item.value))}</div>'
            f"{_bar(progress)}"
            f'<div class="hs-note">{_e(" · ".join(notes))}</div></div>'
        )
    return (
        f'<div class="hs-pillar-head"><span>{_e(pick(pillar.name_zh, pillar.name_en))}</span>'
        f'<span class="hs-pillar-score">{_score(score.score)}</span></div>'
        f'<div class="hs-inds">{"".join(rows)}</div>'
    )


def _ranking_slide(snap: dict) -> str:
    region_level = snap["region"].level
    level = child_level(region_level) if region_level in PARENT_LEVELS else "community"
    everyone = sorted(snap["ranking"], key=lambda r: -(r[1] or 0))
    ranked = everyone[:RANKING_ROWS]
    # One line per name (ellipsis, the full name on hover): a long English name on two lines
    # pushed the last rows under the footer.
    rows = "".join(
        f'<div class="hs-rank"><span class="hs-rank-n">{n}</span>'
        f'<span class="hs-rank-name" title="{_e(pick(r.name_zh, r.name_en))}">'
        f"{_e(pick(r.name_zh, r.name_en))}</span>"
        f'{_bar(score)}<span class="hs-rank-score">{_score(score)}</span></div>'
        for n, (r, score) in enumerate(ranked, start=1)
    )
    title = t_text("screen.ranking", level=t_text(f"screen.level.{level}"))
    if len(everyone) > len(ranked):
        title += t_text("screen.ranking_top", n=len(ranked), total=len(everyone))
    return f'<div class="hs-section-title">{_e(title)}</div><div class="hs-ranks">{rows}</div>'


def _type_name(key: str) -> str:
    activity_type = ACTIVITY_TYPES_BY_KEY[key]
    return pick(activity_type.name_zh, activity_type.name_en)


def _latest_slide(snap: dict) -> str:
    # The latest recorded activities, in date order (newest first; recorded order breaks ties).
    by_date = sorted(
        snap["latest"], key=lambda a: (a["occurred_on"], a.get("created_at") or ""), reverse=True
    )
    rows = "".join(
        f"<tr><td>{_e(a['occurred_on'])}</td>"
        f"<td>{_e(pick(a['community_zh'], a['community_en']))}</td>"
        f"<td>{_e(_type_name(a['type_key']))}</td><td>{_e(a['title'])}</td></tr>"
        for a in by_date
    )
    body = rows or f'<tr><td colspan="4">{_e(t("screen.no_activities"))}</td></tr>'
    return (
        f'<div class="hs-section-title">{_e(t("screen.latest"))}</div>'
        f'<table class="hs-latest">{body}</table>'
    )


def slide_html(slide: str, snap: dict) -> str:
    """One slide's HTML (every value from data is escaped)."""
    if slide == "index":
        return _index_slide(snap)
    if slide.startswith("pillar:"):
        return _pillar_slide(snap, slide.split(":", 1)[1])
    if slide == "ranking":
        return _ranking_slide(snap)
    if slide in attention.SCREEN_SLIDES:
        return attention.slide_html(slide, snap)
    return _latest_slide(snap)


def frame_html(
    slide: str, position: tuple[int, int], snap: dict, period_label: str, footer: str, stale: bool
) -> str:
    """The whole screen: header, the slide, and a footer with the data time and position."""
    region = pick(snap["region"].name_zh, snap["region"].name_en)
    marker = ' class="hs-stale"' if stale else ""
    return (
        f'<div class="hs-screen"><div class="hs-header"><span>{_e(t("screen.title"))}</span>'
        f"<span>{_e(region)} · {_e(period_label)}</span></div>"
        f'<div class="hs-body">{slide_html(slide, snap)}</div>'
        f'<div class="hs-footer"><span{marker}>{_e(footer)}</span>'
        f"<span>{_e(t_text('screen.slide', n=position[0], total=position[1]))}</span></div></div>"
    )


CSS = """
<style>
header[data-testid="stHeader"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stStatusWidget"], [data-testid="stDecoration"], footer { display: none !important; }
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  overflow: hidden !important; background: #07132b !important; color: #e9f0ff !important; }
.stMainBlockContainer, [data-testid="stMainBlockContainer"] {
  padding: 0 !important; max-width: 100% !important; }
.hs-screen { height: 94vh; display: flex; flex-direction: column; padding: 2.5vh 3vw 0;
  font-size: 2.6vh; line-height: 1.25; color: #e9f0ff; }
.hs-header { display: flex; justify-content: space-between; font-size: 4vh; font-weight: 700;
  border-bottom: 0.3vh solid #c0392b; padding-bottom: 1vh; }
.hs-body { flex: 1; padding-top: 3vh; overflow: hidden; }
.hs-footer { display: flex; justify-content: space-between; font-size: 1.8vh; color: #8ea3c8; }
.hs-stale { color: #f5b041; }
.hs-hero { text-align: center; }
.hs-label { font-size: 3.6vh; color: #8ea3c8; }
.hs-big { font-size: 22vh; font-weight: 800; line-height: 1; color: #ffd166; }
.hs-up { color: #52d273; font-size: 2.8vh; } .hs-down { color: #ff6b6b; font-size: 2.8vh; }
.hs-tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2vw; margin-top: 5vh; }
.hs-tile { background: #0f2247; border-radius: 1.2vh; padding: 2.2vh 1.5vw; }
.hs-tile-name { font-size: 3.2vh; } .hs-tile-value { font-size: 8vh; font-weight: 700; }
.hs-bar { height: 1.4vh; background: #1d3461; border-radius: 0.7vh; margin: 1vh 0; }
.hs-bar > div { height: 100%; background: #ffd166; border-radius: 0.7vh; }
.hs-pillar-head { display: flex; justify-content: space-between; font-size: 7vh; font-weight: 800; }
.hs-pillar-score { color: #ffd166; }
.hs-inds { display: grid; grid-template-columns: repeat(2, 1fr); gap: 3vh 3vw; margin-top: 4vh; }
.hs-ind { background: #0f2247; border-radius: 1.2vh; padding: 2.4vh 1.6vw; }
.hs-ind-name { font-size: 3.2vh; color: #c9d6f2; }
.hs-ind-value { font-size: 7vh; font-weight: 700; }
.hs-note { font-size: 2.2vh; color: #8ea3c8; }
.hs-section-title { font-size: 5vh; font-weight: 800; margin-bottom: 3vh; }
.hs-ranks { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1.6vh 4vw; }
.hs-rank { display: grid; grid-template-columns: 4vh 20vw 1fr 8vh; align-items: center; gap: 1vw;
  font-size: 3.2vh; }
.hs-rank-name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.hs-rank-n { color: #8ea3c8; } .hs-rank-score { text-align: right; font-weight: 700; }
.hs-latest { width: 100%; border-collapse: collapse; font-size: 3vh; }
.hs-latest td { padding: 1.4vh 1vw; border-bottom: 0.15vh solid #1d3461; }
.st-key-hs_exit { position: fixed; top: 0.5vh; right: 0.5vw; z-index: 1000; width: auto; }
.stButton button { opacity: 0.25; background: transparent; color: #8ea3c8; border-color: #1d3461; }
</style>
"""


def _move(state: dict, step: int, n_slides: int, interval: int) -> None:
    state["i"] = (state["i"] + step) % n_slides
    state["next_at"] = time.monotonic() + interval


def _toggle(state: dict) -> None:
    state["paused"] = not state["paused"]


def _notice(text: str) -> None:
    st.html(f'<div class="hs-screen"><div class="hs-body">{_e(text)}</div></div>')


def _tick(slides: list[str], state: dict, interval: int, load, period_label: str, check) -> None:
    """One refresh: may this screen still show data? Then advance when the slide's time is up,
    reload the data and draw; while the store fails, draw the last data marked stale."""
    try:
        refused = check()
    except Exception as exc:  # noqa: BLE001 - the store is unreachable: keep the last data
        log.warning("wall screen: the store did not answer the link check (%s)", type(exc).__name__)
        refused, stale = None, True
    else:
        stale = False
    if refused is not None:
        # Revoked, expired or signed out: forget the data and show nothing but the notice.
        state["snap"] = None
        _notice(t(refused))
        return
    now = time.monotonic()
    if state["next_at"] == 0.0:
        state["next_at"] = now + interval
    elif not state["paused"] and now >= state["next_at"] - 0.5:
        _move(state, 1, len(slides), interval)
    if not stale:
        try:
            state["snap"] = load()
        except Exception as exc:  # noqa: BLE001 - any failure: keep the last data, retry next tick
            log.warning("wall screen: the data was not read (%s)", type(exc).__name__)
            stale = True
    if state["snap"] is None:
        _notice(t("screen.unavailable"))
        return
    as_of = fmt.local_time(state["snap"]["read_at"])
    footer = t_text("screen.stale", time=as_of) if stale else t_text("screen.as_of", time=as_of)
    if state["paused"]:
        footer += " · " + t("screen.paused")
    position = state["i"] % len(slides)
    page = frame_html(
        slides[position], (position + 1, len(slides)), state["snap"], period_label, footer, stale
    )
    st.html(page)
    move = {"on_click": _move, "kwargs": {"n_slides": len(slides), "interval": interval}}
    left, middle, right = st.columns(3)
    left.button(
        "◀", key="hs_prev", help=t("screen.prev"), shortcut="Left", args=(state, -1), **move
    )
    middle.button(
        "⏯",
        key="hs_pause",
        help=t("screen.pause"),
        shortcut="Space",
        on_click=_toggle,
        args=(state,),
    )
    right.button(
        "▶", key="hs_next", help=t("screen.next"), shortcut="Right", args=(state, 1), **move
    )


def run(config: ScreenConfig, load, period_label: str, check) -> None:
    """Show the screen: rotate slides and refresh data on their own, keep the last data on errors.

    On every tick `check()` says whether the viewer may still see data (None) or which notice
    to show instead (an i18n key), and raises when the store is unreachable; then `load()`
    returns a snapshot (with the UTC time it was read under "read_at") or raises.
    """
    st.html(CSS)
    slides = expand_slides(config.slides)
    state = st.session_state.setdefault(
        "_screen", {"i": 0, "paused": False, "next_at": 0.0, "snap": None}
    )

    @st.fragment(run_every=config.interval)
    def deck() -> None:
        started = time.perf_counter()
        _tick(slides, state, config.interval, load, period_label, check)
        timings = settings.get(settings.SCREEN_TIMINGS)
        if timings:
            # Benchmarks (bench/soak_screen.py) read how long each refresh took on the server.
            with open(timings, "a", encoding="utf-8") as out:
                out.write(f"{time.time():.3f},{time.perf_counter() - started:.4f}\n")

    deck()


def _exit_to_dashboards() -> None:
    """A way back for a signed-in viewer who opened the screen from the menu: a faint button
    (and Esc) to the Overview, which keeps the region and period they had chosen."""
    if st.button(t("screen.exit"), key="hs_exit", help=t("screen.exit_help"), shortcut="Esc"):
        st.switch_page(OVERVIEW)


def screen_page(url: str) -> None:
    """The wall screen page: its settings from the URL (a bad one noticed and replaced), else,
    opened from the menu, the region and period the dashboards show; its region within the
    viewer's scope, and the rotating slides."""
    from_menu = signed_in() is not None  # a screen link has no account
    chosen = st.session_state if from_menu else {}
    period = chosen.get("period") or default_period(url)
    config, notices = parse_config(st.query_params.to_dict(), period)
    root = scope_root(url)
    region_code = config.region_code or chosen.get("region") or root.code
    if cached.region(url, region_code) is None or not in_scope(url, region_code, root):
        notices.append(bad_param("region", region_code))
        region_code = root.code
    for notice in notices:
        st.toast(notice, icon="⚠️")
    # A period not over is shown to date and compared like with like, as on the dashboards.
    cov = period_coverage(url, parse_period(config.period))
    base = str(cov.year_ago) if cov.year_ago and cov.flows_comparable else None
    run(
        config,
        lambda: (
            cached.screen_snapshot(url, region_code, str(cov.span), base)
            | (
                attention.screen_data(url, region_code, config.period)
                if set(config.slides) & set(attention.SCREEN_SLIDES)
                else {}
            )
        ),
        fmt.period_label(cov.span),
        screen_viewer_check(url),
    )
    if from_menu:
        _exit_to_dashboards()
