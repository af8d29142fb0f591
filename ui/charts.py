"""Chart specs for the pages: written in Altair (chart_specs/builders.py), drawn from their stored
JSON (chart_specs/specs.py, so that the server never imports Altair); this module adds what only
a page needs (the clicked region of a ranking chart)."""

from __future__ import annotations

import io
import json

from chart_specs.specs import (
    ACCENT,
    MUTED,
    OTHER,
    PICK,
    SERIES,
    THIS_REGION,
    Spec,
    grouped_bars,
    ranking_bars,
    trend_lines,
)
from ui.format import rows_memo

__all__ = [
    "arrow",
    "ACCENT",
    "MUTED",
    "OTHER",
    "PICK",
    "SERIES",
    "THIS_REGION",
    "Spec",
    "grouped_bars",
    "ranking_bars",
    "trend_lines",
]


def picked_code(event, code: str) -> str | None:
    """The region code clicked in a ranking chart's selection event, if any."""
    if not event:
        return None
    rows = event.get("selection", {}).get(PICK) or []
    return rows[0].get(code) if rows and isinstance(rows[0], dict) else None


@rows_memo(256)
def arrow(rows: list[dict]):
    """A chart's plain rows (dicts of the same columns) as an Arrow table: st.vega_lite_chart
    sends it as it is, where a DataFrame or a list would first be converted through pandas.
    Read from JSON lines by Arrow's own reader: pyarrow's Python constructors (pa.array,
    pa.table, Table.from_pylist) import pandas on first use (≈ 0.5 s on a first Overview).
    Made once for the same rows (an Arrow table is immutable: sessions share it)."""
    import pyarrow
    import pyarrow.json

    if not rows:
        return pyarrow.Table.from_batches([], schema=pyarrow.schema([]))
    data = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    # One block: a column's type is inferred from all its values (1 then 2.5: double).
    whole = pyarrow.json.ReadOptions(block_size=max(len(data) + 1, 1 << 20))
    return pyarrow.json.read_json(io.BytesIO(data), read_options=whole)
