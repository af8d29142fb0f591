"""The demo city reproduces the article's figures for 2025 at city level, on both backends."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from data_access.registry import load_figures
from tests.conftest import ROOT


def _city_indicators(db_url: str, period: str, fmt: str) -> str:
    """Run the operators' `indicators` command for the city; its standard output."""
    args = ["indicators", "--db", db_url, "--level", "city", "--period", period, "--format", fmt]
    out = subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return out.stdout


def _indicators(db_url: str, period: str) -> dict:
    return json.loads(_city_indicators(db_url, period, "json"))["indicators"]


@pytest.fixture(scope="module")
def city_values(db_url: str) -> tuple[dict, dict]:
    return _indicators(db_url, "2025"), _indicators(db_url, "2024")


def _agrees(fig, value: float) -> bool:
    if fig.kind == "rate":
        return round(value, 2) == fig.value
    if fig.qualifier == "exact":
        return value == fig.value
    if fig.qualifier == "more_than":
        return fig.value <= value < 1.10 * fig.value
    assert fig.qualifier == "about"
    return 0.95 * fig.value <= value <= fig.value


FIGURES = [f for f in load_figures().values() if f.kind != "policy"]


@pytest.mark.parametrize("fig", FIGURES, ids=[f.key for f in FIGURES])
def test_every_figure_is_reproduced_for_2025(city_values, fig):
    v2025, v2024 = city_values
    # A baseline row is the 2024 value of the indicator it precedes.
    value = v2024[fig.key.removesuffix("_before")] if fig.kind == "baseline" else v2025[fig.key]
    assert value is not None and _agrees(fig, value), f"{fig.key}: article {fig.value}, got {value}"


def test_2024_is_somewhat_lower_so_trends_mean_something(city_values):
    v2025, v2024 = city_values
    growth = [
        k
        for k, f in load_figures().items()
        if f.kind in ("stock", "flow", "rate_monthly") and v2025[k] >= 20
    ]
    lower = [k for k in growth if v2024[k] < v2025[k]]
    # Every growing indicator was lower in 2024, except stocks complete since before 2024.
    assert set(growth) - set(lower) <= {"governance_centers_city"}
    assert v2024["zero_employment_households"] > v2025["zero_employment_households"] == 0


def test_csv_format_lists_every_indicator(sqlite_url):
    lines = _city_indicators(sqlite_url, "2025Q1", "csv").strip().splitlines()
    assert lines[0].startswith("key,pillar,value")
    assert {line.split(",")[0] for line in lines[1:]} >= {"disputes_mediated", "grids"}
