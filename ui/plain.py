"""Showing text that users typed (names, titles, labels) as text, never as markup."""

from __future__ import annotations

import re

# Every character Markdown (CommonMark + GitHub extensions) or Streamlit gives a meaning to;
# a backslash before any ASCII punctuation shows it literally, and `<` so escaped starts no tag.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:&\"'=])")


def plain(text: object) -> str:
    """The text with Markdown and HTML neutralised, for st.markdown/caption/success/error."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
