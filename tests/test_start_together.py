"""Processes started together on one store (a fleet after a deploy): exactly one does each
one-time job (migrating, registering the catalogue, seeding the demo, creating the first admin),
the others wait for it and carry on; nobody fails. Three real processes, on PostgreSQL and on
SQLite, on an empty store and on one a migration behind."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, func, inspect, select

from data_access.db import read_session
from data_access.migrate import _config, current_revision, head_revision
from data_access.models import Account, Activity, Region
from seed_data.generator import min_activities
from seed_data.loader import BULK_TABLES
from tests.conftest import DEMO_TODAY

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 3

# What an app server does on its first start against a store, as a separate process.
START = """
import sys
from datetime import date
from data_access.accounts import ensure_first_admin
from data_access.db import write_session
from data_access.store import open_store
from seed_data.loader import seed_demo

engine = open_store(sys.argv[1])
seeded = seed_demo(engine, n_activities=int(sys.argv[2]), today=date.fromisoformat(sys.argv[3]))
with write_session(engine) as session:
    password = ensure_first_admin(session, None)
print(f"seeded={seeded} admin={'yes' if password else 'no'}")
"""


def _together(commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HAPPY_DB_URL", None)
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for cmd in commands
    ]
    results = []
    for cmd, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=600)
        results.append(
            subprocess.CompletedProcess(cmd, proc.returncode, out.decode(), err.decode())
        )
    return results


def test_servers_started_together_on_an_empty_store_each_job_done_once(empty_url):
    n = min_activities()
    start = [sys.executable, "-c", START, empty_url, str(n), DEMO_TODAY.isoformat()]
    results = _together([start] * PROCESSES)
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
    said = " ".join(result.stdout.strip().splitlines()[-1] for result in results).split()
    # One seeded and one created the admin; the others waited, then found each done.
    assert sorted(said.count(f"seeded={done}") for done in (True, False)) == [1, PROCESSES - 1]
    assert said.count("seeded=True") == said.count("admin=yes") == 1
    engine = create_engine(empty_url)
    with read_session(engine) as session:
        in_2024_2025 = select(func.count()).where(Activity.occurred_on < date(2026, 1, 1))
        assert session.scalar(in_2024_2025) == n
        assert session.scalar(select(func.count()).where(Region.level == "city")) == 1
        assert session.scalar(select(func.count()).select_from(Account)) == 1
    assert current_revision(engine) == head_revision()
    # The seeder checked the big tables' foreign keys once at the end (data_access.bulk): they
    # are all there again, as the models declare them.
    found = inspect(engine)
    for table in BULK_TABLES:
        declared = {
            (tuple(c.name for c in k.columns), k.referred_table.name)
            for k in table.foreign_key_constraints
        }
        assert {
            (tuple(k["constrained_columns"]), k["referred_table"])
            for k in found.get_foreign_keys(table.name)
        } == declared, table.name
    engine.dispose()


def test_migrations_started_together_on_a_store_a_migration_behind(empty_url):
    engine = create_engine(empty_url)
    behind = _script().get_revision(head_revision()).down_revision
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, behind)
    assert current_revision(engine) == behind
    migrate = [sys.executable, "-m", "data_access", "migrate", "--db", empty_url]
    results = _together([migrate] * PROCESSES)
    for result in results:
        assert result.returncode == 0, result.stderr[-2000:]
        assert head_revision() in result.stdout
    assert current_revision(engine) == head_revision()
    engine.dispose()


def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())
