"""Every user-facing string, in Chinese (default) and English, through one function `t()`."""

from __future__ import annotations

import threading

import streamlit as st

from data_access.messages import Message
from ui.plain import Plain, plain

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}

# key: (中文, English). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("幸福社区看板", "Happy Community Dashboard"),
    "app.subtitle": ("沈阳市“五有”幸福新社区建设", "Shenyang's “five-have” happy new communities"),
    "nav.views": ("看板", "Dashboards"),
    "page.overview": ("总览", "Overview"),
    "lang.label": ("语言", "Language"),
    "lang.zh": ("中文", "中文"),
    "lang.en": ("English", "English"),
    "filter.period": ("时间段", "Period"),
    "filter.period.year": ("{year}年", "{year}"),
    "filter.period.quarter": ("{year}年第{q}季度", "Q{q} {year}"),
    "filter.period.month": ("{year}年{month}月", "{month_name} {year}"),
    "filter.bad_value": (
        "链接中的{name}“{value}”无效，已改用默认值。",
        "The link's {name} “{value}” is not valid; the default is shown instead.",
    ),
    "store.preparing": (
        "首次启动：正在创建数据库并生成演示城市数据……",
        "First start: creating the database and building the demo city…",
    ),
    "store.progress": ("正在生成：{step}", "Building: {step}"),
    "store.ready": ("演示数据已就绪。", "The demo data is ready."),
    "store.error": ("数据库不可用：{message}", "The database cannot be used: {message}"),
    "store.empty": (
        "数据库中还没有地区数据。请运维人员运行 `python -m seed_data --db …` 导入数据。",
        "The database has no regions yet. An operator should load data, e.g. "
        "`python -m seed_data --db …`.",
    ),
    "overview.heading": ("{region} · {period}", "{region} · {period}"),
    "overview.caption": (
        "五个方面的主要指标。箭头为较上年同期的变化；“文章”为市委组织部文章公布的2025年数据。",
        "Headline indicators of the five pillars. Arrows show the change against the same period "
        "last year; “article” is the 2025 figure the municipal Organisation Department published.",
    ),
    "overview.article": ("文章：{value}", "Article: {value}"),
    "overview.no_value": ("无数据", "no data"),
    "overview.more_pillar": ("该方面全部指标", "All indicators of this pillar"),
    "overview.indicator": ("指标", "Indicator"),
    "overview.value": ("数值", "Value"),
    "overview.programme": ("工作举措", "Programme facts"),
    "qualifier.more_than": ("{value}余", "{value}+"),
    "qualifier.about": ("近{value}", "about {value}"),
    "qualifier.exact": ("{value}", "{value}"),
    "error.unexpected": (
        "页面出错了，已记录。请刷新重试；如仍出现请联系管理员。",
        "Something went wrong on this page and it has been logged. Reload to try "
        "again; if it keeps happening, tell an administrator.",
    ),
}


def _load_feature_strings() -> None:
    # Each feature keeps its strings in ui/text_<feature>.py (a STRINGS dict of the same form), so
    # that features can be added without editing one shared table; keys must not collide.
    import importlib
    import pkgutil

    import ui

    for module in pkgutil.iter_modules(ui.__path__):
        if module.name.startswith("text_"):
            extra = importlib.import_module(f"ui.{module.name}").STRINGS
            clash = STRINGS.keys() & extra.keys()
            if clash:
                raise KeyError(f"ui/{module.name}.py redefines strings: {sorted(clash)}")
            STRINGS.update(extra)


_load_feature_strings()


# The language of the script run in progress on this thread. Pages read it hundreds of times a
# run (every label), and session state is slow to read, so the router sets it at the start of
# each run (use_language). Fragment runs on another thread fall back to session state.
_this_run = threading.local()


def use_language(lang: str) -> None:
    """Take `lang` as the language for the rest of this script run."""
    _this_run.lang = lang


def current_language() -> str:
    """The active language code ('zh' or 'en')."""
    lang = getattr(_this_run, "lang", None) or st.session_state.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def locale() -> str:
    """The Babel locale of the active language."""
    return BABEL_LOCALES[current_language()]


def t(key: str, **kwargs: object) -> Plain:
    """The string for `key` in the active language, for Streamlit calls that render Markdown:
    placeholders are filled with their values escaped (ui.plain), so a name, title or URL value
    shows as typed; numbers and `Plain` values (another t(), plain(), trusted()) go in as they
    are."""
    zh, en = STRINGS[key]
    text = zh if current_language() == "zh" else en
    if not kwargs:
        return Plain(text)
    safe = {k: v if isinstance(v, (int, float, Plain)) else plain(v) for k, v in kwargs.items()}
    return Plain(text.format(**safe))


def t_text(key: str, **kwargs: object) -> str:
    """The string for `key` with placeholders filled as they are, for places that show plain
    text, never Markdown: chart and table labels, file names, select-box options, HTML that is
    escaped where it is built (the wall screen, map tooltips and legend)."""
    zh, en = STRINGS[key]
    text = zh if current_language() == "zh" else en
    return text.format(**kwargs) if kwargs else text


def pick(zh: str, en: str) -> str:
    """Choose between a Chinese and an English value (for names held in data)."""
    return zh if current_language() == "zh" else en


def say(message: Message) -> str:
    """What data_access says (an error's `message`, a field's problem, an import note) in the
    active language, as it is (t() or plain() escapes it for Markdown)."""
    return message.in_(current_language())
