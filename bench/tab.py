"""A signed-in browser tab as a websocket client: connect to a server (or nginx) with a session
cookie and run a page the way Streamlit's front end asks for it. Used by the load and fleet
benches and by the deployment tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# Every Overview run sends the composite index's label; a run without it did not show the page
# (for instance the sign-in page, if the session cookie were refused).
OVERVIEW_MARK = "幸福指数".encode()
STORE_MARK = "数据库".encode()  # every store line says 数据库… (unreachable, busy, …)
# script_finished: finished, or stopped because a rerun was requested.
FINISHED_WELL = (0, 3)


@dataclass
class PageRun:
    """What one run of the page sent."""

    shown: bool = False  # the Overview's mark
    store: bool = False  # a store line (the store unreachable, busy, …)
    exceptions: list[str] = field(default_factory=list)  # exception elements' messages
    finished: int | None = None  # the script_finished code
    size: int = 0  # bytes received

    @property
    def ok(self) -> bool:
        """The Overview shown, no exception, the script finished."""
        return self.shown and not self.exceptions and self.finished in FINISHED_WELL

    @property
    def outcome(self) -> str:
        """ "exception", "page" (the Overview), "store" (a store line) or "other"."""
        if self.exceptions:
            return "exception"
        return "page" if self.shown else "store" if self.store else "other"


async def connect(port: int, cookie: str):
    """A websocket session of the app at 127.0.0.1:port, signed in by its session cookie."""
    return await websockets.connect(
        f"ws://127.0.0.1:{port}/_stcore/stream",
        subprotocols=["streamlit"],
        max_size=None,
        additional_headers={"Cookie": f"happy_session={cookie}"},
    )


async def page_run(ws, query: str, timeout: float = 300) -> PageRun:
    """Rerun the app's page with this query string on an open session; what it sent until its
    script finished (each message awaited at most `timeout` s)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = ""
    await ws.send(msg.SerializeToString())
    run = PageRun()
    while True:
        data = await asyncio.wait_for(ws.recv(), timeout=timeout)
        run.size += len(data)
        run.shown = run.shown or OVERVIEW_MARK in data
        run.store = run.store or STORE_MARK in data
        fwd = ForwardMsg()
        fwd.ParseFromString(data)
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
            run.exceptions.append(fwd.delta.new_element.exception.message[:200])
        if kind == "script_finished":
            run.finished = fwd.script_finished
            return run
