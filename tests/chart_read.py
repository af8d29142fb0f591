"""The charts a page run drew, read as the browser gets them: each chart's spec as its builder
made it and its rows, whether the rows came beside the spec (a DataFrame, sent as Arrow: the
pillar pages) or inside it (charts.with_rows: the Overview)."""

from __future__ import annotations

import json

from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest


def unwrap(spec: dict) -> tuple[dict, list[dict] | None]:
    """A spec charts.with_rows made (perhaps inside the notes' layers) as its builder made it,
    and its rows; any other spec as it is, and None."""
    node = spec
    while "data" not in node and node.get("layer"):
        node = node["layer"][0]
    if node is spec or "data" not in node:
        return spec, None
    top = {key: value for key, value in spec.items() if key != "layer"}
    built = {key: value for key, value in node.items() if key != "data"}
    return {**built, **top}, node["data"]["values"]


def drawn(at: AppTest) -> list[tuple[dict, list[dict]]]:
    """Each chart of the run: its spec as built and its rows."""
    charts = []
    for chart in at.get("vega_lite_chart"):
        spec, rows = unwrap(json.loads(chart.proto.spec))
        if rows is None:
            rows = convert_arrow_bytes_to_pandas_df(chart.proto.data.data).to_dict("records")
        charts.append((spec, rows))
    return charts
