"""Streamlit alone: apps of the dashboard's shape with none of its own work (no store, no
sign-in, no reader, no Altair), run by the start and load benches beside the app in the same run
(`--peer`). What they cost is Streamlit's own floor on the machine for a page of that shape.

- bare_app.py: the page config, a sidebar line and the navigation, and an Overview of a heading
  and a line (bench/start.py: the first page after a start).
- shape_app.py: what a warm Overview run draws, recorded from the app by record.py
  (bench/load.py: 50 sessions rerunning it).
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def peer_tree(folder: Path, app: str, shape: str | None = None) -> Path:
    """A folder of its own under `folder` holding the peer app `app` (a file of this package) as
    its app.py, the project's Streamlit settings, and `shape` (record.py's JSON) if given."""
    tree = folder / f"peer-{Path(app).stem}"
    (tree / ".streamlit").mkdir(parents=True)
    shutil.copyfile(HERE / app, tree / "app.py")
    shutil.copyfile(ROOT / ".streamlit" / "config.toml", tree / ".streamlit" / "config.toml")
    if shape is not None:
        (tree / "shape.json").write_text(shape, encoding="utf-8")
    return tree
