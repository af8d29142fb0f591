"""Numbers in tables as in cards: grouped for the locale by Babel, and "—" for an empty cell,
never "None" (ui/format.table, used by every table of the leaders' views and the Admin page)."""

from __future__ import annotations

import os

import pandas as pd

from tests.auth_helpers import app_as
from ui import format as fmt
from ui.i18n import use_language


def _shown(styler) -> list[list[str]]:
    styler._compute()
    body = styler._translate(True, True)["body"]
    return [[cell["display_value"] for cell in row[1:]] for row in body]


def test_numbers_are_grouped_and_empty_cells_are_a_dash():
    use_language("zh")
    frame = pd.DataFrame(
        {
            "地区": ["和平区", None],
            "人口（人）": [612345, 40000],
            "指数": [71.25, None],
            "目标": [None, 3.0],
            "进度": [50.0, 20.0],
        }
    )
    shown = _shown(fmt.table(frame, keep=("进度",)))
    assert shown[0][:4] == ["和平区", "612,345", "71.25", "—"]
    assert shown[1][:4] == ["—", "40,000", "—", "3"]
    assert "None" not in str(shown) and "nan" not in str(shown)
    assert frame["人口（人）"].tolist() == [612345, 40000]  # the values underneath stay numbers


def test_the_html_table_shows_what_the_styled_table_shows_and_escapes_text():
    from tests.cards_html import _Tables

    use_language("zh")
    rows = [
        {"地区": "和平区", "人口（人）": 612345, "指数": 71.25, "目标": None},
        {"地区": "<b>沈河区</b>", "人口（人）": 40000, "指数": None, "目标": 3.0},
    ]
    parser = _Tables()
    out = fmt.html_table(rows)
    parser.feed(out)
    [shown] = parser.tables
    styled = _shown(fmt.table(pd.DataFrame(rows)))
    assert shown[0] == list(rows[0])
    assert shown[1] == styled[0] == ["和平区", "612,345", "71.25", "—"]
    assert shown[2] == ["<b>沈河区</b>", "40,000", "—", "3"]  # read as text, not markup
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert fmt.html_table([]) == ""


def test_a_column_of_mixed_units_shows_each_number_as_it_needs():
    use_language("zh")
    frame = pd.DataFrame(
        {"数值": [617.0, 21.1, None, 1780.0, 0.953], "权重": [2.0, 1.0, 1.5, 1, 1]}
    )
    shown = _shown(fmt.table(frame, by_cell=("数值",)))
    assert [row[0] for row in shown] == ["617", "21.1", "—", "1,780", "0.953"]
    assert [row[1] for row in shown] == ["2.0", "1.0", "1.5", "1.0", "1.0"]  # one unit: aligned


def test_the_pillar_pages_tables_show_no_none(app_env):
    # The current year: a standing figure nobody has reported yet has no value (not 0).
    at = app_as(os.environ["HAPPY_DB_URL"], "admin", "zh", "app_pages/organization.py")
    assert not at.exception and at.dataframe
    for table in at.dataframe:
        styled = table.proto.arrow_data.styler if hasattr(table.proto, "arrow_data") else None
        assert styled is None or "None" not in str(styled.display_values)
        # Streamlit draws a missing value itself, as "None", unless told otherwise.
        assert table.proto.placeholder == "—"


def test_the_remembered_html_table_follows_the_values_and_the_language():
    from tests.cards_html import _Tables

    def shown(rows):
        parser = _Tables()
        parser.feed(fmt.html_table(rows))
        return parser.tables[0][1:]

    use_language("zh")
    rows = [{"地区": "和平区", "活动": 48500.5}]
    assert shown(rows) == [["和平区", "48,500.5"]]
    assert fmt.html_table([dict(r) for r in rows]) is fmt.html_table(rows)  # made once
    assert shown([{"地区": "和平区", "活动": 48501.5}]) == [["和平区", "48,501.5"]]
    use_language("en")
    assert shown([{"地区": "和平区", "活动": 1234.5}]) == [["和平区", "1,234.5"]]
    use_language("zh")
    # A value that cannot be a key: made each time, the same way.
    assert shown([{"地区": ["和平区"], "活动": 1.5}]) == [["['和平区']", "1.5"]]
