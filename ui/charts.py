"""Chart builders: pure functions from column names to a Vega-Lite spec (labels and axis
titles translated by the caller). Plain specs rather than Altair objects: Altair validates every
chart against the schema on every script run, which costs more than the rest of a warm page."""

from __future__ import annotations

PICK = "pick"
ACCENT = "#c0392b"
MUTED = "#e6a19a"


def _f(name: str) -> str:
    # Vega-Lite reads dots and brackets in a field name as nested access.
    return name.replace(".", "\\.").replace("[", "\\[").replace("]", "\\]")


def grouped_bars(x: str, y: str, color: str, title: str) -> dict:
    """Bars of `y` by `x`, one colour per `color` value, side by side."""
    return {
        "mark": {"type": "bar"},
        "height": 300,
        "encoding": {
            "x": {"field": _f(x), "type": "nominal", "sort": None, "axis": {"labelAngle": 0}},
            "xOffset": {"field": _f(color), "type": "nominal"},
            "y": {"field": _f(y), "type": "quantitative", "title": title},
            "color": {"field": _f(color), "type": "nominal", "legend": {"orient": "top"}},
            "tooltip": [
                {"field": _f(x), "type": "nominal"},
                {"field": _f(color), "type": "nominal"},
                {"field": _f(y), "type": "quantitative", "format": ".1f"},
            ],
        },
    }


def trend_lines(x: str, y: str, color: str, title: str) -> dict:
    """Lines of `y` over the months in `x`, one per `color` value."""
    return {
        "mark": {"type": "line", "point": True},
        "height": 300,
        "encoding": {
            "x": {"field": _f(x), "type": "ordinal", "axis": {"labelAngle": 0}},
            "y": {
                "field": _f(y),
                "type": "quantitative",
                "title": title,
                "scale": {"zero": False},
            },
            "color": {
                "field": _f(color),
                "type": "nominal",
                "sort": None,
                "legend": {"orient": "top"},
            },
            "tooltip": [
                {"field": _f(x), "type": "ordinal"},
                {"field": _f(color), "type": "nominal"},
                {"field": _f(y), "type": "quantitative", "format": ",.1f"},
            ],
        },
    }


def ranking_bars(name: str, value: str, code: str, title: str, rows: int) -> dict:
    """Horizontal bars of regions ranked by `value`; clicking a bar selects its `code`."""
    return {
        "mark": {"type": "bar"},
        "height": max(200, 28 * rows),
        "params": [
            {"name": PICK, "select": {"type": "point", "fields": [_f(code)], "on": "click"}}
        ],
        "encoding": {
            "y": {"field": _f(name), "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": _f(value), "type": "quantitative", "title": title},
            "color": {"condition": {"param": PICK, "value": ACCENT}, "value": MUTED},
            "tooltip": [
                {"field": _f(name), "type": "nominal"},
                {"field": _f(value), "type": "quantitative", "format": ",.1f"},
            ],
        },
    }


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None
