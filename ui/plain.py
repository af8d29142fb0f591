"""Showing text that users typed or a URL carried (names, titles, codes) as text, never as markup.

Streamlit shows most strings through Markdown (st.markdown, caption, success/warning/error/info,
toast, subheader, widget labels and help). `plain()` is the one escaper for all of them. It
defeats two kinds of markup:

- what the Markdown parser reads (links, images, emphasis, headings, code, math, HTML, colour
  directives): a backslash before every ASCII punctuation character shows that character as
  typed (CommonMark allows the escape before any of them), and line breaks become spaces so no
  line can start a heading, list or link definition;
- what Streamlit's frontend rewrites in the parsed *text* afterwards, where escapes no longer
  count: emoji and icon short codes (`:smile:`, `:material/home:`, `:streamlit:`) and bare
  addresses turned into links (`http://…`, `www.…`, `name@host.example`), and `->`, `--`, `<=`
  … turned into arrows and dashes. An invisible word joiner (U+2060) after every `:` and `@`,
  between `www` and its dot and inside those pairs breaks the patterns without changing what the
  reader sees.

`Plain` marks a string as safe to show through Markdown as it is: `plain()` returns one, `t()`
(ui.i18n) returns one and escapes its keyword values unless they are `Plain` already, so nothing
is escaped twice. `trusted()` marks Markdown the app wrote itself.
"""

from __future__ import annotations

import html
import re

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # CommonMark's line endings
# After `:` and `@`; between `www` and `.`; inside the pairs Streamlit turns into arrows and signs.
_BREAK_PATTERN = re.compile(r"(?<=[:@])|(?<=[wW]{3})(?=\.)|(?<=[-<>~])(?=[-<>=])")


class Plain(str):
    """A string that is safe to show through Markdown as it is."""

    __slots__ = ()


def plain(text: object) -> Plain:
    """The text with Markdown and HTML neutralised, for any Streamlit call that renders Markdown
    (already escaped text is returned unchanged)."""
    if isinstance(text, Plain):
        return text
    value = _LINE_BREAK.sub(" ", str(text))
    value = _BREAK_PATTERN.sub(WORD_JOINER, value)
    return Plain(_PUNCTUATION.sub(r"\\\1", value))


def html_text(text: object) -> str:
    """The text escaped for HTML the app builds itself (st.html cards and tables, the wall
    screen, map tooltips): the one HTML escaper, as `plain` is the Markdown one."""
    return html.escape(str(text), quote=True)


def trusted(markdown: str) -> Plain:
    """Markdown the app wrote itself (never user or URL text), to be shown as Markdown."""
    return Plain(markdown)
