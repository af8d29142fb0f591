"""大屏 Wall screen: rotating, self-refreshing slides for command-centre screens."""

import streamlit as st

from ui import screen

screen.screen_page(st.session_state["store_url"])
