"""登录 Sign in: username and password, or single sign-on when configured."""

import streamlit as st

from ui import auth

auth.sign_in_page(st.session_state["store_url"])
