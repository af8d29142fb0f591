"""Every setting of the app, declared once: its environment variable, its key in
.streamlit/secrets.toml, its default, how its value is read, and a line of help (which
docs/operations.md shows as one table, checked by tests/test_settings.py).

A setting's value is the environment variable if set and not blank, else the key in
.streamlit/secrets.toml, else the default. The environment and the file are read once, and read
again only when one of the variables or the file changes (so a test's `monkeypatch.setenv` or an
edited secrets.toml is seen at the next read). A value that is not valid raises SettingError: one
line in Chinese and English naming the variable or key, never a traceback. Streamlit-free, so the
command-line tools read the same settings as the app.

    python -m data_access.settings    # print the table of docs/operations.md
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data_access.messages import MessageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
SECRETS_FILE = ".streamlit/secrets.toml"  # as the messages and the docs name it

T = TypeVar("T")


class SettingError(MessageError):
    """A setting that cannot be used: one line, its `message` in Chinese and English."""


class Invalid(ValueError):
    """Raised by a parser: what a valid value looks like, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: environment variable `env`, else `name` under `[section]` in
    .streamlit/secrets.toml (section None: the environment only), else `default` (None: unset).
    `parse` turns a given value (text from the environment; text or a number from the file)
    into the setting's value, or raises Invalid."""

    name: str
    env: str
    section: str | None
    default: Any
    parse: Callable[[Any], T]
    help: str
    unit: str = ""
    shown_default: str = ""  # how the docs show the default, when not simply the value

    @property
    def secrets_key(self) -> str | None:
        """The key as the docs write it (`[happy] session_hours`), None for environment only."""
        return f"[{self.section}] {self.name}" if self.section else None


def _number(
    minimum: float, maximum: float | None = None, *, above: bool = False
) -> Callable[[Any], float]:
    """A parser of a number of at least (or, `above`, more than) `minimum`, at most `maximum`."""
    low_zh, low_en = ("大于", "above") if above else ("不小于", "at least")
    zh, en = f"{low_zh} {minimum:g}", f"{low_en} {minimum:g}"
    if maximum is not None:
        zh, en = f"{zh}且不大于 {maximum:g}", f"{en} and at most {maximum:g}"

    def parse(raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            value = math.nan
        else:
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
        too_low = value <= minimum if above else value < minimum
        if not math.isfinite(value) or too_low or (maximum is not None and value > maximum):
            raise Invalid(f"须为{zh}的数", f"a number {en}")
        return value

    return parse


def _whole(minimum: int, maximum: int) -> Callable[[Any], int]:
    """A parser of a whole number from `minimum` to `maximum`."""

    def parse(raw: Any) -> int:
        text = str(raw).strip() if isinstance(raw, (int, str)) and not isinstance(raw, bool) else ""
        if not (text.isascii() and text.isdigit()) or not minimum <= int(text) <= maximum:
            raise Invalid(
                f"须为 {minimum} 到 {maximum} 的整数", f"a whole number from {minimum} to {maximum}"
            )
        return int(text)

    return parse


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise Invalid("须为文字（加引号）", "text (in quotes)")
    return raw


def _zone(raw: Any) -> ZoneInfo:
    try:
        return ZoneInfo(_text(raw).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(
            "须为 IANA 时区名，如 Asia/Shanghai", "an IANA time zone name such as Asia/Shanghai"
        ) from None


STORE = "connections.happy"
APP = "happy"

DB_URL: Setting[str | None] = Setting(
    "url",
    "HAPPY_DB_URL",
    STORE,
    None,
    _text,
    "database URL (`postgresql+psycopg://…` or `sqlite:///…`); a tool's `--db` wins over it",
    shown_default="embedded SQLite file `data/happy.db`, created and filled with the demo city "
    "on first start",
)
# Streamlit runs each active session's script on its own thread, and a thread holds a connection
# only while it reads or writes. 20 connections per process (10 kept + 10 more) let 20 sessions
# of one process hit the store at once without waiting (issue 11: 20 writer threads on the old
# pool of 5 + 10 waited past 30 s); four processes of 20 stay under PostgreSQL's default
# max_connections of 100.
POOL_SIZE = Setting(
    "pool_size",
    "HAPPY_DB_POOL_SIZE",
    STORE,
    10,
    _number(1),
    "connections each server process keeps open",
)
MAX_OVERFLOW = Setting(
    "max_overflow",
    "HAPPY_DB_MAX_OVERFLOW",
    STORE,
    10,
    _number(0),
    "more connections a process may open when all kept ones are in use (closed again after)",
)
POOL_TIMEOUT = Setting(
    "pool_timeout",
    "HAPPY_DB_POOL_TIMEOUT",
    STORE,
    10,
    _number(0.1),
    "how long a page waits for a free connection before it says the database is busy",
    unit="s",
)
LOCK_TIMEOUT = Setting(
    "lock_timeout",
    "HAPPY_DB_LOCK_TIMEOUT",
    STORE,
    10,
    _number(0.1),
    "how long a write waits for its locks before it says the database is busy: on SQLite its "
    "turn among the writers of its process and then the file's write lock (also the busy "
    "timeout of reads); on PostgreSQL `lock_timeout`, for each statement (a deadlock is tried "
    "again within this time)",
    unit="s",
)
CONNECT_TIMEOUT = Setting(
    "connect_timeout",
    "HAPPY_DB_CONNECT_TIMEOUT",
    STORE,
    10,
    _number(1),
    "how long opening a PostgreSQL connection may take before the database counts as "
    "unreachable (a `connect_timeout` in the URL wins)",
    unit="s",
)
SESSION_HOURS = Setting(
    "session_hours",
    "HAPPY_SESSION_HOURS",
    APP,
    8,
    _number(0, 24 * 30, above=True),
    "how long a sign-in lasts across page reloads",
    unit="hours",
)
PROXY_HOPS = Setting(
    "proxy_hops",
    "HAPPY_PROXY_HOPS",
    APP,
    0,
    _whole(0, 5),
    "how many trusted proxies (nginx) stand in front of the app; 0: X-Forwarded-For is ignored",
)
TIMEZONE = Setting(
    "timezone",
    "HAPPY_TIMEZONE",
    APP,
    "Asia/Shanghai",
    _zone,
    "the users' time zone: times are stored in UTC and shown (and entered) in this zone",
)
TILE_URL: Setting[str | None] = Setting(
    "tile_url",
    "HAPPY_TILE_URL",
    APP,
    None,
    _text,
    "URL template of an intranet XYZ tile server for the map's basemap "
    "(`http://tiles.intranet/{z}/{x}/{y}.png`)",
    shown_default="none: no basemap",
)
TILE_CRS = Setting(
    "tile_crs",
    "HAPPY_TILE_CRS",
    APP,
    "gcj02",
    _text,
    "the tiles' coordinate system, `wgs84` or `gcj02` (another value: a notice on the map, and "
    "`gcj02`)",
)
ADMIN_PASSWORD: Setting[str | None] = Setting(
    "admin_password",
    "HAPPY_ADMIN_PASSWORD",
    None,
    None,
    _text,
    "the first admin's password, used once when the store has no account",
    shown_default="none: generated and printed once to standard error",
)
SCREEN_TIMINGS: Setting[str | None] = Setting(
    "screen_timings",
    "HAPPY_SCREEN_TIMINGS",
    None,
    None,
    _text,
    "for benchmarks (bench/soak_screen.py): a file to which the wall screen appends how long "
    "each refresh took",
    shown_default="none",
)
CACHE_DIR: Setting[str | None] = Setting(
    "cache_dir",
    "HAPPY_CACHE_DIR",
    None,
    None,
    _text,
    "a folder the server may write derived files to, made again when missing (the briefing's "
    "cut of the Chinese font for PDFs)",
    shown_default="`~/.cache/happy-community`",
)

STORE_SETTINGS = (POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT, LOCK_TIMEOUT, CONNECT_TIMEOUT)
SETTINGS: tuple[Setting, ...] = (
    DB_URL,
    *STORE_SETTINGS,
    SESSION_HOURS,
    PROXY_HOPS,
    TIMEZONE,
    TILE_URL,
    TILE_CRS,
    ADMIN_PASSWORD,
    SCREEN_TIMINGS,
    CACHE_DIR,
)


class Settings:
    """The settings' values from one reading of the environment and secrets.toml."""

    def __init__(self, env: Mapping[str, str], secrets: Mapping[str, Any]) -> None:
        self._given: dict[Setting, tuple[Any, str]] = {}  # setting -> (value, where it was given)
        for setting in SETTINGS:
            value = env.get(setting.env)
            if value is not None and value.strip():
                self._given[setting] = (value, setting.env)
            elif setting.section is not None:
                value = _table(secrets, setting.section).get(setting.name)
                if value is not None:
                    self._given[setting] = (value, f"{setting.secrets_key} ({SECRETS_FILE})")
        self._values: dict[Setting, Any] = {}

    def get(self, setting: Setting[T]) -> T:
        """The setting's value; SettingError (naming where it was given) if it is not valid."""
        if setting not in self._values:
            raw, where = self._given.get(setting, (setting.default, ""))
            if raw is None:
                self._values[setting] = None
            else:
                try:
                    self._values[setting] = setting.parse(raw)
                except Invalid as bad:
                    raise SettingError(
                        f"设置 {where or setting.env} 的值无效：{bad.zh}",
                        f"{where or setting.env} is not valid: {bad.en}",
                    ) from None
        return self._values[setting]

    def check(self) -> None:
        """Raise SettingError for the first declared setting whose value is not valid."""
        for setting in SETTINGS:
            self.get(setting)


def _table(secrets: Mapping[str, Any], section: str) -> Mapping[str, Any]:
    table: Any = secrets
    for part in section.split("."):
        table = table.get(part, {}) if isinstance(table, Mapping) else {}
    return table if isinstance(table, Mapping) else {}


def read_secrets(path: Path) -> dict[str, Any]:
    """The secrets file's tables ({} without the file); SettingError if it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SettingError(
            f"无法读取 {SECRETS_FILE}：{reason}", f"cannot read {SECRETS_FILE}: {reason}"
        ) from None


def load(env: Mapping[str, str], secrets_path: Path) -> Settings:
    """The settings given by `env` (an environment) and the secrets file at `secrets_path`."""
    return Settings(env, read_secrets(secrets_path))


_current: tuple[tuple, Settings] | None = None


def _sources() -> tuple:
    """What the settings were read from: the variables' values and the file's identity."""
    try:
        stat = SECRETS_PATH.stat()
        file = (str(SECRETS_PATH), stat.st_mtime_ns, stat.st_size)
    except OSError:
        file = (str(SECRETS_PATH), None, None)
    return tuple(os.environ.get(s.env) for s in SETTINGS), file


def current() -> Settings:
    """The settings of this process (os.environ and SECRETS_PATH), read again only when these
    have changed since the last reading."""
    global _current
    sources = _sources()
    if _current is None or _current[0] != sources:
        _current = (sources, load(os.environ, SECRETS_PATH))
    return _current[1]


def get(setting: Setting[T]) -> T:
    """A setting's value in this process; SettingError if it is not valid."""
    return current().get(setting)


def _shown_default(setting: Setting) -> str:
    if setting.shown_default:
        return setting.shown_default
    value = setting.default
    shown = f"{value:g}" if isinstance(value, (int, float)) else f"`{value}`"
    return f"{shown} {setting.unit}".strip()


def markdown_table() -> str:
    """Every setting as a Markdown table (docs/operations.md "Settings" holds exactly this)."""
    rows = [
        f"| environment variable | `{SECRETS_FILE}` | default | effect |",
        "|---|---|---|---|",
    ]
    for s in SETTINGS:
        key = f"`{s.secrets_key}`" if s.secrets_key else "(environment only)"
        rows.append(f"| `{s.env}` | {key} | {_shown_default(s)} | {s.help} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
