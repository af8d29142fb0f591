"""The shape of a warm Overview run, for the Streamlit-alone peer of the load bench
(bench/peer/shape_app.py): every element and block one run sends, in order, with its place in
the page, its text, its options, its chart's spec and data, and the navigation's pages. Recorded
from the app itself (AppTest, a signed-in admin, the city), so the peer draws what the current
Overview draws.

    python -m bench.peer.record --db sqlite:////tmp/happy-bench/a100000.db > shape.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _arrow_rows(data: bytes) -> list[dict]:
    """An Arrow IPC stream's rows (a chart's dataset) as plain dicts."""
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().to_pylist()


def _describe(msg) -> dict | None:
    """One ForwardMsg delta as what the peer needs to draw the same element or block."""
    delta = msg.delta
    path = list(msg.metadata.delta_path)
    kind = delta.WhichOneof("type")
    if kind == "add_block":
        block = delta.add_block
        which = block.WhichOneof("type")
        out = {"path": path, "block": which}
        if which == "popover":
            out["label"] = block.popover.label
        elif which == "expandable":
            out["label"] = block.expandable.label
            out["expanded"] = block.expandable.expanded
        elif which == "flex_container":
            out["horizontal"] = block.flex_container.direction == 2  # HORIZONTAL
        return out
    if kind != "new_element":
        return None
    element = delta.new_element
    which = element.WhichOneof("type")
    proto = getattr(element, which)
    out = {"path": path, "element": which}
    key = getattr(proto, "id", "")
    if key:
        out["key"] = key.rsplit("-", 1)[-1]
    if which in ("html", "markdown"):
        out["body"] = proto.body
        if which == "markdown":
            out["caption"] = proto.element_type == proto.Type.CAPTION
    elif which == "heading":
        out["body"], out["tag"] = proto.body, proto.tag
    elif which in ("button", "checkbox"):
        out["label"], out["help"] = proto.label, proto.help
    elif which == "selectbox":
        out["label"], out["options"] = proto.label, list(proto.options)
    elif which == "button_group":
        out["options"] = [option.content for option in proto.options]
    elif which == "vega_lite_chart":
        spec = json.loads(proto.spec)
        if proto.datasets:
            spec["datasets"] = {d.name: _arrow_rows(d.data.data) for d in proto.datasets}
        out["spec"] = spec
    return out


def shape_of(script: Path, session_state: dict | None = None, query: dict | None = None) -> dict:
    """What the third run of `script` under AppTest sends (the first two warm its caches): its
    elements and blocks in order (`_describe`) and its navigation's pages."""
    from streamlit.runtime.scriptrunner import script_runner
    from streamlit.testing.v1 import AppTest

    sent: list = []
    enqueue = script_runner.ScriptRunner._enqueue_forward_msg

    def kept(self, msg) -> None:
        sent.append(msg)
        return enqueue(self, msg)

    script_runner.ScriptRunner._enqueue_forward_msg = kept
    try:
        app = AppTest.from_file(str(script), default_timeout=600)
        for key, value in (session_state or {}).items():
            app.session_state[key] = value
        for key, value in (query or {}).items():
            app.query_params[key] = value
        app.run()
        app.run()
        sent.clear()
        app.run()
    finally:
        script_runner.ScriptRunner._enqueue_forward_msg = enqueue
    items = [d for d in map(_describe, (m for m in sent if m.HasField("delta"))) if d]
    pages = []
    for msg in sent:
        if msg.WhichOneof("type") == "navigation":
            pages = [
                {
                    "title": p.page_name,
                    "url": p.url_pathname,
                    "section": p.section_header,
                    "hidden": p.is_hidden,
                }
                for p in msg.navigation.app_pages
            ]
    return {"items": items, "pages": pages}


def record(url: str, period: str = "2025") -> dict:
    """The shape of a signed-in admin's warm city Overview of `period` on the store `url`."""
    os.environ["HAPPY_DB_URL"] = url
    from bench.signin import admin_tokens
    from data_access.auth import hash_token

    session = {"_auth_session": hash_token(admin_tokens(url, 1)[0])}
    return shape_of(ROOT / "app.py", session, {"period": period})


def recorded_shape(db: str, query: str = "period=2025") -> str:
    """The shape of the Overview at the page query `query` (its period), recorded in a process
    of its own (AppTest sets the store's URL in the environment), as JSON."""
    period = parse_qs(query).get("period", ["2025"])[0]
    return subprocess.run(
        [sys.executable, "-m", "bench.peer.record", "--db", db, "--period", period],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer.record")
    parser.add_argument("--db", required=True, help="the store URL")
    parser.add_argument("--period", default="2025")
    args = parser.parse_args(argv)
    print(json.dumps(record(args.db, args.period), ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
