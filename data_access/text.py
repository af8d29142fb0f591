"""Which characters stored text may hold: one check for every text field people type.

Refused everywhere: control characters (Unicode category Cc: C0, DEL and C1),
line and paragraph separators (U+2028, U+2029), the bidirectional embeddings, overrides and
isolates (U+202A–U+202E, U+2066–U+2069: they make text read differently from how it is stored),
the byte-order mark inside text (U+FEFF), non-characters (U+FDD0–U+FDEF and the last two code
points of every plane) and lone surrogates (not text at all: they cannot even be written as
UTF-8). A line break (U+000A) and a tab (U+0009, which spreadsheet cells carry) are allowed
only where the field is multi-line (an activity's description); a one-line field refuses both.
Everything else, emoji and rare CJK included, is kept as typed.
"""

from __future__ import annotations

import re

_NON_CHARACTERS = "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
_REFUSED = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # control characters, less the tab and the line break
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates
    "\ufeff"  # byte-order mark
    "\ufdd0-\ufdef" + _NON_CHARACTERS + "\ud800-\udfff"  # non-characters, lone surrogates
)
_SINGLE_LINE = re.compile(f"[\t\n{_REFUSED}]")
_MULTI_LINE = re.compile(f"[{_REFUSED}]")


def check_text(text: str, multiline: bool = False) -> tuple[str, str] | None:
    """Why the text cannot be stored, in Chinese and English, or None when every character is
    allowed (a line break only when `multiline`)."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    if found is None:
        return None
    char = found.group()
    if char == "\n":
        return "不能换行，请写在一行内。", "Cannot contain a line break; keep it on one line."
    position, code = found.start() + 1, f"U+{ord(char):04X}"
    return (
        f"第 {position} 个字符（{code}）是不可见的控制字符或无效字符，请删除后再保存。",
        f"Character {position} ({code}) is an invisible control or invalid character; "
        "delete it and save again.",
    )


def drop_refused(text: str) -> str:
    """The text without the characters check_text refuses (line breaks and tabs kept): for text
    read from the store that predates the check, written into a document."""
    return _MULTI_LINE.sub("", text)
