"""What a reader sees of a string the app rendered as Markdown (AppTest gives the source)."""

from __future__ import annotations

import re

from ui.plain import WORD_JOINER

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """The Markdown source with its backslash escapes resolved and ui.plain's word joiners
    dropped: the text as it reads on the page (markup such as ** left as it is)."""
    return _ESCAPE.sub(r"\1", markdown).replace(WORD_JOINER, "")
