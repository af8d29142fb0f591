"""Streamlit's own floor for bench/start.py (`--peer`): the dashboard's page config, a sidebar
and a navigation of Chinese page titles, and an Overview that writes its heading and one line,
with nothing of the app's: no store, no sign-in, no reader, no chart. Its first page after a
start is what any Streamlit app of this shape costs on the machine, measured in the same run as
the app's."""

import streamlit as st

st.set_page_config(page_title="幸福社区看板", page_icon="🏠", layout="wide")


def overview() -> None:
    st.title("总览")
    st.write("幸福指数")


def map_page() -> None:
    st.title("地图")


st.sidebar.write("账号")
st.navigation(
    {
        "": [
            st.Page(overview, title="总览", url_path="overview", default=True),
            st.Page(map_page, title="地图", url_path="map"),
        ]
    },  # fmt: skip
    expanded=True,
).run()
