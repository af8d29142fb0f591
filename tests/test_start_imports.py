"""A fresh process showing its first Overview imports only what the Overview needs: no Excel
(openpyxl), no migrations (alembic), no map (pydeck), no demo generator (numpy, shapely: asked
only whether the store holds the demo), no Altair or its schema checker (the charts' specs are
stored as JSON) — each cost a start 0.1–1 s (issue 15, measured by bench/start.py). Checked in a
new Python process, so nothing imported by other tests counts; deterministic (which modules are
loaded, not how long they took)."""

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
)

FIRST_OVERVIEW = f"""
import json, sys
from tests.auth_helpers import app_as
at = app_as(sys.argv[1], "admin", period="2025")
assert not at.exception, at.exception
assert at.metric or at.markdown, "the Overview showed nothing"
print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))
"""


def test_first_overview_of_a_process_imports_only_what_it_needs(sqlite_url: str) -> None:
    env = {**os.environ, "HAPPY_DB_URL": sqlite_url, "HAPPY_ADMIN_PASSWORD": ADMIN_PASSWORD}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_OVERVIEW, sqlite_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_start_check_reads_the_same_newest_revision_as_alembic() -> None:
    """The store check at start reads the migration files' headers instead of importing
    Alembic; both must name the same head."""
    from data_access.migrate import head_revision, newest_revision

    assert newest_revision() == head_revision()
