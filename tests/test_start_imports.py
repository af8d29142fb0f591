"""A fresh process showing its first Overview imports only what the Overview needs: no Excel
(openpyxl), no migrations (alembic), no map (pydeck), no demo generator (numpy, shapely: asked
only whether the store holds the demo), no Altair or its schema checker (the charts' specs are
stored as JSON) — each cost a start 0.1–1 s (issue 15, measured by bench/start.py). Checked in a
new Python process, so nothing imported by other tests counts; deterministic (which modules are
loaded, not how long they took). Nor the briefing's modules (imported when a briefing is made)
or, on SQLite, PostgreSQL's dialect, or pandas (≈ 0.5 s). A signed-out visitor's first page, the
sign-in form, does not import the monthly report's modules either. Nor pyarrow (session 9),
nor argon2, numpy or PIL (session 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.auth_helpers import ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
NOT_AT_START = (
    "openpyxl",
    "alembic",
    "pydeck",
    "seed_data.generator",
    "shapely",
    "altair",
    "jsonschema",
    # session 7: the briefing's modules (imported when one is made) and, on a SQLite store,
    # PostgreSQL's dialect (the sign-in failure counter's INSERT imports its own dialect)
    "data_access.briefing",
    "sqlalchemy.dialects.postgresql",
    # pandas (≈ 0.5 s): the Overview makes no DataFrame, and its charts' Arrow tables are read
    # from JSON lines (pyarrow's Python constructors import pandas)
    "pandas",
    # pyarrow (≈ 35–55 ms with its JSON reader): the Overview's chart rows go inside their specs
    # (charts.with_rows), not beside them as Arrow tables
    "pyarrow",
    # argon2 and its cffi binding (≈ 40 ms, session 13): only a password hashed or checked needs
    # it, and a signed-in session's pages check none
    "argon2",
    # numpy and PIL (≈ 0.15 s, session 13): Streamlit imported them to decode an image page
    # icon; the icon is an emoji now, and data_access.rollups imports numpy when it sums
    "numpy",
    "PIL",
)

# The sign-in page needs no monthly-report module either (the menu's report pages are decided
# in ui/navigation.py): they brought numpy with them (data_access.rollups).
NOT_AT_SIGN_IN = (*NOT_AT_START, "ui.monthly_report", "data_access.reports")

FIRST_PAGES = f"""
import json, sys
from tests.auth_helpers import app_as
signed_out = app_as(sys.argv[1], None)
assert not signed_out.exception, signed_out.exception
assert signed_out.text_input, "no sign-in form"
at_sign_in = [m for m in {NOT_AT_SIGN_IN!r} if m in sys.modules]
at = app_as(sys.argv[1], "admin", period="2025")
assert not at.exception, at.exception
assert any("hs-card" in h.proto.body for h in at.get("html")), "the Overview showed nothing"
print(json.dumps([at_sign_in, [m for m in {NOT_AT_START!r} if m in sys.modules]]))
"""


def test_first_pages_of_a_process_import_only_what_they_need(sqlite_url: str) -> None:
    env = {**os.environ, "HAPPY_DB_URL": sqlite_url, "HAPPY_ADMIN_PASSWORD": ADMIN_PASSWORD}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_PAGES, sqlite_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    at_sign_in, at_overview = json.loads(done.stdout.strip().splitlines()[-1])
    assert at_sign_in == []
    assert at_overview == []


def test_the_start_check_reads_the_same_newest_revision_as_alembic() -> None:
    """The store check at start reads the migration files' headers instead of importing
    Alembic; both must name the same head."""
    from data_access.migrate import head_revision, newest_revision

    assert newest_revision() == head_revision()
