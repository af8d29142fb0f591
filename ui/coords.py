"""GCJ-02 ⇄ WGS-84 conversion (pure functions, no Streamlit).

China's published maps use GCJ-02, an obfuscated datum offset from WGS-84 by up to several hundred
metres. The boundary data and centroids are GCJ-02; a WGS-84 tile server (e.g. OpenStreetMap
tiles) needs layers shifted to WGS-84. The forward transform is the widely published one (Krasovsky
ellipsoid constants); the inverse has no closed form and is found by fixed-point iteration, exact
to well under a centimetre.
"""

from __future__ import annotations

import math
from collections.abc import Callable

CRS = ("gcj02", "wgs84")

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses it
_EE = 0.00669342162296594323


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def outside_china(lon: float, lat: float) -> bool:
    """Whether a point lies outside the rough box where GCJ-02 applies (no offset there)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """A WGS-84 (lon, lat) as GCJ-02."""
    if outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """A GCJ-02 (lon, lat) as WGS-84 (iterated inverse, error < 1e-7 degrees)."""
    if outside_china(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-9 and abs(dlat) < 1e-9:
            break
    return wlon, wlat


def converter(source: str, target: str) -> Callable[[float, float], tuple[float, float]]:
    """The (lon, lat) function taking coordinates from one CRS ('gcj02'/'wgs84') to another."""
    if source not in CRS or target not in CRS:
        raise ValueError(f"unknown coordinate system: {source} → {target}")
    if source == target:
        return lambda lon, lat: (lon, lat)
    return gcj02_to_wgs84 if source == "gcj02" else wgs84_to_gcj02


def convert_geometry(
    geometry: dict, convert: Callable[[float, float], tuple[float, float]], digits: int = 5
) -> dict:
    """A GeoJSON Polygon/MultiPolygon with every position converted and rounded."""

    def ring(points: list) -> list:
        out = []
        for lon, lat, *_ in points:
            x, y = convert(lon, lat)
            out.append([round(x, digits), round(y, digits)])
        return out

    kind = geometry["type"]
    if kind == "Polygon":
        coords = [ring(r) for r in geometry["coordinates"]]
    elif kind == "MultiPolygon":
        coords = [[ring(r) for r in poly] for poly in geometry["coordinates"]]
    else:
        raise ValueError(f"unsupported geometry: {kind}")
    return {"type": kind, "coordinates": coords}
