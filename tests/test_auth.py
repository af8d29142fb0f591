"""Accounts, roles and scopes directly against data_access, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from data_access.accounts import (
    AccountError,
    add_account,
    add_screen_link,
    demo_community,
    reset_password,
    revoke_screen_link,
    set_account_active,
    unlock_account,
    update_account,
    update_indicator_setting,
    update_pillar_weight,
)
from data_access.auth import (
    LOCK_MINUTES,
    PermissionDenied,
    authenticate,
    check_region_scope,
    check_scope,
    end_session,
    find_sso_account,
    get_account_by_username,
    get_screen_link,
    get_session_account,
    hash_token,
    require_admin,
    start_session,
    utcnow,
)
from data_access.db import make_engine, read_session, write_session
from data_access.models import Account, AuditLog, AuthSession, Region, ScreenLink
from data_access.periods import parse_period
from data_access.regions import get_city, get_region_by_id
from data_access.scoring import get_index, get_settings
from tests.auth_helpers import ADMIN_PASSWORD, PASSWORDS
from tests.conftest import ROOT

PASSWORD = "correct-horse-battery"
CLIENT = "203.0.113.7"  # the address sign-ins come from (a documentation address)


@pytest.fixture(scope="module")
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def places(engine) -> dict[str, int]:
    """Region ids: 多福 community, another community of its street, one of its district but
    another street, one of another district; its street, its district, the city."""
    with read_session(engine) as s:
        duofu = demo_community(s)
        same_street = s.scalar(
            select(Region.id).where(
                Region.level == "community",
                Region.street_id == duofu.street_id,
                Region.id != duofu.id,
            )
        )
        same_district = s.scalar(
            select(Region.id).where(
                Region.level == "community",
                Region.district_id == duofu.district_id,
                Region.street_id != duofu.street_id,
            )
        )
        elsewhere = s.scalar(
            select(Region.id).where(
                Region.level == "community", Region.district_id != duofu.district_id
            )
        )
        grid = s.scalar(
            select(Region.id).where(Region.level == "grid", Region.community_id == duofu.id)
        )
        city = s.scalar(select(Region.id).where(Region.level == "city"))
        return {
            "community": duofu.id,
            "same_street": same_street,
            "same_district": same_district,
            "elsewhere": elsewhere,
            "grid": grid,
            "street": duofu.street_id,
            "district": duofu.district_id,
            "city": city,
        }


def _new(engine, role: str, scope: int, password: str = PASSWORD) -> int:
    with write_session(engine) as s:
        return add_account(s, None, f"u{uuid.uuid4().hex[:10]}", "测试", role, scope, password)


def _may_write(engine, actor: int | None, community: int) -> bool:
    with read_session(engine) as s:
        try:
            check_scope(s, actor, community)
        except PermissionDenied:
            return False
        return True


@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [
        ("admin", "city", {"community", "same_street", "same_district", "elsewhere"}),
        ("admin", "community", {"community", "same_street", "same_district", "elsewhere"}),
        ("leader", "city", set()),
        ("leader", "community", set()),
        ("staff", "community", {"community"}),
        ("staff", "street", {"community", "same_street"}),
        ("staff", "district", {"community", "same_street", "same_district"}),
        ("staff", "city", {"community", "same_street", "same_district", "elsewhere"}),
    ],
)
def test_check_scope_by_role_and_scope(engine, places, role, scope, allowed):
    actor = _new(engine, role, places[scope])
    for target in ("community", "same_street", "same_district", "elsewhere"):
        assert _may_write(engine, actor, places[target]) == (target in allowed), target


def test_refusals_say_why_in_both_languages(engine, places):
    staff = _new(engine, "staff", places["community"])
    leader = _new(engine, "leader", places["city"])
    with read_session(engine) as s:
        with pytest.raises(PermissionDenied) as outside:
            check_scope(s, staff, places["elsewhere"])
        with pytest.raises(PermissionDenied) as viewer:
            check_scope(s, leader, places["community"])
    assert "管辖范围" in outside.value.message.zh and "scope" in outside.value.message.en
    assert " / " in str(outside.value)
    assert "领导" in viewer.value.message.zh and "Leader" in viewer.value.message.en


def test_grids_belong_to_their_community_and_operators_may_write(engine, places):
    staff = _new(engine, "staff", places["community"])
    other = _new(engine, "staff", places["same_street"])
    with read_session(engine) as s:
        check_region_scope(s, staff, places["grid"])
        with pytest.raises(PermissionDenied):
            check_region_scope(s, other, places["grid"])
        check_scope(s, None, places["elsewhere"])  # the command line, the demo generator


def test_disabled_or_missing_accounts_write_nothing(engine, places):
    staff = _new(engine, "staff", places["community"])
    with write_session(engine) as s:
        set_account_active(s, None, staff, False)
    assert not _may_write(engine, staff, places["community"])
    assert not _may_write(engine, 10**9, places["community"])


def test_admin_writes_are_refused_to_leaders_and_staff(engine, places):
    leader = _new(engine, "leader", places["city"])
    staff = _new(engine, "staff", places["city"])
    admin = _new(engine, "admin", places["community"])
    victim = _new(engine, "staff", places["community"])
    writes = [
        lambda s, a: add_account(
            s, a, f"x{uuid.uuid4().hex[:8]}", "x", "staff", places["city"], PASSWORD
        ),
        lambda s, a: set_account_active(s, a, victim, True),
        lambda s, a: update_account(s, a, victim, "staff", places["street"]),
        lambda s, a: reset_password(s, a, victim, "another-password"),
        lambda s, a: unlock_account(s, a, victim),
        lambda s, a: update_indicator_setting(s, a, "hotline_requests_resolved", 40000.0, 1.0),
        lambda s, a: update_pillar_weight(s, a, "safety", 1.0),
        lambda s, a: add_screen_link(s, a, "screen", places["city"]),
        lambda s, a: require_admin(s, a),
    ]
    for write in writes:
        for actor in (leader, staff):
            with pytest.raises(PermissionDenied), write_session(engine) as s:
                write(s, actor)
        with write_session(engine) as s:
            write(s, admin)
    with write_session(engine) as s:  # restore what the admin changed, for the other tests
        update_indicator_setting(
            s, None, "hotline_requests_resolved", *_registry("hotline_requests_resolved")
        )


def _registry(key: str) -> tuple[float | None, float]:
    from data_access.registry import INDICATORS

    ind = next(i for i in INDICATORS if i.key == key)
    return ind.target, ind.weight


def test_account_validation_writes_nothing(engine, places):
    bad = [
        dict(username="a b", display_name="x", role="staff", scope_region_id=places["city"]),
        dict(username="okname1", display_name="", role="staff", scope_region_id=places["city"]),
        dict(username="okname2", display_name="x", role="boss", scope_region_id=places["city"]),
        dict(username="okname3", display_name="x", role="staff", scope_region_id=places["grid"]),
        dict(username="admin", display_name="x", role="staff", scope_region_id=places["city"]),
    ]
    for kwargs in bad:
        with pytest.raises(AccountError), write_session(engine) as s:
            add_account(s, None, password=PASSWORD, **kwargs)
    with pytest.raises(AccountError), write_session(engine) as s:
        add_account(s, None, "shortpw", "x", "staff", places["city"], "short")
    with read_session(engine) as s:
        names = set(s.scalars(select(Account.username)))
    assert not {"okname1", "okname2", "okname3", "shortpw"} & names


def test_the_last_admin_cannot_be_disabled_or_demoted(engine):
    with read_session(engine) as s:
        admins = list(
            s.scalars(
                select(Account.id).where(Account.role == "admin", Account.is_active.is_(True))
            )
        )
        first = get_account_by_username(s, "admin")
    with write_session(engine) as s:
        for other in admins:
            if other != first.id:
                set_account_active(s, None, other, False)
    with pytest.raises(AccountError), write_session(engine) as s:
        set_account_active(s, None, first.id, False)
    with pytest.raises(AccountError), write_session(engine) as s:
        update_account(s, None, first.id, "leader", first.scope_region_id)
    with write_session(engine) as s:
        for other in admins:
            set_account_active(s, None, other, True)


def test_demo_accounts_sign_in_with_their_documented_passwords(engine):
    for username, password in PASSWORDS.items():
        with write_session(engine) as s:
            assert authenticate(s, username, password, client=CLIENT).status == "ok", username
    with read_session(engine) as s:
        staff = get_account_by_username(s, "staff")
        leader = get_account_by_username(s, "leader")
        assert staff.role == "staff" and staff.scope_name_zh == "多福社区"
        assert leader.role == "leader" and leader.scope_level == "district"
    assert PASSWORDS["admin"] == ADMIN_PASSWORD


def test_five_failures_lock_for_fifteen_minutes_then_unlock(engine, places):
    account = _new(engine, "staff", places["community"])
    with read_session(engine) as s:
        username = s.get(Account, account).username
    now = utcnow()
    for attempt in range(4):
        with write_session(engine) as s:
            assert authenticate(s, username, "wrong", client=CLIENT, now=now).status == "invalid", (
                attempt
            )
    with write_session(engine) as s:
        locked = authenticate(s, username, "wrong", client=CLIENT, now=now)
    assert locked.status == "locked"
    assert locked.locked_until == now + timedelta(minutes=LOCK_MINUTES)
    with write_session(engine) as s:  # even the right password, while locked
        assert (
            authenticate(
                s, username, PASSWORD, client=CLIENT, now=now + timedelta(minutes=14)
            ).status
            == "locked"
        )
    with write_session(engine) as s:
        later = now + timedelta(minutes=LOCK_MINUTES, seconds=1)
        assert authenticate(s, username, PASSWORD, client=CLIENT, now=later).status == "ok"
    # Locked again, then unlocked by an admin at once.
    for _ in range(5):
        with write_session(engine) as s:
            authenticate(s, username, "wrong", client=CLIENT, now=now)
    with write_session(engine) as s:
        assert authenticate(s, username, PASSWORD, client=CLIENT, now=now).status == "locked"
        unlock_account(s, None, account)
    with write_session(engine) as s:
        assert authenticate(s, username, PASSWORD, client=CLIENT, now=now).status == "ok"


def test_unknown_users_and_disabled_accounts(engine, places):
    account = _new(engine, "staff", places["community"])
    with write_session(engine) as s:
        username = s.get(Account, account).username
        assert authenticate(s, "nobody-here", PASSWORD, client=CLIENT).status == "invalid"
        set_account_active(s, None, account, False)
    with write_session(engine) as s:
        assert (
            authenticate(s, username, "wrong", client=CLIENT).status == "invalid"
        )  # reveals nothing
        assert authenticate(s, username, PASSWORD, client=CLIENT).status == "disabled"


def test_sessions_expire_and_are_revoked(engine, places):
    account = _new(engine, "staff", places["community"])
    now = utcnow()
    with write_session(engine) as s:
        token = start_session(s, account, hours=8, now=now)
        other = start_session(s, account, hours=8, now=now)
    h = hash_token(token)
    with read_session(engine) as s:
        assert get_session_account(s, h, now + timedelta(hours=7, minutes=59)).id == account
        assert get_session_account(s, h, now + timedelta(hours=8, seconds=1)) is None
        stored = s.scalar(select(AuthSession.token_hash).where(AuthSession.token_hash == h))
        assert stored == h and token not in stored  # only the hash is kept
    with write_session(engine) as s:
        end_session(s, h)
    with read_session(engine) as s:
        assert get_session_account(s, h) is None
        assert get_session_account(s, hash_token(other)).id == account
    with write_session(engine) as s:
        reset_password(s, None, account, "a-new-password")  # signs out everywhere
    with read_session(engine) as s:
        assert get_session_account(s, hash_token(other)) is None


def test_disabling_signs_out_everywhere(engine, places):
    account = _new(engine, "leader", places["city"])
    with write_session(engine) as s:
        token = start_session(s, account)
        set_account_active(s, None, account, False)
    with read_session(engine) as s:
        assert get_session_account(s, hash_token(token)) is None


def test_screen_links_are_limited_and_revocable(engine, places):
    with write_session(engine) as s:
        issued = add_screen_link(s, None, "区指挥中心 <b>大屏</b>", places["district"])
    with read_session(engine) as s:
        link = get_screen_link(s, issued.token)
        assert link.page == "screen" and link.region_id == places["district"]
        assert link.label == "区指挥中心 <b>大屏</b>"
        assert get_screen_link(s, issued.token[:-1] + "x") is None
        stored = s.scalar(select(ScreenLink.token_hash).where(ScreenLink.id == issued.id))
        assert stored == hash_token(issued.token)
    assert len(issued.token) >= 40
    with write_session(engine) as s:
        revoke_screen_link(s, None, issued.id)
    with read_session(engine) as s:
        assert get_screen_link(s, issued.token) is None
    with pytest.raises(AccountError), write_session(engine) as s:
        add_screen_link(s, None, "x", places["city"], page="admin")


def test_sso_identities_map_to_accounts(engine, places):
    email = f"{uuid.uuid4().hex[:8]}@Example.gov.cn"
    with write_session(engine) as s:
        account = add_account(
            s, None, f"sso{uuid.uuid4().hex[:6]}", "单点", "leader", places["city"], None, email
        )
    with read_session(engine) as s:
        assert find_sso_account(s, [email.upper(), ""]).id == account
        assert find_sso_account(s, ["", "some-subject"]) is None
    with write_session(engine) as s:  # no password: password sign-in impossible
        username = s.get(Account, account).username
        assert authenticate(s, username, "", client=CLIENT).status == "invalid"


def test_target_and_weight_changes_are_audited_and_change_the_index_at_once(engine):
    key = "hotline_satisfaction_rate"
    target, weight = _registry(key)
    with read_session(engine) as s:
        city = get_city(s)
        before = get_index(s, city, city, parse_period("2025"))
    with write_session(engine) as s:
        update_indicator_setting(s, None, key, 100.0, 5.0)
        update_pillar_weight(s, None, "governance", 3.0)
    try:
        with read_session(engine) as s:
            assert get_settings(s).targets[key] == 100.0
            after = get_index(s, city, city, parse_period("2025"))
            row = s.execute(
                select(AuditLog.before_json, AuditLog.after_json)
                .where(AuditLog.entity == "indicator", AuditLog.entity_id == key)
                .order_by(AuditLog.id.desc())
            ).first()
        changed = next(i for p in after.pillars for i in p.indicators if i.key == key)
        assert changed.target == 100.0 and changed.weight == 5.0
        assert after.pillar("governance").weight == 3.0
        assert after.composite != before.composite
        assert json.loads(row.after_json) == {"target": 100.0, "weight": 5.0}
        assert json.loads(row.before_json)["target"] == target
    finally:
        with write_session(engine) as s:
            update_indicator_setting(s, None, key, target, weight)
            update_pillar_weight(s, None, "governance", 1.0)
    with pytest.raises(AccountError), write_session(engine) as s:
        update_indicator_setting(s, None, key, -1.0, 1.0)
    with pytest.raises(AccountError), write_session(engine) as s:
        update_indicator_setting(s, None, key, float("nan"), 1.0)


def test_audit_rows_never_hold_a_password_or_its_hash(engine, places):
    secret = "never-in-the-audit-log"
    account = _new(engine, "staff", places["community"], secret)
    with write_session(engine) as s:
        reset_password(s, None, account, secret + "2")
    with read_session(engine) as s:
        rows = s.execute(
            select(AuditLog.action, AuditLog.before_json, AuditLog.after_json).where(
                AuditLog.entity == "account", AuditLog.entity_id == str(account)
            )
        ).all()
        password_hash = s.get(Account, account).password_hash
    text = " ".join(f"{r.before_json} {r.after_json}" for r in rows)
    assert {r.action for r in rows} >= {"create", "reset_password"}
    assert secret not in text and password_hash not in text and "argon2" not in text


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operators_command_line(engine, db_url, places):
    username = f"cli{uuid.uuid4().hex[:6]}"
    with read_session(engine) as s:
        scope = get_region_by_id(s, places["community"]).code
    added = _cli(
        "users",
        "add",
        username,
        "--role",
        "staff",
        "--scope",
        scope,
        "--db",
        db_url,
        "--password-stdin",
        stdin="from-stdin-pass\n",
    )
    assert added.returncode == 0, added.stderr
    assert "from-stdin-pass" not in added.stdout + added.stderr
    with write_session(engine) as s:
        assert authenticate(s, username, "from-stdin-pass", client=CLIENT).status == "ok"
    reset = _cli("users", "reset-password", username, "--db", db_url)
    generated = reset.stdout.strip().splitlines()[-1].split(": ")[-1]
    with write_session(engine) as s:
        assert authenticate(s, username, generated, client=CLIENT).status == "ok"
    assert _cli("users", "disable", username, "--db", db_url).returncode == 0
    with write_session(engine) as s:
        assert authenticate(s, username, generated, client=CLIENT).status == "disabled"
    listed = _cli("users", "list", "--db", db_url)
    assert f"{username}\tstaff\t{scope}\tdisabled" in listed.stdout
    bad = _cli("users", "add", "x y", "--role", "staff", "--scope", scope, "--db", db_url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = _cli("users", "disable", "no-such-user", "--db", db_url)
    assert missing.returncode == 2 and "no such account" in missing.stderr
