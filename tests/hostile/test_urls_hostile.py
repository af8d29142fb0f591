"""Markdown from a link or a user never renders (issue 11, item 8).

`ui.plain.plain` is the one escaper and `t()` escapes every value it fills in. Checked three
ways: the escaper's output for any text (hypothesis); Streamlit's own Markdown in Chromium
showing every hostile payload as typed; and every page opened with every query parameter the
app reads set to the hostile URL values, in AppTest and, for the image that fetched from
outside, in Chromium.
"""

from __future__ import annotations

import os
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from tests.auth_helpers import ROOT, session_hash
from tests.hostile.payloads import MARKDOWN, URL_VALUES
from ui.i18n import t, t_text, use_language
from ui.plain import WORD_JOINER, Plain, plain, trusted

APP = str(ROOT / "app.py")
PUNCTUATION = set(string.punctuation)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

# The patterns Streamlit 1.67's Markdown (frontend StreamlitMarkdown) rewrites in the text
# *after* parsing, where backslash escapes no longer count: emoji and icon short codes, bare
# links, e-mail addresses, arrows.
TEXT_REWRITES = (
    re.compile(r":\+1:|:-1:|:[\w-]+:"),
    re.compile(r":material_(\w+):|:material/"),
    re.compile(r":streamlit:"),
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"(?<![^\W_])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
)


def unescaped(markdown: str) -> list[str]:
    """The ASCII punctuation characters of `markdown` that no backslash escapes."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in PUNCTUATION:
            i += 2
            continue
        if markdown[i] in PUNCTUATION:
            found.append(markdown[i])
        i += 1
    return found


def text_node(markdown: str) -> str:
    """The text Markdown makes of escaped text: escapes resolved, word joiners kept."""
    return _ESCAPE.sub(r"\1", markdown)


def as_seen(text: str) -> str:
    """What a reader sees of a text: line breaks as spaces, no word joiners."""
    return re.sub(r"\r\n|\r|\n", " ", text).replace(WORD_JOINER, "")


# The escaper itself


@pytest.mark.parametrize("payload", MARKDOWN + URL_VALUES)
def test_plain_escapes_every_payload(payload):
    shown = plain(payload)
    assert not unescaped(shown)
    assert "\n" not in shown and "\r" not in shown
    assert not any(p.search(text_node(shown)) for p in TEXT_REWRITES), shown
    assert as_seen(text_node(shown)) == as_seen(payload)


MARKUP_HEAVY = hs.text(
    alphabet=hs.sampled_from(string.punctuation + " \n\rwW@:.-<>=~ab汉\u2060") | hs.characters(),
    max_size=80,
)


@settings(max_examples=400, deadline=None)
@given(MARKUP_HEAVY)
def test_plain_leaves_no_markup_for_any_text(text):
    shown = plain(text)
    assert isinstance(shown, Plain)
    assert not unescaped(shown)
    assert "\n" not in shown and "\r" not in shown
    assert not any(p.search(text_node(shown)) for p in TEXT_REWRITES), shown
    assert as_seen(text_node(shown)) == as_seen(text)  # shows as typed
    assert plain(shown) == shown  # never escaped twice


def test_t_escapes_the_values_it_fills_in_once():
    use_language("zh")
    value = "[请重新登录](http://evil.example/)"
    notice = t("filter.bad_value", name="region", value=value)
    assert isinstance(notice, Plain)
    assert plain(value) in notice and value not in notice
    assert t("filter.bad_value", name="region", value=plain(value)) == notice  # not twice
    nested = t("overview.heading", region=t("views.region_level", name=value, level="区"), period=1)
    assert nested.count(plain(value)) == 1 and "\\\\" not in nested
    assert t("log.total", n=1234, page=2, pages=3) == t_text("log.total", n=1234, page=2, pages=3)
    # Markdown the app writes itself goes in as it is; plain text sinks get the value as it is.
    assert "**b**" in t("auth.scope", region=trusted("**b**"))
    assert value in t_text("filter.bad_value", name="region", value=value)


# Streamlit's Markdown in Chromium: the ground truth for what plain() has to defeat


@pytest.mark.browser
def test_streamlit_shows_every_escaped_payload_as_typed(browser, tmp_path):
    from tests.browser import Watch, streamlit_server
    from tests.hostile.markdown_page import PAYLOADS

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with streamlit_server(env, tmp_path / "server.log", "tests/hostile/markdown_page.py") as base:
        page = browser.new_page()
        watch = Watch(page)
        page.goto(base)
        page.wait_for_selector("text=END", timeout=90_000)
        page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=stCheckbox]').length == n"
            " && !document.querySelector('[data-testid=stSkeleton]')",
            arg=len(PAYLOADS),
            timeout=60_000,
        )
        page.wait_for_timeout(2000)  # the emoji and math plugins load on demand
        report = page.evaluate(
            """(n) => [...Array(n).keys()].map((i) => {
                const box = document.querySelector(`.st-key-payload_${i}`);
                const parts = [...box.querySelectorAll(
                    '[data-testid=stMarkdownContainer], [data-testid=stCaptionContainer]')];
                return parts.map((el) => ({
                    text: el.innerText,
                    markup: [...el.querySelectorAll(
                        'a, img, svg, strong, em, del, code, pre, h1, h2, h3, h4, h5, h6, hr, ' +
                        'blockquote, ul, ol, li, table, .katex, span[role=img], span[style]'
                    )].map((m) => m.outerHTML.slice(0, 80)),
                }));
            })""",
            len(PAYLOADS),
        )
        page.close()
    assert not watch.outside
    for payload, parts in zip(PAYLOADS, report, strict=True):
        assert len(parts) == 5, payload
        typed = " ".join(as_seen(payload).split())
        for number, part in enumerate(parts):
            assert not part["markup"], (payload, number, part)
            seen = " ".join(part["text"].replace(WORD_JOINER, "").split())
            assert seen == (f"{typed} 😄" if number == 1 else typed), (payload, number)


# Every page with every query parameter set to hostile values (AppTest)

PARAMETERS = (
    "lang",
    "period",
    "region",
    "map_region",
    "map_measure",
    "map_show",
    "record",
    "slides",
    "interval",
)
# Three rounds give each page every URL value in some parameter.
ROUNDS = 3
PAGES = (
    "app_pages/overview.py",
    "app_pages/organization.py",
    "app_pages/governance.py",
    "app_pages/service.py",
    "app_pages/neighborliness.py",
    "app_pages/safety.py",
    "app_pages/map.py",
    "app_pages/screen.py",
    "app_pages/activity_log.py",
    "app_pages/record.py",
    "app_pages/activity_import.py",
    "app_pages/admin.py",
)
MARKDOWN_FIELDS = ("body", "label", "help", "placeholder")
LINK_OR_IMAGE = re.compile(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)<(?:img|script|https?)", re.IGNORECASE)


def hostile_params(round_: int) -> dict[str, str]:
    """Each parameter a different hostile value; the rounds move the values along."""
    n = len(PARAMETERS)
    return {p: URL_VALUES[(i + round_ * n) % len(URL_VALUES)] for i, p in enumerate(PARAMETERS)}


def first_visit(url: str, page: str | None, params: dict[str, str], user: str | None) -> AppTest:
    """The app as a new session opened at `page` with these URL parameters. AppTest can switch
    pages only after a first run, so the first run is on the default page, without parameters,
    and the values the filters took from that URL are dropped, as a new session has none."""
    at = AppTest.from_file(APP, default_timeout=120)
    if user is not None:
        at.session_state["_auth_session"] = session_hash(url, user)
    at.run()
    for name in PARAMETERS:
        if name in at.session_state:
            del at.session_state[name]
    at.query_params.clear()
    at.query_params.update(params)
    if page is not None:
        at.switch_page(page)
    return at.run()


def markdown_sources(at: AppTest) -> list[str]:
    """Every string of the page that Streamlit renders as Markdown: texts, alerts, toasts,
    headings, and widget labels, help and placeholders."""
    found = [toast.value for toast in at.toast]
    for root in (at.main, at.sidebar):
        for node in root:
            proto = getattr(node, "proto", None)
            if proto is None or node.type in ("html", "code", "exception"):
                continue
            found += [
                value
                for field, value in proto.ListFields()
                if field.name in MARKDOWN_FIELDS and isinstance(value, str)
            ]
    return found


def plain_text_sources(at: AppTest) -> list[str]:
    """Strings shown as plain text: table headings and select-box options, and the wall
    screen's HTML."""
    found = [str(c) for frame in at.dataframe for c in frame.value.columns]
    found += [str(o) for box in at.selectbox for o in box.options]
    found += [html.proto.body for html in at.get("html")]
    return found


def check_page(at: AppTest, params: dict[str, str]) -> None:
    """No crash; no link, image or HTML from the URL; every URL value that shows is escaped."""
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    assert sources
    candidates = {v[:n] for v in params.values() for n in (20, 40, None)}
    candidates = {v for v in candidates if plain(v) != v and len(as_seen(v).strip()) >= 5}
    for source in sources:
        assert not LINK_OR_IMAGE.search(source), source
        seen = as_seen(text_node(source))
        for value in candidates:
            if as_seen(value) in seen:
                assert plain(value) in source, (value, source)
    # Values meant for plain text were never escaped for Markdown (no visible backslashes).
    for text in plain_text_sources(at):
        assert not _ESCAPE.search(text), text


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_hostile_url_values_as_text(app_env, page, round_):
    params = hostile_params(round_)
    at = first_visit(app_env, page, params, "admin")
    check_page(at, params)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sign_in_page_and_screen_link_with_hostile_url_values(app_env, round_):
    params = hostile_params(round_)
    signed_out = first_visit(app_env, None, params, None)
    check_page(signed_out, params)
    assert signed_out.text_input(key="auth_username")  # the sign-in form
    screen = first_visit(app_env, None, {**params, "screen": params["region"]}, None)
    check_page(screen, params)
    assert screen.error  # not a valid screen link


def test_the_reported_links_show_as_text(app_env):
    """The two links of the issue: a warning with a clickable 请重新登录, an outside image."""
    params = {"region": MARKDOWN[0], "period": MARKDOWN[1]}
    at = first_visit(app_env, "app_pages/overview.py", params, "admin")
    check_page(at, params)
    toasts = [toast.value for toast in at.toast]
    assert any(plain(MARKDOWN[0]) in toast for toast in toasts), toasts
    assert any(plain(MARKDOWN[1]) in toast for toast in toasts), toasts


@pytest.mark.browser
def test_a_crafted_period_loads_nothing_from_outside(browser, sqlite_url, tmp_path):
    from urllib.parse import quote

    from tests.browser import Watch, sign_in, streamlit_server

    env = {**os.environ, "HAPPY_DB_URL": sqlite_url}
    with streamlit_server(env, tmp_path / "server.log") as base:
        context = browser.new_context()
        sign_in(context, base, sqlite_url, "admin")
        page = context.new_page()
        watch = Watch(page)
        query = f"period={quote(MARKDOWN[1])}&region={quote(MARKDOWN[0])}"
        page.goto(f"{base}/?{query}")
        page.wait_for_selector("text=链接中的时间段", timeout=90_000)
        toasts = page.locator("[data-testid=stToast]").all_inner_texts()
        page.wait_for_selector("text=幸福社区看板", timeout=90_000)
        page.wait_for_timeout(2000)
        links = page.locator("a[href*='evil.example']").count()
        images = page.locator("img[src*='evil.example']").count()
        context.close()
    assert not watch.outside  # the image was not fetched
    assert links == 0 and images == 0
    assert any(MARKDOWN[1] in text.replace(WORD_JOINER, "") for text in toasts), toasts
