"""Pure builders of the map: measures, colour classes, legend, tooltips, pydeck layers and deck.

Nothing here reads the database or draws; the page passes plain data in and gets a `pdk.Deck`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from urllib.parse import quote

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from data_access.registry import INDICATORS, INDICATORS_BY_KEY, PILLARS, Indicator
from ui import format as fmt
from ui.coords import convert_geometry, converter
from ui.i18n import current_language, pick, t, t_text
from ui.plain import html_text

# ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey): light = worse, dark = better.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 255, 204),
    (161, 218, 180),
    (65, 182, 196),
    (44, 127, 184),
    (37, 52, 148),
)
NO_DATA = (200, 200, 200)
DENSITY_COLORS = [
    [253, 208, 162],
    [253, 190, 133],
    [253, 174, 107],
    [253, 141, 60],
    [230, 85, 13],
    [166, 54, 3],
]
SCORE_KINDS = ("index", "pillar")


@dataclass(frozen=True)
class MeasureInfo:
    """What a map measure is: its key, label, unit and how to read its values."""

    key: str
    label: str
    unit: str
    higher_is_better: bool
    per_10k: bool
    indicator: Indicator | None

    @property
    def is_score(self) -> bool:
        """Whether the measure is a 0–100 index score."""
        return self.indicator is None


def measure_keys() -> list[str]:
    """Every measure the map can colour by: the index, the five pillars, each indicator."""
    return ["index", *(f"pillar.{p.key}" for p in PILLARS), *(f"ind.{i.key}" for i in INDICATORS)]


def _per_10k(ind: Indicator) -> bool:
    # Counts that grow with the number of residents compare fairly only per head; rates, ratios,
    # monthly averages and stocks shared out by community count are already comparable.
    return ind.scale == "population" and ind.kind in ("flow", "stock", "stock_lower_better")


def measure_info(key: str) -> MeasureInfo:
    """The measure behind a key of `measure_keys()`, labelled in the active language."""
    if key == "index":
        return MeasureInfo(key, t("map.measure.index"), t("map.score.unit"), True, False, None)
    if key.startswith("pillar."):
        pillar = next(p for p in PILLARS if p.key == key.removeprefix("pillar."))
        label = t_text("map.measure.pillar", pillar=pick(pillar.name_zh, pillar.name_en))
        return MeasureInfo(key, label, t("map.score.unit"), True, False, None)
    ind = INDICATORS_BY_KEY[key.removeprefix("ind.")]
    per = _per_10k(ind)
    unit = pick(ind.unit_zh, ind.unit_en)
    if per:
        label = t_text("map.measure.per10k", name=pick(ind.name_zh, ind.name_en))
        if not unit:
            unit = pick("个", "count")
        unit = t_text("map.per10k", unit=unit)
    else:
        label = pick(ind.name_zh, ind.name_en)
    return MeasureInfo(key, label, unit, ind.higher_is_better, per, ind)


def measure_value(info: MeasureInfo, row: dict) -> float | None:
    """The measure's value in one region's row of measures (per 10,000 residents if so)."""
    value = row.get(info.key)
    if value is None:
        return None
    if info.per_10k:
        population = row["region"].population
        return value * 10_000 / population if population else None
    return float(value)


def format_value(info: MeasureInfo, value: float | None) -> str:
    """A measure's value as text with its unit, in the active locale."""
    if value is None:
        return t("map.no_data")
    if info.is_score:
        return t_text("map.points", value=fmt.number(value, 1))
    if info.per_10k:
        text = fmt.number(value, 2 if abs(value) < 10 else 1)
        return f"{text}{info.unit}" if current_language() == "zh" else f"{text} {info.unit}"
    return fmt.indicator_value(info.indicator, value)


def format_number(info: MeasureInfo, value: float) -> str:
    """A measure's value as a bare number (the legend states the unit once)."""
    if info.is_score or info.per_10k:
        return fmt.number(value, 2 if abs(value) < 10 else 1)
    if info.indicator is not None and info.indicator.kind == "rate":
        return fmt.number(value, 2)
    return fmt.compact(value)


def format_change(info: MeasureInfo, value: float | None, before: float | None) -> str:
    """The change against the same period a year before: points, percentage points or %."""
    if value is None or before is None:
        return t("map.no_data")
    if info.is_score:
        return t_text("map.change.points", value=f"{value - before:+.1f}")
    if info.indicator is not None and info.indicator.kind == "rate":
        return f"{value - before:+.2f} pp"
    if before == 0:
        return t("map.no_data")
    return f"{(value - before) / abs(before):+.1%}"


def class_breaks(values: list[float | None], n: int = len(PALETTE)) -> list[float]:
    """Equal-width class limits (n + 1 numbers) from the lowest to the highest value."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return []
    low, high = min(present), max(present)
    if high == low:
        return [low, high]
    step = (high - low) / n
    return [low + step * i for i in range(n)] + [high]


def class_of(value: float | None, breaks: list[float]) -> int | None:
    """The class index (0 = lowest values) of a value, or None without a value."""
    if value is None or not breaks:
        return None
    if len(breaks) == 2 and breaks[0] == breaks[1]:
        return None
    for i in range(len(breaks) - 1):
        if value <= breaks[i + 1]:
            return i
    return len(breaks) - 2


def color_for(
    value: float | None, breaks: list[float], higher_is_better: bool, alpha: int = 210
) -> list[int]:
    """The fill colour of a value: darker is better whichever way the measure points."""
    if value is not None and len(breaks) == 2 and breaks[0] == breaks[1]:
        return [*PALETTE[len(PALETTE) // 2], alpha]
    index = class_of(value, breaks)
    if index is None:
        return [*NO_DATA, 120]
    if not higher_is_better:
        index = len(PALETTE) - 1 - index
    return [*PALETTE[index], alpha]


def legend_entries(info: MeasureInfo, breaks: list[float]) -> list[tuple[str, str]]:
    """The legend's rows, best first: (CSS colour, value range as text)."""
    rows: list[tuple[str, str]] = []
    if len(breaks) >= 2:
        pairs = [(breaks[i], breaks[i + 1]) for i in range(len(breaks) - 1)]
        for low, high in pairs:
            mid = (low + high) / 2
            r, g, b, _ = color_for(mid, breaks, info.higher_is_better)
            text = f"{format_number(info, low)} – {format_number(info, high)}"
            rows.append((f"rgb({r},{g},{b})", text))
        if info.higher_is_better:
            rows.reverse()
    rows.append((f"rgb({NO_DATA[0]},{NO_DATA[1]},{NO_DATA[2]})", t("map.no_data")))
    return rows


def legend_html(info: MeasureInfo, breaks: list[float], level: str) -> str:
    """The legend as HTML: title, unit, scale rule and colour rows (every text escaped)."""
    esc = html_text
    parts = [
        f"<div style='font-size:0.85rem;line-height:1.5'><b>"
        f"{esc(t_text('map.legend.title', measure=info.label))}</b><br>",
        f"{esc(t_text('map.legend.unit', unit=info.unit))}<br>",
    ]
    for color, text in legend_entries(info, breaks):
        parts.append(
            f"<span style='display:inline-block;width:0.9em;height:0.9em;background:{color};"
            f"border:1px solid #888;margin-right:0.4em;vertical-align:middle'></span>"
            f"{esc(text)}<br>"
        )
    classes = max(len(breaks) - 1, 1)
    scale = t_text("map.legend.scale", n=classes, level=t_text(f"map.level.{level}"))
    parts.append(f"<span style='color:#666'>{esc(scale)}<br>{esc(t('map.legend.density'))}")
    parts.append("</span></div>")
    return "".join(parts)


def ranks(values: dict[str, float | None], higher_is_better: bool) -> dict[str, int]:
    """Rank of each code among those with a value (1 = best; ties share the better rank)."""
    present = sorted(((v, c) for c, v in values.items() if v is not None), reverse=higher_is_better)
    out: dict[str, int] = {}
    for position, (value, code) in enumerate(present, start=1):
        previous = present[position - 2][0] if position > 1 else None
        out[code] = out[present[position - 2][1]] if previous == value else position
    return out


def _plain(text: str) -> str:
    # Streamlit HTML-escapes each {field} it puts into the tooltip; braces are swapped for
    # full-width ones so that a name cannot smuggle in another {field} placeholder.
    return str(text).replace("{", "｛").replace("}", "｝")


def tooltip(measure_label: str) -> dict:
    """The deck's tooltip: labels escaped here, per-object fields escaped by Streamlit."""
    esc = html_text
    return {
        "html": (
            "<b>{name}</b><br>"
            f"{esc(measure_label)}: {{value}}<br>"
            f"{esc(t('map.tooltip.rank'))}: {{rank}}<br>"
            f"{esc(t('map.tooltip.change'))}: {{change}}"
        ),
        "style": {"fontSize": "0.85rem", "maxWidth": "22rem"},
    }


@dataclass(frozen=True)
class Shown:
    """One region on the map with its measure: what layers and tooltips show."""

    code: str
    name: str
    lon: float
    lat: float
    value: float | None
    before: float | None


def tooltip_fields(info: MeasureInfo, shown: Shown, rank: int | None, count: int) -> dict:
    """The per-object tooltip fields (plain text): name, value, rank, change."""
    return {
        "code": shown.code,
        "name": _plain(shown.name),
        "value": _plain(format_value(info, shown.value)),
        "rank": _plain(
            t_text("map.rank", rank=rank, count=count) if rank else t_text("map.no_data")
        ),
        "change": _plain(format_change(info, shown.value, shown.before)),
    }


def district_features(
    boundaries: dict[str, dict],
    shown: list[Shown],
    info: MeasureInfo,
    breaks: list[float],
    crs: str,
    selected: str | None = None,
) -> list[dict]:
    """GeoJSON features of the districts with fill colour and tooltip fields."""
    convert = converter("gcj02", crs)
    by_code = {s.code: s for s in shown}
    order = ranks({s.code: s.value for s in shown}, info.higher_is_better)
    features = []
    for code, geometry in sorted(boundaries.items()):
        item = by_code.get(code)
        props: dict = {"code": code}
        if item is not None:
            props.update(tooltip_fields(info, item, order.get(code), len(order)))
            fill = color_for(item.value, breaks, info.higher_is_better)
        else:
            fill = [235, 235, 235, 90]
        props["fill"] = fill
        props["line"] = [20, 20, 20, 255] if code == selected else [90, 90, 90, 200]
        props["width"] = 3 if code == selected else 1
        features.append(
            {
                "type": "Feature",
                "geometry": convert_geometry(geometry, convert),
                "properties": props,
            }
        )
    return features


def districts_layer(
    features: list[dict], pickable: bool = True, layer_id: str = "districts"
) -> pdk.Layer:
    """The district polygons: filled by the measure and outlined when they can be clicked (the
    city view); otherwise outlines only (the district in view, as context: one layer less for the
    browser to tessellate and draw)."""
    return pdk.Layer(
        "GeoJsonLayer",
        id=layer_id,
        data={"type": "FeatureCollection", "features": features},
        pickable=pickable,
        stroked=True,
        filled=pickable,
        get_fill_color="properties.fill",
        get_line_color="properties.line",
        get_line_width="properties.width",
        line_width_units="'pixels'",
        line_width_min_pixels=1,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 60],
    )


def points(
    shown: list[Shown],
    info: MeasureInfo,
    breaks: list[float],
    crs: str,
    base_radius: float,
    selected: str | None = None,
) -> list[dict]:
    """Point records (one per region) with position, colour, radius and tooltip fields."""
    convert = converter("gcj02", crs)
    order = ranks({s.code: s.value for s in shown}, info.higher_is_better)
    present = [s.value for s in shown if s.value is not None]
    low, high = (min(present), max(present)) if present else (0.0, 0.0)
    records = []
    for item in shown:
        lon, lat = convert(item.lon, item.lat)
        share = 0.0 if item.value is None or high == low else (item.value - low) / (high - low)
        if not info.higher_is_better and item.value is not None:
            share = 1.0 - share
        record = tooltip_fields(info, item, order.get(item.code), len(order))
        record.update(
            lon=round(lon, 5),
            lat=round(lat, 5),
            fill=color_for(item.value, breaks, info.higher_is_better, alpha=230),
            radius=round(base_radius * (0.6 + 0.8 * share), 1),
            line=[220, 30, 30, 255] if item.code == selected else [40, 40, 40, 200],
            width=3 if item.code == selected else 1,
        )
        records.append(record)
    return records


def points_layer(layer_id: str, records: list[dict]) -> pdk.Layer:
    """Streets or communities as circles sized and coloured by the measure."""
    return pdk.Layer(
        "ScatterplotLayer",
        id=layer_id,
        data=records,
        pickable=True,
        stroked=True,
        filled=True,
        get_position="[lon, lat]",
        get_fill_color="fill",
        get_line_color="line",
        get_line_width="width",
        get_radius="radius",
        radius_min_pixels=4,
        line_width_units="'pixels'",
        auto_highlight=True,
    )


# Local fonts only (the browser draws the glyph atlas itself; nothing is fetched): a Chinese
# sans-serif where the system has one, else the browser's own sans-serif.
LABEL_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"


def labels_layer(layer_id: str, records: list[dict]) -> pdk.Layer:
    """The regions' names under their circles (deck.gl draws only the characters listed, so
    the names' own characters are passed: an atlas of a few dozen glyphs, not of all of CJK)."""
    characters = "".join(sorted({ch for record in records for ch in record["name"]}))
    layer = pdk.Layer(
        "TextLayer",
        id=layer_id,
        data=[{"lon": r["lon"], "lat": r["lat"], "name": r["name"]} for r in records],
        pickable=False,
        get_position="[lon, lat]",
        get_text="name",
        get_size=13,
        get_color=[30, 30, 30, 255],
        get_text_anchor="'middle'",
        get_alignment_baseline="'top'",
        get_pixel_offset=[0, 9],
        font_family=f"'{LABEL_FONT}'",
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=[255, 255, 255, 230],
    )
    # Set after construction: pydeck would turn a string argument into an expression (or strip
    # its quotes), and a list of strings into an expression too; deck.gl takes a plain string.
    layer.character_set = characters
    return layer


def density_layer(weights: list[tuple[float, float, int]], crs: str, radius: float) -> pdk.Layer:
    """The period's activities as hexagons, from one weighted point per community."""
    convert = converter("gcj02", crs)
    data = []
    for lon, lat, n in weights:
        x, y = convert(lon, lat)
        data.append({"lon": round(x, 5), "lat": round(y, 5), "n": n})
    return pdk.Layer(
        "HexagonLayer",
        id="density",
        data=data,
        pickable=False,
        extruded=False,
        get_position="[lon, lat]",
        get_color_weight="n",
        color_aggregation="'SUM'",
        get_elevation_weight="n",
        elevation_aggregation="'SUM'",
        radius=radius,
        coverage=0.9,
        opacity=0.35,
        color_range=DENSITY_COLORS,
        gpu_aggregation=False,
    )


def bbox_of_geometry(geometries: list[dict]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of GeoJSON polygons."""
    xs: list[float] = []
    ys: list[float] = []
    for geometry in geometries:
        polys = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for poly in polys:
            for ring in poly:
                for lon, lat, *_ in ring:
                    xs.append(lon)
                    ys.append(lat)
    return min(xs), min(ys), max(xs), max(ys)


def view_for(
    bbox: tuple[float, float, float, float], crs: str, width: int = 640, height: int = 560
) -> pdk.ViewState:
    """A flat view fitting a (west, south, east, north) box (GCJ-02) in a chart of that size."""
    west, south, east, north = bbox
    lon, lat = converter("gcj02", crs)((west + east) / 2, (south + north) / 2)
    span_x = max(east - west, 0.005)
    span_y = max(north - south, 0.005) / math.cos(math.radians(lat))
    zoom = min(math.log2(width * 360 / (512 * span_x)), math.log2(height * 360 / (512 * span_y)))
    return pdk.ViewState(
        longitude=round(lon, 5), latitude=round(lat, 5), zoom=round(zoom - 0.1, 2), pitch=0
    )


def basemap_style(tile_url: str | None) -> str | None:
    """A raster-only map style for an intranet XYZ tile server, as a data: URL (no fetch of a
    style file, no glyphs or sprites), or None for no basemap."""
    if not tile_url:
        return None
    style = {
        "version": 8,
        "sources": {
            "tiles": {"type": "raster", "tiles": [tile_url], "tileSize": 256, "maxzoom": 18}
        },
        "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
    }
    return "data:application/json," + quote(json.dumps(style, separators=(",", ":")))


class CompactDeck(pdk.Deck):
    """A deck whose JSON has no indentation: a third of the bytes sent to the browser."""

    def to_json(self) -> str:
        """The deck as compact JSON (what Streamlit sends)."""
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def build_deck(
    layers: list[pdk.Layer], view: pdk.ViewState, measure_label: str, tile_url: str | None
) -> pdk.Deck:
    """The deck: no internet basemap; an intranet tile server's raster style if configured."""
    style = basemap_style(tile_url)
    # map_provider=None with the default style sentinel is the one combination for which
    # Streamlit's deck.gl draws no basemap at all (map_style=None would fall back to Carto).
    kwargs: dict = {"map_provider": None}
    if style is not None:
        kwargs["map_style"] = style
    return CompactDeck(
        layers=layers, initial_view_state=view, tooltip=tooltip(measure_label), **kwargs
    )
