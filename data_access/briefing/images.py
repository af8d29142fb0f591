"""The briefing's charts as PNG images, rendered on the server from the pages' Vega-Lite specs
by vl-convert (a library with Vega inside: no browser, no network; it draws text with the
machine's fonts, Noto CJK for Chinese). A process keeps the last images it drew, keyed by what
they show, so the same chart is never drawn twice (bench/briefing.py)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

# Wide enough for 16 cm in the document at about 100 dpi; drawn 1.5 times that (150 dpi).
WIDTH = 620
SCALE = 1.5
# At most 25 MB (about 100 KB an image): a city's and its 13 districts' briefings, both languages.
KEPT = 256


def chart_png(spec: dict[str, Any], rows: list[dict[str, Any]]) -> bytes:
    """One chart drawn as a PNG: the shared spec (not changed) with its rows inline."""
    # The pages' specs leave the view's size and theme to Streamlit; here the page width and a
    # plain white background stand in.
    full = {**spec, "data": {"values": rows}, "width": WIDTH, "background": "white"}
    # The spec and rows are all a picture depends on: the same text is the same picture. Drawing
    # one costs 0.2-0.4 s (Vega measures every label with the CJK font); reading it back, nothing.
    return _png(json.dumps(full, sort_keys=True, ensure_ascii=False, default=str))


@lru_cache(maxsize=KEPT)
def _png(full: str) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(full, scale=SCALE)
