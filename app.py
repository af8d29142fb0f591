"""幸福社区看板 — the router: page config, store readiness, sign-in gate, navigation by role."""

import streamlit as st

from ui import auth
from ui.bootstrap import ensure_store, guarded
from ui.exports import forget_view
from ui.filters import language_switch
from ui.i18n import t
from ui.navigation import NOT_ALLOWED, PAGE_ICON, PAGES, menu_for, navigate
from ui.style import PAGE_STYLE

st.set_page_config(page_title="幸福社区看板", page_icon=PAGE_ICON, layout="wide")
st.html(PAGE_STYLE)  # the app's style (ui/style.py), once a run
language_switch()
forget_view()  # a page's downloads describe the view that page says it shows
url = st.session_state["store_url"] = ensure_store()
guarded(auth.ensure_accounts, url)


link = guarded(auth.screen_link, url)
if link is not False:
    # A wall screen: read-only, one page, the link's region, no menus, no account.
    if link is None:
        st.error(t("auth.screen_invalid"))
        st.stop()
    auth.set_viewer(None, link.region_code)
    guarded(navigate({"": [link.page]}, PAGES[link.page], position="hidden").run)
    st.stop()

account = guarded(auth.current_account, url)
auth.write_cookie()
if account is None:
    # Any page's URL shows the sign-in form; once signed in, the same URL opens that page.
    guarded(navigate({"": ["sign-in"]}, PAGES["sign-in"]).run)
    st.stop()

if guarded(auth.must_change_password, url, account):
    # The first admin's one-time password (printed to the server's log) is replaced first.
    guarded(auth.change_password_page, url, account)
    st.stop()
auth.password_changed_notice()
auth.set_viewer(account, account.scope_code)
auth.account_sidebar(url, account)
# A page outside this account's menu (a leader at /record) shows a notice with a way back.
guarded(navigate(menu_for(account), NOT_ALLOWED).run)
