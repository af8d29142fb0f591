"""The benchmark's raw-table baseline computes the same overview as the rollup-based functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.baseline import raw_overview
from data_access.areas import get_child_indexes
from data_access.db import read_session
from data_access.periods import parse_period
from data_access.regions import get_city
from data_access.scoring import get_index, get_index_trend
from data_access.store import open_store


@pytest.mark.parametrize("period_text", ["2025Q2", "2025-12"])  # 2025-12: some reports late
def test_raw_baseline_equals_the_rollups(db_url, period_text):
    engine = open_store(db_url)
    period = parse_period(period_text)
    with read_session(engine) as session:
        city = get_city(session)
        raw = raw_overview(session, city, period)
        assert raw["now"].composite == pytest.approx(
            get_index(session, city, city, period).composite
        )
        year = get_index(session, city, city, period.year_ago())
        assert raw["year"].composite == pytest.approx(year.composite)
        trend = get_index_trend(session, city, city, period.months())
        for month, result in raw["trend"].items():
            assert result.composite == pytest.approx(trend[month].composite)
        for kid in get_child_indexes(session, city, city, period):
            assert raw["children"][kid.region.code].composite == pytest.approx(kid.index.composite)
    engine.dispose()


def test_signed_in_sessions_get_the_overview_through_nginx_and_two_replicas(sqlite_url, tmp_path):
    """The deployment docs/operations.md describes, as bench/load.py runs it: websockets pass
    through nginx with the session cookie, and each replica shows the signed-in Overview."""
    import asyncio
    import shutil

    from bench.load import deploy, load
    from bench.signin import admin_tokens
    from tests.browser import free_ports

    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is not installed (bash scripts/install-test-deps.sh)")
    cookies = admin_tokens(sqlite_url, 4)
    port = free_ports(3)  # nginx, then the two servers on the ports after it
    deployment = deploy(sqlite_url, port, 2, "project", tmp_path)
    try:
        through_nginx = asyncio.run(load(port, cookies, 2, "period=2025"))
        assert through_nginx["runs_done"] == 8, through_nginx
        assert through_nginx["errors"] == 0, through_nginx["error_samples"]
        for replica in (port + 1, port + 2):
            direct = asyncio.run(load(replica, cookies[:1], 1, "period=2025Q2"))
            assert (direct["runs_done"], direct["errors"]) == (1, 0), direct
    finally:
        deployment.stop()


def test_the_start_bench_times_a_fresh_servers_first_overview(sqlite_url):
    """bench/start.py's smoke version: a server started by the bench answers its health check,
    then shows a signed-in tab the Overview, and the bench reads the process's CPU seconds; it
    can name the interpreter it ran (the number of distributions Streamlit's start scans)."""
    import sys

    from bench.start import ROOT, _python, _tokens, one_start
    from tests.browser import free_port

    result = one_start(ROOT, sqlite_url, _tokens(ROOT, sqlite_url), free_port(), sys.executable)
    assert result["shown"], result["how"]
    assert 0 < result["healthy_s"] < result["overview_s"]
    assert 0 < result["healthy_cpu_s"] <= result["cpu_s"]
    assert "installed distributions" in _python(sys.executable)


def test_the_start_benchs_peer_is_streamlit_alone_showing_a_first_page(tmp_path):
    """bench/start.py --peer: Streamlit alone (bench/peer/bare_app.py, no store, no sign-in)
    starts with the project's settings and shows its Overview to a tab, timed like the app."""
    from bench.peer import peer_tree
    from bench.start import one_start
    from tests.browser import free_port

    peer = peer_tree(tmp_path, "bare_app.py")
    assert (peer / ".streamlit" / "config.toml").read_text() == (
        Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
    ).read_text()
    result = one_start(peer, "", "", free_port())
    assert result["shown"], result["how"]
    assert 0 < result["healthy_s"] < result["overview_s"]


def test_the_load_benchs_peer_draws_what_a_warm_overview_draws(sqlite_url, tmp_path):
    """bench/load.py --peer: the shape of a signed-in admin's warm Overview, recorded from the
    app (bench/peer/record.py), is drawn by Streamlit alone (bench/peer/shape_app.py) through
    its public API: the same elements and blocks, in the same places, with the same texts,
    options, widget keys and chart specs and data, and the same navigation."""
    import json

    from bench.peer import peer_tree
    from bench.peer.record import recorded_shape, shape_of
    from bench.tab import OVERVIEW_MARK

    shape = recorded_shape(sqlite_url, "period=2025Q2")
    recorded = json.loads(shape)
    kinds = {item.get("element") or item["block"] for item in recorded["items"]}
    assert {"html", "button", "vega_lite_chart", "selectbox", "popover", "expandable"} <= kinds
    assert OVERVIEW_MARK.decode() in shape and "2025年第2季度" in shape
    assert len(recorded["pages"]) > 5
    drawn = shape_of(peer_tree(tmp_path, "shape_app.py", shape) / "app.py")
    assert drawn["pages"] == recorded["pages"]
    assert drawn["items"] == recorded["items"]


def test_turn_about_measures_each_tree_in_turn_and_the_cells_summarise_them():
    from bench.perfdoc import turn_about, wall_cpu_cells

    seen = []

    def measure(tree):
        seen.append(tree.name)
        return {"wall_s": float(len(seen)), "cpu_s": 0.5 * len(seen)}

    runs, load = turn_about({"a": Path("/x/a"), "b": Path("/x/b")}, 3, measure)
    assert seen == ["a", "b"] * 3 and load >= 0
    assert [r["wall_s"] for r in runs["a"]] == [1.0, 3.0, 5.0]
    assert wall_cpu_cells(runs["b"]) == "4.0 | 2.0–6.0 | 2.0"


def test_the_staff_waits_bench_checks_sheets_and_approves_a_month_then_leaves_the_store(
    sqlite_url, tmp_path
):
    """bench/staff_waits.py's smoke version: in its child, the sheets check clean and every
    community's report of the month is approved, in a transaction rolled back at the end."""
    from sqlalchemy import func, select

    from bench.staff_waits import MONTH, ROOT, STEPS, one_round
    from data_access.models import MonthlyReport, Region
    from tests.activity_fixtures import copy_sqlite

    url = copy_sqlite(sqlite_url, tmp_path / "happy.db")
    result = one_round(ROOT, url, sizes="3")
    assert all(result[step] > 0 for step in STEPS if " 500" not in step)
    engine = open_store(url)
    with read_session(engine) as session:
        communities = select(func.count()).where(Region.level == "community")
        assert result["approved"] == session.scalar(communities)
        left = select(func.count()).where(MonthlyReport.month == MONTH)
        assert session.scalar(left) == 0
    engine.dispose()
