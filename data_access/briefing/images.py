"""The briefing's charts as PNG images, rendered on the server from the pages' Vega-Lite specs
by vl-convert (a library with Vega inside: no browser, no network; it draws text with the
machine's fonts, Noto CJK for Chinese)."""

from __future__ import annotations

from typing import Any

# Wide enough for 16 cm in the document at about 100 dpi; drawn 1.5 times that (150 dpi).
WIDTH = 620
SCALE = 1.5


def chart_png(spec: dict[str, Any], rows: list[dict[str, Any]]) -> bytes:
    """One chart drawn as a PNG: the shared spec (not changed) with its rows inline."""
    import vl_convert

    # The pages' specs leave the view's size and theme to Streamlit; here the page width and a
    # plain white background stand in.
    full = {**spec, "data": {"values": rows}, "width": WIDTH, "background": "white"}
    return vl_convert.vegalite_to_png(full, scale=SCALE)
