"""Administrators' writes: accounts, wall-screen links, indicator targets and weights.

Each write checks that the actor is an admin, validates its input (AccountError, in both
languages), and writes an audit row with the before and after (never a password or its hash).
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.audit import add_audit_row
from data_access.auth import (
    ROLES,
    SCOPE_LEVELS,
    SCREEN_PAGES,
    Role,
    clear_sign_in_failures,
    end_account_sessions,
    hash_password,
    hash_token,
    list_sign_in_locks,
    new_token,
    require_admin,
    utcnow,
    verify_password,
)
from data_access.messages import MessageError
from data_access.models import Account, IndicatorRow, PillarRow, Region, ScreenLink
from data_access.once import serialise

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,60}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 128
MAX_DISPLAY_NAME, MAX_LABEL = 80, 80
MAX_WEIGHT = 100.0
FIRST_ADMIN = "admin"

# The demo store's sample accounts (README.md): a leader of the district and a staff member of
# the community that the article names first (多福, placed in 大东区 by the demo).
DEMO_COMMUNITY_NAME = "多福社区"
DEMO_ACCOUNTS = (
    ("leader", "演示领导", "leader", "district", "leader-demo-2025"),
    ("staff", "演示社区工作者", "staff", "community", "staff-demo-2025"),
)


class AccountError(MessageError, ValueError):
    """Input an administrator must correct; `message` says what."""


def _public(account: Account) -> dict:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role,
        "scope_region_id": account.scope_region_id,
        "is_active": account.is_active,
        "sso_identity": account.sso_identity,
    }


def check_password(password: str) -> None:
    """Raise AccountError unless the password is long enough (and not absurdly long)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            f"密码长度须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符",
            f"A password must have {MIN_PASSWORD}–{MAX_PASSWORD} characters",
        )


def _scope_region(session: Session, region_id: int) -> Region:
    region = session.get(Region, region_id)
    if region is None or region.level not in SCOPE_LEVELS:
        raise AccountError(
            "管辖范围须为市、区县、街道或社区",
            "The scope must be the city, a district, street or community",
        )
    return region


def _role(role: str) -> Role:
    if role not in ROLES:
        raise AccountError("角色无效", f"Unknown role {role!r}")
    return role


def _display_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_DISPLAY_NAME:
        raise AccountError(
            f"姓名须为 1–{MAX_DISPLAY_NAME} 个字符",
            f"A name must have 1–{MAX_DISPLAY_NAME} characters",
        )
    return name


def _sso(identity: str | None) -> str | None:
    identity = (identity or "").strip().lower()
    return identity[:200] or None


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise AccountError("账户不存在", "No such account")
    return account


def _other_active_admins(session: Session, account_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.role == "admin", Account.is_active.is_(True), Account.id != account_id)
    )


def add_account(
    session: Session,
    actor_id: int | None,
    username: str,
    display_name: str,
    role: Role,
    scope_region_id: int,
    password: str | None = None,
    sso_identity: str | None = None,
    now: datetime | None = None,
    *,
    one_time_password: bool = False,
) -> int:
    """Create an account (with a password, a single-sign-on identity or both); return its id.
    With `one_time_password` (a password an administrator chose or was shown for someone
    else), the account must replace it at its first sign-in."""
    require_admin(session, actor_id)
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError(
            "用户名须为 3–60 个字母、数字或 _ . @ -",
            "A username has 3–60 letters, digits or _ . @ -",
        )
    if session.scalar(select(Account.id).where(Account.username == username)) is not None:
        raise AccountError("该用户名已被使用", "This username is taken")
    if password is None and not _sso(sso_identity):
        raise AccountError(
            "请设置密码或单点登录身份", "Give a password or a single-sign-on identity"
        )
    if password is not None:
        check_password(password)
    sso = _sso(sso_identity)
    if sso and session.scalar(select(Account.id).where(Account.sso_identity == sso)) is not None:
        raise AccountError("该单点登录身份已对应其他账户", "This sign-on identity has an account")
    account = Account(
        username=username,
        display_name=_display_name(display_name),
        role=_role(role),
        scope_region_id=_scope_region(session, scope_region_id).id,
        password_hash=hash_password(password) if password is not None else None,
        is_active=True,
        failed_attempts=0,
        created_at=now or utcnow(),
        sso_identity=sso,
        must_change_password=one_time_password and password is not None,
    )
    session.add(account)
    session.flush()
    add_audit_row(session, actor_id, "create", "account", account.id, None, _public(account), now)
    return account.id


def set_account_active(
    session: Session, actor_id: int | None, account_id: int, active: bool
) -> None:
    """Enable or disable an account; disabling signs it out everywhere."""
    require_admin(session, actor_id)
    account = _account(session, account_id)
    if not active and account.role == "admin" and _other_active_admins(session, account_id) == 0:
        raise AccountError("不能停用最后一个管理员", "The last administrator cannot be disabled")
    before = _public(account)
    account.is_active = active
    if not active:
        end_account_sessions(session, account_id)
    add_audit_row(
        session,
        actor_id,
        "enable" if active else "disable",
        "account",
        account_id,
        before,
        _public(account),
    )


def update_account(
    session: Session,
    actor_id: int | None,
    account_id: int,
    role: Role,
    scope_region_id: int,
    display_name: str | None = None,
    sso_identity: str | None = None,
) -> None:
    """Change an account's role, scope, name and single-sign-on identity."""
    require_admin(session, actor_id)
    account = _account(session, account_id)
    role = _role(role)
    if (
        account.role == "admin"
        and role != "admin"
        and _other_active_admins(session, account_id) == 0
    ):
        raise AccountError(
            "不能撤销最后一个管理员", "The last administrator must stay an administrator"
        )
    sso = _sso(sso_identity)
    if sso and session.scalar(
        select(Account.id).where(Account.sso_identity == sso, Account.id != account_id)
    ):
        raise AccountError("该单点登录身份已对应其他账户", "This sign-on identity has an account")
    before = _public(account)
    account.role = role
    account.scope_region_id = _scope_region(session, scope_region_id).id
    if display_name is not None:
        account.display_name = _display_name(display_name)
    account.sso_identity = sso
    add_audit_row(session, actor_id, "update", "account", account_id, before, _public(account))


def reset_password(session: Session, actor_id: int | None, account_id: int, password: str) -> None:
    """Set a new password, unlock the account and sign it out everywhere. The administrator
    knows this password, so the account must replace it at its next sign-in."""
    require_admin(session, actor_id)
    check_password(password)
    account = _account(session, account_id)
    account.password_hash = hash_password(password)
    account.must_change_password = True
    clear_sign_in_failures(session, account.username)
    end_account_sessions(session, account_id)
    add_audit_row(session, actor_id, "reset_password", "account", account_id, None, None)


def unlock_account(session: Session, actor_id: int | None, account_id: int) -> None:
    """Lift the account's username's sign-in locks from every client, and forget its failed
    sign-ins (they are counted per username and client address)."""
    require_admin(session, actor_id)
    account = _account(session, account_id)
    before = {"locked": [[c, u] for c, u in list_sign_in_locks(session, account.username)]}
    clear_sign_in_failures(session, account.username)
    add_audit_row(session, actor_id, "unlock", "account", account_id, before, None)


def generate_password() -> str:
    """A random password for a new or reset account (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def ensure_first_admin(session: Session, password: str | None) -> str | None:
    """Create the first admin (scope: the city) when the store has no account; return the
    password when it had to be generated, so the caller can print it once. Servers started
    together create it once: the others wait for this transaction and then find the account."""
    serialise(session, "accounts")
    if session.scalar(select(Account.id).limit(1)) is not None:
        return None
    city = session.scalar(select(Region.id).where(Region.level == "city"))
    if city is None:
        return None
    generated = None if password else generate_password()
    # A generated password was printed to the server's log: the admin replaces it at the first
    # sign-in. (One the operator chose in HAPPY_ADMIN_PASSWORD is theirs; demo accounts are not
    # asked either.)
    add_account(
        session,
        None,
        FIRST_ADMIN,
        "管理员",
        "admin",
        city,
        password or generated,
        one_time_password=generated is not None,
    )
    return generated


def password_change_due(session: Session, account_id: int) -> bool:
    """Whether the account must replace its password before anything else."""
    return bool(
        session.scalar(select(Account.must_change_password).where(Account.id == account_id))
    )


def change_own_password(session: Session, account_id: int, current: str, new: str) -> None:
    """The signed-in account replaces its own password: the current one must be right, the new
    one long enough and different. Its other sessions end; an audit row says so (no hashes)."""
    account = _account(session, account_id)
    if not account.is_active or not verify_password(account.password_hash, current):
        raise AccountError("当前密码不正确", "The current password is not right")
    check_password(new)
    if new == current:
        raise AccountError("新密码不能与当前密码相同", "The new password must differ")
    before = {"must_change_password": account.must_change_password}
    account.password_hash = hash_password(new)
    account.must_change_password = False
    end_account_sessions(session, account_id)
    add_audit_row(
        session,
        account_id,
        "change_password",
        "account",
        account_id,
        before,
        {"must_change_password": False},
    )


def demo_community(session: Session) -> Region | None:
    """The demo staff's community (多福社区; the first by code if several share the name)."""
    return session.scalar(
        select(Region)
        .where(Region.level == "community", Region.name_zh == DEMO_COMMUNITY_NAME)
        .order_by(Region.code)
        .limit(1)
    )


def add_demo_accounts(session: Session) -> None:
    """Add the demo leader and demo staff accounts (README.md) if missing."""
    serialise(session, "accounts")
    community = demo_community(session)
    if community is None:
        return
    scopes = {"community": community.id, "district": community.district_id}
    for username, name, role, level, password in DEMO_ACCOUNTS:
        if session.scalar(select(Account.id).where(Account.username == username)) is None:
            add_account(session, None, username, name, role, scopes[level], password)


def _number(value: float | None, allow_none: bool, zh: str, en: str) -> float | None:
    if value is None and allow_none:
        return None
    if value is None or not math.isfinite(float(value)) or float(value) < 0:
        raise AccountError(zh, en)
    return float(value)


def update_indicator_setting(
    session: Session,
    actor_id: int | None,
    key: str,
    target: float | None,
    weight: float,
) -> None:
    """Set an indicator's city-wide target and its weight within its pillar."""
    require_admin(session, actor_id)
    row = session.get(IndicatorRow, key)
    if row is None:
        raise AccountError("指标不存在", f"No indicator {key!r}")
    target = _number(target, True, "目标值须为非负数", "A target must be a number ≥ 0")
    weight = _number(weight, False, "权重须为非负数", "A weight must be a number ≥ 0")
    if weight > MAX_WEIGHT:
        raise AccountError(f"权重不能超过 {MAX_WEIGHT:g}", f"A weight is at most {MAX_WEIGHT:g}")
    before = {"target": row.target, "weight": row.weight}
    row.target, row.weight = target, weight
    add_audit_row(
        session, actor_id, "update", "indicator", key, before, {"target": target, "weight": weight}
    )


def update_pillar_weight(session: Session, actor_id: int | None, key: str, weight: float) -> None:
    """Set a pillar's weight in the composite index."""
    require_admin(session, actor_id)
    row = session.get(PillarRow, key)
    if row is None:
        raise AccountError("方面不存在", f"No pillar {key!r}")
    weight = _number(weight, False, "权重须为非负数", "A weight must be a number ≥ 0")
    if weight > MAX_WEIGHT:
        raise AccountError(f"权重不能超过 {MAX_WEIGHT:g}", f"A weight is at most {MAX_WEIGHT:g}")
    before = {"weight": row.weight}
    row.weight = weight
    add_audit_row(session, actor_id, "update", "pillar", key, before, {"weight": weight})


@dataclass(frozen=True)
class IssuedLink:
    id: int
    token: str


def add_screen_link(
    session: Session,
    actor_id: int | None,
    label: str,
    region_id: int,
    page: str = SCREEN_PAGES[0],
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> IssuedLink:
    """Issue a read-only wall-screen link, valid until revoked or until `expires_at` (an aware
    time, or naive UTC); the token is returned once and stored only hashed."""
    require_admin(session, actor_id)
    now = now or utcnow()
    if expires_at is not None:
        if expires_at.tzinfo is not None:
            expires_at = expires_at.astimezone(UTC).replace(tzinfo=None)
        if expires_at <= now:
            raise AccountError("有效期须晚于现在", "The link must expire in the future")
    label = label.strip()
    if not 1 <= len(label) <= MAX_LABEL:
        raise AccountError(
            f"名称须为 1–{MAX_LABEL} 个字符", f"A label must have 1–{MAX_LABEL} characters"
        )
    if page not in SCREEN_PAGES:
        raise AccountError("该页面不能用于大屏链接", f"Page {page!r} cannot be a screen")
    region = _scope_region(session, region_id)
    token = new_token()
    link = ScreenLink(
        token_hash=hash_token(token),
        label=label,
        page=page,
        region_id=region.id,
        created_by=actor_id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(link)
    session.flush()
    after = {"label": label, "page": page, "region_id": region.id}
    if expires_at is not None:
        after["expires_at"] = expires_at.isoformat()
    add_audit_row(session, actor_id, "create", "screen_link", link.id, None, after, now)
    return IssuedLink(link.id, token)


def revoke_screen_link(
    session: Session, actor_id: int | None, link_id: int, now: datetime | None = None
) -> None:
    """Revoke a screen link: the screen showing it stops at its next refresh."""
    require_admin(session, actor_id)
    link = session.get(ScreenLink, link_id)
    if link is None:
        raise AccountError("链接不存在", "No such link")
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        add_audit_row(session, actor_id, "revoke", "screen_link", link_id, None, None, now)


@dataclass(frozen=True)
class ScopeRegion:
    id: int
    code: str
    level: str
    name_zh: str
    name_en: str


def list_scope_regions(session: Session) -> list[ScopeRegion]:
    """Every region that can be a scope (city, districts, streets, communities), by code."""
    rows = session.execute(
        select(Region.id, Region.code, Region.level, Region.name_zh, Region.name_en)
        .where(Region.level.in_(SCOPE_LEVELS))
        .order_by(Region.code)
    )
    return [ScopeRegion(*r) for r in rows]
