"""The settings: declared once (data_access/settings.py), documented, read nowhere else; where a
value comes from; a bad value is one line; the users' time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from data_access import settings
from data_access.db import StoreError, resolve_url
from data_access.settings import SETTINGS, SettingError, load
from tests.auth_helpers import ROOT, app_as
from tests.markdown import shown
from tests.test_screen_refresh import DEFAULT_PERIOD, _deck, _shown
from ui import format as fmt

DOCS = ("README.md", "docs/operations.md")


def _docs() -> str:
    return "\n".join((ROOT / doc).read_text(encoding="utf-8") for doc in DOCS)


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_documented(setting):
    docs = _docs()
    assert f"`{setting.env}`" in docs
    if setting.secrets_key:
        assert f"`{setting.secrets_key}`" in docs


def test_the_operations_table_is_the_declarations():
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in operations, (
        "docs/operations.md's settings table differs from data_access/settings.py; "
        "replace it with the output of `python -m data_access.settings`"
    )


# What reads a setting: the environment, Streamlit's secrets, or the secrets file itself. The app's
# code (app.py, app_pages/, ui/, data_access/, seed_data/) does so only in data_access/settings.py;
# ui/auth.py asks st.secrets for Streamlit's own `[auth]` section (read by st.login itself, not a
# setting of ours). tests/ and bench/ are left out: they are the world outside the app, setting
# variables for the servers they start (bench/soak_screen.py's HAPPY_SCREEN_TIMINGS) and reading
# their own (HAPPY_PG_BIN, HAPPY_SCREENSHOTS), which are not settings of the app.
READS = re.compile(
    r"\benviron\b|\bgetenv\b|\btomllib\b|\btomli\b|^\s*import toml\b|\.secrets\b|SECRETS_PATH"
    r"|secrets\.toml\b[\"']?\s*\)|\bdotenv\b",
    re.MULTILINE,
)
ALLOWED = {("ui/auth.py", 'st.secrets.get("auth"')}


def _reads(text: str) -> list[str]:
    return [m.group(0) for m in READS.finditer(text)]


def _app_sources() -> list:
    return [ROOT / "app.py"] + [
        p
        for folder in ("app_pages", "ui", "data_access", "seed_data")
        for p in (ROOT / folder).rglob("*.py")
    ]


def test_no_module_but_settings_reads_the_environment_or_secrets():
    found = []
    for path in _app_sources():
        name = path.relative_to(ROOT).as_posix()
        if name == "data_access/settings.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _reads(line) and not any(name == f and allowed in line for f, allowed in ALLOWED):
                found.append(f"{name}:{number}: {line.strip()}")
    assert found == []
    # The patterns find the reads that the settings module itself does.
    own = (ROOT / "data_access" / "settings.py").read_text(encoding="utf-8")
    assert {"environ", "tomllib", "SECRETS_PATH"} <= set(_reads(own))
    assert _reads('x = st.secrets["happy"]') and _reads("from os import getenv")


def _secrets(tmp_path, text: str):
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_environment_wins_over_the_secrets_file_which_wins_over_the_default(tmp_path):
    path = _secrets(
        tmp_path,
        '[connections.happy]\nurl = "sqlite:///s.db"\npool_size = 4\n'
        '[happy]\ntimezone = "Europe/Berlin"\nproxy_hops = 2\nadmin_password = "from-file"\n',
    )
    given = load({}, path)
    assert given.get(settings.DB_URL) == "sqlite:///s.db"
    assert given.get(settings.POOL_SIZE) == 4
    assert given.get(settings.TIMEZONE) == ZoneInfo("Europe/Berlin")
    assert given.get(settings.PROXY_HOPS) == 2
    assert given.get(settings.MAX_OVERFLOW) == 10  # not given: the default
    assert given.get(settings.ADMIN_PASSWORD) is None  # environment only
    env = {
        "HAPPY_DB_URL": "sqlite:///e.db",
        "HAPPY_DB_POOL_SIZE": "6",
        "HAPPY_TIMEZONE": "America/New_York",
        "HAPPY_PROXY_HOPS": "  ",  # blank counts as unset
        "HAPPY_ADMIN_PASSWORD": "from-env",
    }
    given = load(env, path)
    assert given.get(settings.DB_URL) == "sqlite:///e.db"
    assert given.get(settings.POOL_SIZE) == 6
    assert given.get(settings.TIMEZONE) == ZoneInfo("America/New_York")
    assert given.get(settings.PROXY_HOPS) == 2
    assert given.get(settings.ADMIN_PASSWORD) == "from-env"
    nothing = load({}, tmp_path / "absent.toml")
    for setting in SETTINGS:
        expected = None if setting.default is None else setting.parse(setting.default)
        assert nothing.get(setting) == expected


@pytest.mark.parametrize(
    ("env", "named", "expected"),
    [
        ({"HAPPY_DB_POOL_SIZE": "many"}, "HAPPY_DB_POOL_SIZE", "a number at least 1"),
        ({"HAPPY_DB_LOCK_TIMEOUT": "inf"}, "HAPPY_DB_LOCK_TIMEOUT", "a number at least 0.1"),
        ({"HAPPY_SESSION_HOURS": "0"}, "HAPPY_SESSION_HOURS", "above 0 and at most 720"),
        ({"HAPPY_SESSION_HOURS": "1000"}, "HAPPY_SESSION_HOURS", "above 0 and at most 720"),
        ({"HAPPY_PROXY_HOPS": "one"}, "HAPPY_PROXY_HOPS", "a whole number from 0 to 5"),
        ({"HAPPY_PROXY_HOPS": "-1"}, "HAPPY_PROXY_HOPS", "a whole number from 0 to 5"),
        ({"HAPPY_TIMEZONE": "Mars/Olympus"}, "HAPPY_TIMEZONE", "an IANA time zone name"),
        ({"HAPPY_TIMEZONE": "../../etc/passwd"}, "HAPPY_TIMEZONE", "an IANA time zone name"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(tmp_path, env, named, expected):
    given = load(env, tmp_path / "absent.toml")
    setting = next(s for s in SETTINGS if s.env == named)
    with pytest.raises(SettingError) as raised:
        given.get(setting)
    for line in (raised.value.message.zh, raised.value.message.en):
        assert "\n" not in line and named in line
    assert expected in raised.value.message.en and "无效" in raised.value.message.zh
    with pytest.raises(SettingError):
        given.check()


def test_a_bad_value_in_the_secrets_file_names_its_key(tmp_path):
    path = _secrets(tmp_path, '[happy]\ntimezone = 8\n[connections.happy]\npool_size = "x"\n')
    given = load({}, path)
    with pytest.raises(SettingError, match=r"\[happy\] timezone \(\.streamlit/secrets\.toml\)"):
        given.get(settings.TIMEZONE)
    with pytest.raises(SettingError, match=r"\[connections\.happy\] pool_size"):
        given.get(settings.POOL_SIZE)


def test_a_secrets_file_that_is_not_toml_is_one_line(tmp_path, monkeypatch):
    path = _secrets(tmp_path, "[happy\nurl = 'x'\n")
    with pytest.raises(SettingError) as raised:
        load({}, path)
    assert raised.value.message.en.startswith("cannot read .streamlit/secrets.toml: ")
    assert "\n" not in raised.value.message.en
    monkeypatch.setattr("data_access.settings.SECRETS_PATH", path)
    monkeypatch.delenv("HAPPY_DB_URL", raising=False)
    with pytest.raises(StoreError, match="secrets.toml") as raised:  # the store's one line
        resolve_url()
    assert raised.value.kind == "config"


def test_the_process_settings_follow_the_environment_and_the_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr("data_access.settings.SECRETS_PATH", path)
    monkeypatch.delenv("HAPPY_TIMEZONE", raising=False)
    assert settings.get(settings.TIMEZONE) == ZoneInfo("Asia/Shanghai")
    assert settings.current() is settings.current()  # read once while nothing changes
    path.write_text('[happy]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    assert settings.get(settings.TIMEZONE) == ZoneInfo("Europe/Berlin")
    monkeypatch.setenv("HAPPY_TIMEZONE", "Asia/Tokyo")
    assert settings.get(settings.TIMEZONE) == ZoneInfo("Asia/Tokyo")


def test_times_are_shown_in_the_configured_zone(monkeypatch):
    moment = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.delenv("HAPPY_TIMEZONE", raising=False)
    shanghai = moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert fmt.local_time(moment) == shanghai
    assert fmt.local_time(moment.replace(tzinfo=None)) == shanghai  # naive: UTC as stored
    monkeypatch.setenv("HAPPY_TIMEZONE", "Europe/Berlin")
    berlin = moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M:%S")
    assert berlin != shanghai
    assert fmt.local_time(moment) == berlin
    assert fmt.local_zone() == ZoneInfo("Europe/Berlin")


def test_the_wall_screen_shows_its_time_in_the_configured_zone(monkeypatch):
    monkeypatch.setenv("HAPPY_TIMEZONE", "Europe/Berlin")
    read_at = datetime.now(UTC) - timedelta(minutes=7, seconds=13)
    berlin = read_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M:%S")
    shanghai = read_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    at = AppTest.from_function(_deck, args=(read_at.isoformat(), DEFAULT_PERIOD))
    at.run()
    text = _shown(at)
    assert f"数据时间 {berlin}" in text and shanghai not in text


@pytest.mark.parametrize(
    ("name", "value"), [("HAPPY_TIMEZONE", "Mars/Olympus"), ("HAPPY_SESSION_HOURS", "forever")]
)
def test_a_bad_setting_stops_the_app_with_one_line(app_env, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    for lang, words in (("zh", "的值无效"), ("en", "is not valid")):
        at = app_as(None, None, lang)
        assert not at.exception
        assert len(at.error) == 1
        line = shown(at.error[0].value)
        assert name in line and words in line
        assert "Traceback" not in line
