"""Exports say what they are: region, period and time of export in the file name and above the
table; Excel sheets have a bold header row that stays in view, column widths and number formats;
cells stay neutralised (tests/hostile/test_exports_hostile.py tries the payloads)."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.delta_generator import DeltaGenerator

from tests.auth_helpers import app_as
from ui.exports import About, to_csv, to_xlsx
from ui.i18n import use_language

MOMENT = datetime(2026, 11, 30, 13, 5, tzinfo=UTC)  # 21:05 in Asia/Shanghai


def _about(**changes) -> About:
    return About(
        **{"title": "区县幸福指数排名", "region": "沈阳市", "period": "2025年", "made_at": MOMENT}
        | changes
    )


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "地区": ["和平区", "沈河区"],
            "人口（人）": [612345, 40000],
            "幸福指数（分）": [71.25, None],
            "每万人活动数": [12.125, 3.5],
        }
    )


def test_the_file_name_says_region_period_and_local_time():
    use_language("zh")
    assert _about().file_name("csv") == "区县幸福指数排名_沈阳市_2025年_20261130-2105.csv"
    odd = _about(region='A/B:C*?"<>|', period=None)
    assert odd.file_name("xlsx") == "区县幸福指数排名_A-B-C_20261130-2105.xlsx"


def test_csv_starts_with_what_it_is_then_the_table():
    use_language("zh")
    rows = list(csv.reader(io.StringIO(to_csv(_frame(), _about()).decode("utf-8-sig"))))
    assert rows[:5] == [
        ["内容", "区县幸福指数排名"],
        ["地区", "沈阳市"],
        ["时间段", "2025年"],
        ["导出时间", "2026-11-30 21:05:00 (Asia/Shanghai)"],
        [],
    ]
    assert rows[5] == list(_frame().columns) and rows[6][:2] == ["和平区", "612345"]
    assert rows[7][2] == ""  # an empty cell stays empty, never "None"


def test_a_formula_in_a_region_name_stays_text_above_the_table():
    use_language("zh")
    data = to_xlsx(_frame(), _about(region="=HYPERLINK(1)"))
    sheet = load_workbook(io.BytesIO(data))["data"]
    assert sheet["B2"].value == "'=HYPERLINK(1)" and sheet["B2"].data_type == "s"
    assert "'=HYPERLINK(1)" in to_csv(_frame(), _about(region="=HYPERLINK(1)")).decode("utf-8-sig")


def test_excel_has_a_header_row_widths_and_number_formats():
    use_language("en")
    try:
        sheet = load_workbook(io.BytesIO(to_xlsx(_frame(), _about())))["data"]
    finally:
        use_language("zh")
    assert [sheet.cell(r, 1).value for r in range(1, 5)] == [
        "Contents",
        "Region",
        "Period",
        "Exported at",
    ]
    header = [c for c in sheet[6]]
    assert [c.value for c in header] == list(_frame().columns)
    assert all(c.font.b for c in header)
    assert sheet.freeze_panes == "A7" and sheet.auto_filter.ref == "A6:D8"
    population, index, per10k = sheet["B7"], sheet["C7"], sheet["D7"]
    assert population.value == 612345 and population.number_format == "#,##0"
    assert index.value == 71.25 and index.number_format == "#,##0.0##"
    assert per10k.number_format == "#,##0.0##" and sheet["C8"].value is None
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    assert widths["B"] >= len("人口（人）") * 2  # wide characters count twice
    assert all(4 <= w <= 62 for w in widths.values())


def test_without_about_the_sheet_is_the_table_alone():
    sheet = load_workbook(io.BytesIO(to_xlsx(_frame())))["data"]
    assert [c.value for c in sheet[1]] == list(_frame().columns) and sheet.freeze_panes == "A2"


def test_the_overview_downloads_name_the_region_and_period(app_env, monkeypatch):
    made: list[tuple[str, bytes]] = []
    real = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        made.append((file_name, data() if callable(data) else data))
        return real(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    monkeypatch.setattr("data_access.clock.now", lambda: MOMENT)
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh", region="210102", period="2025Q3")
    assert not at.exception and not made  # each table's downloads: behind its closed menu
    for menu in ("dl_pillars", "dl_trend", "dl_ranking"):
        at.session_state[menu] = True  # what opening the 下载数据 menu sets
    at.run()
    assert not at.exception and len(made) == 6
    for file_name, data in made:
        assert "_和平区_2025年第3季度_20261130-2105." in file_name, file_name
        if file_name.endswith(".csv"):
            lines = data.decode("utf-8-sig").splitlines()
            assert lines[1:3] == ["地区,和平区", "时间段,2025年第3季度"]
        else:
            sheet = load_workbook(io.BytesIO(data))["data"]
            assert sheet["B2"].value == "和平区" and sheet["B3"].value == "2025年第3季度"


def test_the_activity_log_downloads_name_the_scope_and_dates(app_env, monkeypatch):
    """The log's downloads say what they are too (they were "activities.csv" with no header):
    the viewer's scope or the region filtered on, the dates filtered on, the time of export."""
    made: list[tuple[str, bytes]] = []
    real = DeltaGenerator.download_button

    def spy(self, label, data, file_name=None, *args, **kwargs):
        made.append((file_name, data() if callable(data) else data))
        return real(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    monkeypatch.setattr("data_access.clock.now", lambda: MOMENT)
    # The spy makes every file now (a click would make one): 100,000 rows of a city's log in
    # both formats, twice, took two minutes; the names and headers are the point here.
    monkeypatch.setattr("ui.activity_log.EXPORT_LIMIT", 200)
    url = os.environ["HAPPY_DB_URL"]
    at = app_as(url, "admin", "zh", "app_pages/activity_log.py")
    log = [(name, data) for name, data in made if name.startswith("活动台账")]
    assert not at.exception and len(log) == 2, [name for name, _ in made]
    for file_name, data in log:
        assert file_name.startswith("活动台账_沈阳市_全部日期_20261130-2105."), file_name
        if file_name.endswith(".csv"):
            lines = data.decode("utf-8-sig").splitlines()
            assert lines[:3] == ["内容,活动台账", "地区,沈阳市", "时间段,全部日期"]
        else:
            sheet = load_workbook(io.BytesIO(data))["data"]
            assert [sheet["B1"].value, sheet["B2"].value] == ["活动台账", "沈阳市"]
    made.clear()
    at.date_input(key="logf_from").set_value(datetime(2025, 3, 1).date()).run()
    log = [name for name, _ in made if name.startswith("活动台账")]
    assert not at.exception and log
    assert all("_沈阳市_2025-03-01-起_" in name for name in log), log


@pytest.fixture(autouse=True)
def _zone(monkeypatch):
    monkeypatch.delenv("HAPPY_TIMEZONE", raising=False)
