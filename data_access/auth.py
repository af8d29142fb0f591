"""Who may see and change what: roles, scopes, passwords, sign-in sessions, wall-screen links.

Roles: a *leader* sees everything in their scope and changes nothing; *staff* record and edit
activities of the communities in their scope (their own community, or every community of their
street or district); an *admin* may do anything. Every account has a scope region.

Writes call `check_scope` (records of a community) or `require_admin` (accounts, targets, weights,
restoring deleted records) inside their transaction, so the rule holds whatever page calls them;
reads of a record by id filter with `viewer_clause` (leaders see their scope too).
An actor of None is a trusted operator (the command line, the demo generator); the app always
passes the signed-in account's id.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    delete,
    false,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from data_access.db import dialect_insert
from data_access.messages import MessageError
from data_access.models import Account, AuthSession, Region, ScreenLink, SignInFailure
from data_access.regions import RegionInfo, get_region_by_id, scope_clause
from data_access.registry import DATA_LEVELS, LEVELS

Role = Literal["leader", "staff", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
SCOPE_LEVELS = DATA_LEVELS
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
# Failures of a (username, client) pair that neither locked nor were followed by a sign-in are
# forgotten after a day (pruned at the next successful sign-in).
FAILURE_MEMORY = timedelta(days=1)
MAX_USERNAME, MAX_CLIENT = 60, 64  # the lengths of sign_in_failures.username and .client
DEFAULT_SESSION_HOURS = 8.0
# Pages a wall-screen link may open: the wall screen (大屏) first, the default.
SCREEN_PAGES = ("screen", "overview")


@functools.cache
def _hasher():
    """argon2's password hasher, imported at the first password hashed or checked: a signed-in
    session's pages never need it (importing argon2 and its cffi binding took ≈ 40 ms of a
    fresh process's first Overview; issue 15 part 4, tests/test_start_imports.py)."""
    from argon2 import PasswordHasher

    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that both cases take the same time;
    made at the first sign-in, not at import (an argon2 hash at every start)."""
    return _hasher().hash(secrets.token_urlsafe(16))


class PermissionDenied(MessageError):
    """A write the actor may not make; `message` says why."""


def utcnow() -> datetime:
    """Now, in UTC, as the naive datetime the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash (False for accounts without a password)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A long random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored: the store never holds a usable token."""
    # surrogatepass: a malformed token from a URL hashes to no stored one rather than raising.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class AccountInfo:
    id: int
    username: str
    display_name: str
    role: Role
    scope_region_id: int
    scope_code: str
    scope_level: str
    scope_name_zh: str
    scope_name_en: str
    is_active: bool
    locked_until: datetime | None
    sso_identity: str | None


def _select_accounts():
    # An account is shown as locked until its latest lock from any client ends (a summary: the
    # lock itself holds per username and client, see authenticate).
    locked_until = (
        select(func.max(SignInFailure.locked_until))
        .where(SignInFailure.username == Account.username)
        .scalar_subquery()
    )
    return select(
        Account.id,
        Account.username,
        Account.display_name,
        Account.role,
        Account.scope_region_id,
        Region.code,
        Region.level,
        Region.name_zh,
        Region.name_en,
        Account.is_active,
        locked_until,
        Account.sso_identity,
    ).join(Region, Region.id == Account.scope_region_id)


def get_account(session: Session, account_id: int) -> AccountInfo | None:
    """The account with this id, or None."""
    row = session.execute(_select_accounts().where(Account.id == account_id)).first()
    return AccountInfo(*row) if row else None


def get_account_by_username(session: Session, username: str) -> AccountInfo | None:
    """The account with this username, or None."""
    row = session.execute(_select_accounts().where(Account.username == username)).first()
    return AccountInfo(*row) if row else None


def list_accounts(session: Session) -> list[AccountInfo]:
    """Every account, by username."""
    return [AccountInfo(*r) for r in session.execute(_select_accounts().order_by(Account.username))]


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    status: Literal["ok", "invalid", "locked", "disabled"]
    account: AccountInfo | None = None
    locked_until: datetime | None = None


def authenticate(
    session: Session, username: str, password: str, *, client: str, now: datetime | None = None
) -> SignIn:
    """Check a username and password sent from `client` (its address), counting failures per
    username and client: 5 in a row lock that pair for 15 minutes, so that guessing from one
    place cannot lock the real user out everywhere (an admin can lift the lock sooner).

    Unknown usernames are answered exactly like known ones, in message and in work: every path
    verifies the password once (argon2) and keeps the same failure row, locked or not. Call in
    a write session: failures are recorded.
    """
    now = now or utcnow()
    name, client = _storable(username.strip())[:MAX_USERNAME], _storable(client)[:MAX_CLIENT]
    failure = _failure_row(session, name, client, now)
    account = session.scalar(select(Account).where(Account.username == name))
    right = verify_password(account.password_hash if account else None, password)
    if failure.locked_until is not None and failure.locked_until > now:
        return SignIn("locked", locked_until=failure.locked_until)
    if not right:
        if failure.locked_until is not None:  # a lock that has ended starts a new count
            failure.failed_attempts, failure.locked_until = 0, None
        failure.failed_attempts += 1
        failure.updated_at = now
        if failure.failed_attempts >= MAX_FAILED_ATTEMPTS:
            failure.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            return SignIn("locked", locked_until=failure.locked_until)
        return SignIn("invalid")
    if not account.is_active:
        return SignIn("disabled")
    session.delete(failure)
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.updated_at < now - FAILURE_MEMORY,
            (SignInFailure.locked_until.is_(None)) | (SignInFailure.locked_until < now),
        )
    )
    if _hasher().check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    session.flush()
    return SignIn("ok", get_account(session, account.id))


def _storable(text: str) -> str:
    # Whatever was typed becomes a key both stores accept (PostgreSQL refuses NUL in text; a
    # lone surrogate cannot be encoded); no account's username has such characters.
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _failure_row(session: Session, username: str, client: str, now: datetime) -> SignInFailure:
    """The failure count of (username, client), created at zero if new, locked for this
    transaction so that simultaneous attempts count one after another."""
    session.execute(
        dialect_insert(session.get_bind().dialect.name)(SignInFailure)
        .values(username=username, client=client, failed_attempts=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["username", "client"])
    )
    return session.scalars(
        select(SignInFailure)
        .where(SignInFailure.username == username, SignInFailure.client == client)
        .with_for_update()
    ).one()


def list_sign_in_locks(
    session: Session, username: str, now: datetime | None = None
) -> list[tuple[str, datetime]]:
    """The clients (addresses) from which this username is locked now, with the lock's end."""
    rows = session.execute(
        select(SignInFailure.client, SignInFailure.locked_until)
        .where(SignInFailure.username == username, SignInFailure.locked_until > (now or utcnow()))
        .order_by(SignInFailure.client)
    )
    return [(client, until) for client, until in rows]


def clear_sign_in_failures(session: Session, username: str) -> int:
    """Forget every failed sign-in of this username, from every client (lifting its locks);
    returns how many (username, client) counts there were."""
    return session.execute(delete(SignInFailure).where(SignInFailure.username == username)).rowcount


def find_sso_account(session: Session, identities: list[str]) -> AccountInfo | None:
    """The account mapped to any of a single-sign-on user's identities (email, subject)."""
    wanted = [i.strip().lower() for i in identities if i and i.strip()]
    if not wanted:
        return None
    account_id = session.scalar(select(Account.id).where(Account.sso_identity.in_(wanted)))
    return get_account(session, account_id) if account_id is not None else None


def start_session(
    session: Session,
    account_id: int,
    hours: float = DEFAULT_SESSION_HOURS,
    via: str = "password",
    now: datetime | None = None,
) -> str:
    """Open a sign-in session lasting `hours`; return its token (only its hash is stored)."""
    now = now or utcnow()
    token = new_token()
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            account_id=account_id,
            via=via,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def get_session_account(
    session: Session | Connection, token_hash: str, now: datetime | None = None
) -> AccountInfo | None:
    """The active account of a live (unexpired, unrevoked) session, or None."""
    # One query, built once: the router asks on every script run (on a connection: no session
    # is needed to read one row).
    values = {"token_hash": token_hash, "now": now or utcnow()}
    row = session.execute(_session_account(), values).first()
    return AccountInfo(*row) if row else None


@functools.cache
def _session_account():
    return (
        _select_accounts()
        .join(AuthSession, AuthSession.account_id == Account.id)
        .where(
            AuthSession.token_hash == bindparam("token_hash"),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > bindparam("now"),
            Account.is_active.is_(True),
        )
    )


def end_session(session: Session, token_hash: str, now: datetime | None = None) -> None:
    """Sign out: revoke the session."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def end_account_sessions(session: Session, account_id: int, now: datetime | None = None) -> None:
    """Revoke every session of an account (disabled, re-scoped, password reset)."""
    session.execute(
        update(AuthSession)
        .where(AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def region_in_scope(session: Session, scope_region_id: int, region_id: int) -> bool:
    """Whether a region lies in (or is) the scope region's subtree."""
    scope = session.get(Region, scope_region_id)
    target = session.get(Region, region_id)
    if scope is None or target is None:
        return False
    if scope.level == "city":
        return True
    if scope.level not in LEVELS[1:]:
        return False
    return getattr(target, f"{scope.level}_id", None) == scope.id or target.id == scope.id


def viewer_scope(session: Session, viewer_id: int | None) -> RegionInfo | bool:
    """What the viewer may see: True everything (an admin or a trusted operator, None), False
    nothing (a missing or disabled account, or one without a usable scope), else the region of
    its scope."""
    if viewer_id is None:
        return True
    account = session.get(Account, viewer_id)
    if account is None or not account.is_active:
        return False
    if account.role == "admin":
        return True
    scope = get_region_by_id(session, account.scope_region_id)
    if scope is None or scope.level not in SCOPE_LEVELS:
        return False
    return scope


def viewer_clause(session: Session, viewer_id: int | None, table) -> ColumnElement[bool]:
    """A WHERE clause limiting a table of records (with district_id, street_id, community_id) to
    those the viewer may see: an admin or a trusted operator (None) sees all, other accounts
    their scope's, a missing or disabled account nothing. Readers by id use it, so that an id out
    of scope and an id that does not exist give the same answer from the same query."""
    scope = viewer_scope(session, viewer_id)
    if isinstance(scope, bool):
        return true() if scope else false()
    clause = scope_clause(table, scope)
    return true() if clause is None else clause


def _actor(session: Session, actor_id: int) -> Account:
    account = session.get(Account, actor_id)
    if account is None or not account.is_active:
        raise PermissionDenied(
            "账户不存在或已停用，不能修改数据", "This account is missing or disabled"
        )
    return account


def check_region_scope(session: Session, actor_id: int | None, region_id: int) -> None:
    """Raise PermissionDenied unless the actor may write records of this region (any level)."""
    if actor_id is None:
        return
    account = _actor(session, actor_id)
    if account.role == "admin":
        return
    if account.role != "staff":
        raise PermissionDenied(
            "领导账户只能查看，不能修改数据", "Leader accounts can view but not change data"
        )
    if not region_in_scope(session, account.scope_region_id, region_id):
        raise PermissionDenied(
            "该社区不在您的管辖范围内，不能录入或修改", "This community is outside your scope"
        )


def check_scope(session: Session, actor_id: int | None, community_id: int) -> None:
    """Raise PermissionDenied unless the actor may record or edit activities of the community."""
    check_region_scope(session, actor_id, community_id)


def require_admin(session: Session, actor_id: int | None) -> None:
    """Raise PermissionDenied unless the actor is an active admin (None: a trusted operator)."""
    if actor_id is None:
        return
    if _actor(session, actor_id).role != "admin":
        raise PermissionDenied("只有管理员可以进行此操作", "Only an administrator may do this")


def can_write(account: AccountInfo | None) -> bool:
    """Whether the account may record activities anywhere (staff and admins)."""
    return account is not None and account.is_active and account.role in ("staff", "admin")


@dataclass(frozen=True)
class ScreenLinkInfo:
    id: int
    label: str
    page: str
    region_id: int
    region_code: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None  # UTC; None: until revoked

    def is_live(self, now: datetime) -> bool:
        """Whether the link still opens its screen at `now` (UTC)."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _select_links():
    return select(
        ScreenLink.id,
        ScreenLink.label,
        ScreenLink.page,
        ScreenLink.region_id,
        Region.code,
        ScreenLink.created_at,
        ScreenLink.revoked_at,
        ScreenLink.expires_at,
    ).join(Region, Region.id == ScreenLink.region_id)


def list_screen_links(session: Session) -> list[ScreenLinkInfo]:
    """Every screen link, newest first."""
    rows = session.execute(_select_links().order_by(ScreenLink.id.desc()))
    return [ScreenLinkInfo(*r) for r in rows]


def get_screen_link(
    session: Session, token: str, now: datetime | None = None
) -> ScreenLinkInfo | None:
    """The screen link with this token if it is neither revoked nor expired at `now`, or None.

    A wall screen calls this on every refresh, so a revoked or expired link stops it there."""
    row = session.execute(_select_links().where(ScreenLink.token_hash == hash_token(token))).first()
    link = ScreenLinkInfo(*row) if row else None
    return link if link is not None and link.is_live(now or utcnow()) else None
