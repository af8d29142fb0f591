"""Streamlit alone, drawing what a warm Overview run draws (bench/load.py `--peer`): the elements
and blocks recorded from the app by bench/peer/record.py (shape.json beside this file, as
app.py of a folder of its own), in the same order and places, with the same texts, options,
widget keys and chart specs, through Streamlit's public API, and the same navigation, but
nothing of the app's own work: no store, no sign-in, no reader, no Altair (the charts are their
recorded Vega-Lite specs). Its cost a run is Streamlit's floor for a page of this shape."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

st.set_page_config(page_title="幸福社区看板", page_icon="🏠", layout="wide")


@st.cache_resource
def shape() -> dict:
    return json.loads((Path(__file__).parent / "shape.json").read_text(encoding="utf-8"))


def _columns(items: list[dict], at: int) -> int:
    """How many column blocks the block at `items[at]` holds directly (st.columns' shape)."""
    path = items[at]["path"]
    return sum(
        1 for item in items[at + 1 :] if item.get("block") == "column" and item["path"][:-1] == path
    )


def draw() -> None:
    items = shape()["items"]
    places: dict[tuple, object] = {(0,): st, (1,): st.sidebar, (2,): st, (3,): st}
    for at, item in enumerate(items):
        path = tuple(item["path"])
        if path in places:  # a column made with its row by st.columns
            continue
        parent = places[path[:-1]]
        block, element = item.get("block"), item.get("element")
        if block == "flex_container":
            n = _columns(items, at)
            if n:
                columns = parent.columns(n)
                kids = [i for i in items[at + 1 :] if i.get("block") == "column"]
                for column, kid in zip(columns, kids, strict=False):
                    places[tuple(kid["path"])] = column
                places[path] = parent
            else:
                places[path] = parent.container(horizontal=item["horizontal"])
        elif block == "popover":
            places[path] = parent.popover(item["label"])
        elif block == "expandable":
            places[path] = parent.expander(item["label"], expanded=item["expanded"])
        elif block is not None:
            places[path] = parent.container()
        elif element == "html":
            parent.html(item["body"])
        elif element == "markdown":
            (parent.caption if item["caption"] else parent.markdown)(item["body"])
        elif element == "heading":
            {"h1": parent.title, "h2": parent.header}.get(item["tag"], parent.subheader)(
                item["body"]
            )
        elif element == "button":
            parent.button(item["label"], key=item["key"], help=item["help"] or None)
        elif element == "checkbox":
            parent.checkbox(item["label"], key=item["key"], help=item["help"] or None)
        elif element == "selectbox":
            parent.selectbox(item["label"], item["options"], key=item["key"])
        elif element == "button_group":
            parent.segmented_control(
                "选项", item["options"], key=item["key"], label_visibility="collapsed"
            )
        elif element == "vega_lite_chart":
            key = item.get("key")
            parent.vega_lite_chart(
                item["spec"], key=key, on_select="rerun" if key else "ignore", width="stretch"
            )
        else:
            raise ValueError(f"the peer cannot draw {element or block}")


pages: dict[str, list] = {}
for n, page in enumerate(shape()["pages"]):
    pages.setdefault(page["section"], []).append(
        st.Page(
            draw,
            title=page["title"],
            url_path=page["url"] or f"page-{n}",
            default=n == 0,
            visibility="hidden" if page["hidden"] else "visible",
        )
    )
st.navigation(pages, expanded=True).run()
