"""The Admin page (管理): accounts, wall-screen links, indicator targets and weights.

Every change goes through data_access.accounts (which checks the actor is an admin and audits
it) in one write transaction; a refused or invalid change shows one message and writes nothing.
Passwords are handled in callbacks that blank the field before the script goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from data_access import cached
from data_access import clock as product_clock
from data_access.accounts import (
    ScopeRegion,
    add_account,
    add_screen_link,
    generate_password,
    list_scope_regions,
    reset_password,
    revoke_screen_link,
    set_account_active,
    unlock_account,
    update_account,
    update_indicator_setting,
    update_pillar_weight,
)
from data_access.auth import (
    ROLES,
    SCREEN_PAGES,
    AccountInfo,
    ScreenLinkInfo,
    list_accounts,
    list_screen_links,
    list_sign_in_locks,
    utcnow,
)
from data_access.db import read_session
from data_access.registry import INDICATORS, PILLARS
from data_access.scoring import get_settings
from ui import format as fmt
from ui.format import local_time, local_zone
from ui.i18n import pick, t
from ui.plain import plain
from ui.writes import SIGNED_IN, write

NOTICE_KEY = "_admin_notice"  # (kind, text) shown once after a change
SECRET_KEY = "_admin_secret"  # a generated password or link, shown once and then forgotten
TAB_KEY = "admin_tab"  # the chosen tab (its label), kept across the reruns a change makes


@st.cache_data(ttl=3600, show_spinner=False)
def _scope_regions(url: str) -> list[ScopeRegion]:
    with read_session(cached.get_engine(url)) as session:
        return list_scope_regions(session)


def _write(url: str, change: Callable, *args, clear_data: bool = False, **kwargs):
    """Run one change as the signed-in admin; on a refusal or a store failure keep a message
    and return None."""
    # Targets and weights feed every score: they forget every cached result at once.
    written = write(url, change, SIGNED_IN, *args, everything=clear_data, **kwargs)
    if not written.ok:
        st.session_state[NOTICE_KEY] = ("error", written.error)
        return None
    st.session_state[NOTICE_KEY] = ("success", t("admin.saved"))
    return written.value if written.value is not None else True


# Labels are made now, in this run's language, not whenever a widget asks (as filters.py does).
def _region_label(regions: dict[int, ScopeRegion]) -> Callable[[int], str]:
    levels = {level: t("level." + level) for level in {r.level for r in regions.values()}}
    labels = {
        r.id: f"{pick(r.name_zh, r.name_en)} · {levels[r.level]} · {r.code}"
        for r in regions.values()
    }
    return labels.__getitem__


def _role_label() -> Callable[[str], str]:
    return {role: t("role." + role) for role in ROLES}.__getitem__


def page(url: str) -> None:
    """The whole Admin page."""
    st.title(t("admin.title"))
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        getattr(st, notice[0])(notice[1])
    secret = st.session_state.pop(SECRET_KEY, None)
    if secret:
        st.info(secret[0])
        st.code(secret[1], language=None)
    regions = {r.id: r for r in _scope_regions(url)}
    # A key and on_change="rerun" keep the chosen tab in the session: without them the
    # notice that appears above the tabs after a write re-created them on the first tab.
    accounts_tab, links_tab, settings_tab = st.tabs(
        [t("admin.tab.accounts"), t("admin.tab.links"), t("admin.tab.settings")],
        key=TAB_KEY,
        on_change="rerun",
    )
    with accounts_tab:
        _accounts(url, regions)
    with links_tab:
        _links(url, regions)
    with settings_tab:
        _settings(url)


def _accounts_table(accounts: list[AccountInfo]) -> None:
    # st.dataframe shows cell values as text: names cannot inject markup.
    st.dataframe(
        [
            {
                t("admin.col.username"): a.username,
                t("admin.col.name"): a.display_name,
                t("admin.col.role"): t("role." + a.role),
                t("admin.col.scope"): pick(a.scope_name_zh, a.scope_name_en),
                t("admin.col.active"): a.is_active,
                t("admin.col.locked"): a.locked_until
                if a.locked_until and a.locked_until > utcnow()
                else None,
                t("admin.col.sso"): a.sso_identity,
            }
            for a in accounts
        ],
        hide_index=True,
        placeholder=fmt.EMPTY,
        width="stretch",
    )


def _on_create(url: str) -> None:
    s = st.session_state
    password = s.get("admin_new_password") or ""
    s["admin_new_password"] = ""
    generated = None if password else generate_password()
    done = _write(
        url,
        add_account,
        s.get("admin_new_username") or "",
        s.get("admin_new_name") or "",
        s.get("admin_new_role"),
        s.get("admin_new_scope"),
        password or generated,
        s.get("admin_new_sso") or None,
        # The admin chose or was shown this password: its owner replaces it at first sign-in.
        one_time_password=True,
    )
    if done and generated:
        s[SECRET_KEY] = (t("admin.generated"), generated)
    if done:
        s[NOTICE_KEY] = ("success", t("admin.created", username=plain(s["admin_new_username"])))
        for key in ("admin_new_username", "admin_new_name", "admin_new_sso"):
            s[key] = ""


def _on_reset(url: str) -> None:
    s = st.session_state
    password = s.get("admin_reset_password") or ""
    s["admin_reset_password"] = ""
    generated = None if password else generate_password()
    if _write(url, reset_password, s["admin_account"], password or generated) and generated:
        s[SECRET_KEY] = (t("admin.generated"), generated)


def _chosen(key: str) -> Callable:
    """A change applied to the item selected in widget `key` when the button is clicked."""

    def apply(url: str, change: Callable, *args) -> None:
        _write(url, change, st.session_state[key], *args)

    return apply


def _on_update(url: str) -> None:
    s = st.session_state
    _write(
        url,
        update_account,
        s["admin_account"],
        s["admin_edit_role"],
        s["admin_edit_scope"],
        s.get("admin_edit_name") or "",
        s.get("admin_edit_sso") or None,
    )


def _accounts(url: str, regions: dict[int, ScopeRegion]) -> None:
    with read_session(cached.get_engine(url)) as session:
        accounts = list_accounts(session)
    _accounts_table(accounts)
    region_label = _region_label(regions)
    region_ids = list(regions)
    with st.expander(t("admin.create")), st.form("admin_create"):
        st.text_input(t("admin.col.username"), key="admin_new_username", max_chars=60)
        st.text_input(t("admin.col.name"), key="admin_new_name", max_chars=80)
        st.selectbox(t("admin.col.role"), ROLES, key="admin_new_role", format_func=_role_label())
        st.selectbox(
            t("admin.col.scope"), region_ids, key="admin_new_scope", format_func=region_label
        )
        st.text_input(
            t("auth.password"),
            key="admin_new_password",
            type="password",
            max_chars=128,
            help=t("admin.password_hint"),
            autocomplete="new-password",
        )
        st.text_input(t("admin.sso"), key="admin_new_sso", max_chars=200)
        st.form_submit_button(t("admin.create.submit"), on_click=_on_create, args=(url,))

    st.subheader(t("admin.manage"))
    by_id = {a.id: a for a in accounts}
    chosen = st.selectbox(
        t("admin.account"),
        list(by_id),
        format_func={i: f"{a.username} · {a.display_name}" for i, a in by_id.items()}.__getitem__,
        key="admin_account",
    )
    if chosen is None:
        return
    account = by_id[chosen]
    if st.session_state.get("_admin_edit_for") != chosen:
        # A newly chosen account: its current values fill the edit form.
        st.session_state["_admin_edit_for"] = chosen
        st.session_state["admin_edit_role"] = account.role
        st.session_state["admin_edit_scope"] = account.scope_region_id
        st.session_state["admin_edit_name"] = account.display_name
        st.session_state["admin_edit_sso"] = account.sso_identity or ""
    with st.form("admin_edit"):
        st.text_input(t("admin.col.name"), key="admin_edit_name", max_chars=80)
        st.selectbox(t("admin.col.role"), ROLES, key="admin_edit_role", format_func=_role_label())
        st.selectbox(
            t("admin.col.scope"), region_ids, key="admin_edit_scope", format_func=region_label
        )
        st.text_input(t("admin.sso"), key="admin_edit_sso", max_chars=200)
        st.form_submit_button(t("admin.save"), on_click=_on_update, args=(url,))
    left, right = st.columns(2)
    if account.is_active:
        left.button(
            t("admin.disable"),
            key="admin_disable",
            on_click=_chosen("admin_account"),
            args=(url, set_account_active, False),
        )
    else:
        left.button(
            t("admin.enable"),
            key="admin_enable",
            on_click=_chosen("admin_account"),
            args=(url, set_account_active, True),
        )
    right.button(
        t("admin.unlock"),
        key="admin_unlock",
        help=t("admin.unlock_help"),
        on_click=_chosen("admin_account"),
        args=(url, unlock_account),
    )
    with read_session(cached.get_engine(url)) as session:
        locks = list_sign_in_locks(session, account.username)
    if locks:
        clients = "、".join(f"{client}（{until:%H:%M} UTC）" for client, until in locks)
        st.caption(t("admin.locked_from", n=len(locks), clients=clients))
    with st.form("admin_reset"):
        st.text_input(
            t("admin.new_password"),
            key="admin_reset_password",
            type="password",
            max_chars=128,
            autocomplete="new-password",
        )
        st.form_submit_button(t("admin.reset"), on_click=_on_reset, args=(url,))


def _app_root() -> str:
    here = st.context.url or ""
    return here.removesuffix("/admin").rstrip("/") + "/"


def _expiry(day: date | None, clock: time | None) -> datetime | None:
    """The end of a link's validity from the form, in the users' zone: a date alone means the
    end of that day; neither means until revoked."""
    if day is None:
        return None
    if clock is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=local_zone())
    return datetime.combine(day, clock, tzinfo=local_zone())


def _on_issue(url: str, root: str) -> None:
    s = st.session_state
    day, clock = s.get("admin_link_expires_day"), s.get("admin_link_expires_time")
    if day is None and clock is not None:
        s[NOTICE_KEY] = ("error", t("admin.link.time_alone"))
        return
    issued = _write(
        url,
        partial(add_screen_link, expires_at=_expiry(day, clock)),
        s.get("admin_link_label") or "",
        s["admin_link_region"],
        s["admin_link_page"],
    )
    if issued:
        s[SECRET_KEY] = (t("admin.link.issued"), f"{root}?screen={issued.token}")
        s[TAB_KEY] = t("admin.tab.links")
        s["admin_link_label"] = ""
        s["admin_link_expires_day"] = s["admin_link_expires_time"] = None


def _link_state(link: ScreenLinkInfo, now: datetime) -> str:
    if link.revoked_at is not None:
        return t("admin.link.state.revoked")
    return t("admin.link.state.live" if link.is_live(now) else "admin.link.state.expired")


def _links(url: str, regions: dict[int, ScopeRegion]) -> None:
    with read_session(cached.get_engine(url)) as session:
        links = list_screen_links(session)
    with st.form("admin_link"):
        st.text_input(t("admin.link.label"), key="admin_link_label", max_chars=80)
        st.selectbox(
            t("admin.region"),
            list(regions),
            key="admin_link_region",
            format_func=_region_label(regions),
        )
        st.selectbox(
            t("admin.link.page"),
            SCREEN_PAGES,
            key="admin_link_page",
            format_func={p: t(f"page.{p}") for p in SCREEN_PAGES}.__getitem__,
        )
        day, clock = st.columns(2)
        day.date_input(
            t("admin.link.expires_day"),
            value=None,
            min_value=product_clock.today(),
            key="admin_link_expires_day",
            format="YYYY-MM-DD",
        )
        clock.time_input(
            t("admin.link.expires_time"), value=None, key="admin_link_expires_time", step=900
        )
        st.form_submit_button(t("admin.link.issue"), on_click=_on_issue, args=(url, _app_root()))
    if not links:
        st.caption(t("admin.link.none"))
        return
    now = utcnow()
    st.dataframe(
        [
            {
                t("admin.col.label"): link.label,
                t("admin.col.page"): t(f"page.{link.page}"),
                t("admin.col.region"): link.region_code,
                t("admin.col.status"): _link_state(link, now),
                t("admin.col.expires"): (
                    local_time(link.expires_at) if link.expires_at else t("admin.link.forever")
                ),
                t("admin.col.created"): local_time(link.created_at),
                t("admin.col.revoked"): local_time(link.revoked_at) if link.revoked_at else "",
            }
            for link in links
        ],
        hide_index=True,
        placeholder=fmt.EMPTY,
        width="stretch",
    )
    live = {link.id: link for link in links if link.is_live(now)}
    if live:
        st.selectbox(
            t("admin.link.revoke"),
            list(live),
            key="admin_revoke_link",
            format_func={i: f"{k.label} · {k.region_code}" for i, k in live.items()}.__getitem__,
        )
        st.button(
            t("admin.link.revoke"),
            key="admin_revoke",
            on_click=_chosen("admin_revoke_link"),
            args=(url, revoke_screen_link),
        )


def _on_indicator(url: str) -> None:
    s = st.session_state
    _write(
        url,
        update_indicator_setting,
        s["admin_indicator"],
        s.get("admin_target"),
        s.get("admin_weight"),
        clear_data=True,
    )


def _on_pillar(url: str) -> None:
    s = st.session_state
    _write(
        url, update_pillar_weight, s["admin_pillar"], s.get("admin_pillar_weight"), clear_data=True
    )


def _settings(url: str) -> None:
    with read_session(cached.get_engine(url)) as session:
        settings = get_settings(session)
    st.caption(t("admin.settings.caption"))
    names = {i.key: pick(i.name_zh, i.name_en) for i in INDICATORS}
    pillar_names = {p.key: pick(p.name_zh, p.name_en) for p in PILLARS}
    st.dataframe(
        fmt.table(
            pd.DataFrame(
                [
                    {
                        t("admin.pillar"): pillar_names[i.pillar],
                        t("admin.indicator"): names[i.key],
                        t("admin.col.target"): settings.targets.get(i.key),
                        t("admin.col.weight"): settings.weights.get(i.key),
                    }
                    for i in INDICATORS
                ]
            )
        ),
        hide_index=True,
        placeholder=fmt.EMPTY,
        width="stretch",
    )
    key = st.selectbox(
        t("admin.indicator"), list(names), key="admin_indicator", format_func=names.__getitem__
    )
    if st.session_state.get("_admin_settings_for") != key:
        st.session_state["_admin_settings_for"] = key
        st.session_state["admin_target"] = settings.targets.get(key)
        st.session_state["admin_weight"] = float(settings.weights.get(key, 1.0))
    with st.form("admin_indicator_form"):
        st.number_input(t("admin.target"), key="admin_target", min_value=0.0)
        st.number_input(t("admin.weight"), key="admin_weight", min_value=0.0, max_value=100.0)
        st.form_submit_button(t("admin.save_indicator"), on_click=_on_indicator, args=(url,))
    pillar = st.selectbox(
        t("admin.pillar"),
        list(pillar_names),
        key="admin_pillar",
        format_func=pillar_names.__getitem__,
    )
    if st.session_state.get("_admin_pillar_for") != pillar:
        st.session_state["_admin_pillar_for"] = pillar
        st.session_state["admin_pillar_weight"] = float(settings.pillar_weights.get(pillar, 1.0))
    with st.form("admin_pillar_form"):
        st.number_input(
            t("admin.pillar_weight"), key="admin_pillar_weight", min_value=0.0, max_value=100.0
        )
        st.form_submit_button(t("admin.save_pillar"), on_click=_on_pillar, args=(url,))
