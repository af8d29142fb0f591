"""The leaders' views in AppTest: every page in both languages at each drill level, the region
filter in the URL, drill-down and breadcrumb, comparison, and exports equal to the query result."""

from __future__ import annotations

import io
import os

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data_access.areas import get_child_indexes
from data_access.db import read_session
from data_access.periods import parse_period
from data_access.regions import get_city, get_region, list_children
from data_access.registry import indicators_of
from data_access.scoring import get_index
from data_access.store import open_store
from tests.auth_helpers import app_as
from tests.cards_html import cards as shown_cards
from tests.cards_html import tables as html_tables
from ui.exports import to_csv, to_xlsx
from ui.views import ranking_frame

VIEW_PAGES = ["app_pages/overview.py"] + [
    f"app_pages/{key}.py"
    for key in ("organization", "governance", "service", "neighborliness", "safety")
]


def _run(page: str | None = None, **params: str) -> AppTest:
    """The app signed in as the admin (scope: the whole city)."""
    lang = params.pop("lang", None)
    return app_as(os.environ["HAPPY_DB_URL"], "admin", lang, page, **params)


@pytest.fixture(scope="module")
def chain(sqlite_url) -> dict[str, str]:
    """A region code at each drill level: city, district, street, community."""
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        region = get_city(session)
        codes = {}
        while region is not None and region.level != "grid":
            codes[region.level] = region.code
            kids = list_children(session, region.id)
            region = kids[0] if kids else None
    engine.dispose()
    return codes


@pytest.mark.parametrize("level", ["city", "district", "street", "community"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", VIEW_PAGES)
def test_every_view_at_every_level_in_both_languages(app_env, chain, page, lang, level):
    at = _run(page, lang=lang, region=chain[level])
    assert not at.exception
    assert not at.error
    assert at.query_params["region"] == chain[level]
    headers = " ".join(h.value for h in at.subheader)
    assert ("（" if lang == "zh" else "(") in headers


def test_filters_round_trip_through_the_url(app_env, chain):
    at = _run("app_pages/service.py", lang="en", period="2025Q2", region=chain["street"])
    assert at.query_params["lang"] == "en"
    assert at.query_params["period"] == "2025Q2"
    assert at.query_params["region"] == chain["street"]
    again = _run("app_pages/service.py", **{k: at.query_params[k] for k in at.query_params})
    assert [s.value for s in again.subheader] == [s.value for s in at.subheader]


def test_a_bad_region_falls_back_to_the_city_with_a_notice(app_env, chain):
    for bad in ("999999", "'; drop table regions; --"):
        at = _run(region=bad)
        assert not at.exception and not at.error
        assert at.query_params["region"] == chain["city"]
        assert any("无效" in toast.value for toast in at.toast)


def test_drill_down_by_the_sidebar_and_back_up_by_the_breadcrumb(app_env, chain):
    at = _run("app_pages/organization.py")
    assert at.query_params["region"] == chain["city"]
    at.sidebar.selectbox(key="_w_region_child").set_value(chain["district"]).run()
    assert at.query_params["region"] == chain["district"]
    at.sidebar.selectbox(key="_w_region_child").set_value(chain["street"]).run()
    assert at.query_params["region"] == chain["street"]
    at.button(key=f"crumb_{chain['city']}").click().run()
    assert at.query_params["region"] == chain["city"]
    assert not at.exception


def test_overview_shows_the_index_and_ranks_the_districts(app_env, sqlite_url):
    at = _run(period="2025")
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        index = get_index(session, city, city, parse_period("2025"))
        kids = get_child_indexes(session, city, city, parse_period("2025"))
    engine.dispose()
    scores = {label: card.value for label, card in shown_cards(at).items()}
    assert scores["幸福指数"] == f"{index.composite:.1f}"
    assert scores["组织有力"] == f"{index.pillar('organization').score:.1f}"
    assert scores["本期有活动记录的区县（市）"] == f"{len(kids)} / {len(kids)}"
    # The completeness section is one element: its heading, its count and the caption.
    section = next(h.proto.body for h in at.get("html") if "报送完整性" in h.proto.body)
    assert '<h4 class="hs-h4">报送完整性</h4>' in section and "本期有活动记录的区县" in section
    assert '<p class="hs-caption hs-good">✓ 所有区县（市）本期均有活动记录。</p>' in section
    table = next(t for t in html_tables(at) if "幸福指数（分）" in t.columns)
    assert len(table) == len(kids)
    best = max(kids, key=lambda k: k.index.composite)
    assert table.iloc[0]["地区代码"] == best.region.code


def _elements(node) -> int:
    return sum(1 + _elements(child) for child in getattr(node, "children", {}).values())


def test_the_overview_draws_a_section_s_heading_counts_and_caption_as_one_element(app_env):
    # Every element costs each run its drawing, a message and a websocket frame (issue 15 part
    # 3, docs/performance.md): the city's Overview drew 81 elements in its main area when each
    # heading, caption, count and column was its own and each table's two download buttons
    # stood in a row of their own (now one closed menu: ui/exports.download_buttons), 58 with
    # twelve attention lines and the attention rules drawn inside their closed popover.
    at = _run(period="2025")
    assert not at.exception
    assert _elements(at.main) <= 50
    assert not at.get("download_button")
    htmls = [h.proto.body for h in at.get("html")]
    assert len([h for h in htmls if "<style>" in h]) == 1, "the style is the router's, once a run"
    merged = ("主要指标", "组织有力", "报送完整性", "月报完成情况", "工作举措")
    assert not [m.value for m in at.markdown if m.value.lstrip("#").strip() in merged]
    assert all(any(f">{name}</h" in h for h in htmls) for name in merged)


def test_a_section_s_heading_and_caption_are_escaped_where_built():
    from ui import cards

    assert cards.heading_html("<b>x</b>", 3) == '<h3 class="hs-h3">&lt;b&gt;x&lt;/b&gt;</h3>'
    assert (
        cards.caption_html("a & <i>", True) == '<p class="hs-caption hs-good">a &amp; &lt;i&gt;</p>'
    )


def test_a_pillars_indicator_table_is_drawn_only_when_opened(app_env):
    at = _run(period="2025")
    names = {i.name_zh for i in indicators_of("service")}
    assert not any(names & set(d.value.iloc[:, 0]) for d in at.dataframe)
    at.session_state["more_service"] = True  # what opening the expander sets
    at.run()
    tables = [d.value for d in at.dataframe if names & set(d.value.iloc[:, 0])]
    assert len(tables) == 1 and set(tables[0]["指标"]) == names
    assert not at.exception


def test_compare_two_periods_and_two_regions(app_env, chain):
    at = _run("app_pages/safety.py", region=chain["district"], period="2025")
    table = at.dataframe[-1].value
    assert any("和平区" in c or "·" in c for c in table.columns)
    at.segmented_control(key="cmp_mode_safety").set_value("periods").run()
    at.selectbox(key="cmp_period_safety").set_value("2024").run()
    columns = " ".join(at.dataframe[-1].value.columns)
    assert "2025年" in columns and "2024年" in columns
    assert not at.exception


def test_csv_and_excel_exports_equal_the_query_result(sqlite_url):
    engine = open_store(sqlite_url)
    with read_session(engine) as session:
        city = get_city(session)
        district = get_region(session, list_children(session, city.id)[0].code)
        kids = get_child_indexes(session, district, city, parse_period("2025Q3"))
    engine.dispose()
    frame = ranking_frame(kids)
    from_csv = pd.read_csv(io.BytesIO(to_csv(frame)), encoding="utf-8-sig", dtype={"地区代码": str})
    pd.testing.assert_frame_equal(from_csv, frame, check_dtype=False)
    from_xlsx = pd.read_excel(io.BytesIO(to_xlsx(frame)), dtype={"地区代码": str})
    pd.testing.assert_frame_equal(from_xlsx, frame, check_dtype=False)
    by_code = {k.region.code: k for k in kids}
    for _, row in from_csv.iterrows():
        kid = by_code[row["地区代码"]]
        assert row["幸福指数（分）"] == pytest.approx(round(kid.index.composite, 1))
        assert row["活动数（次）"] == kid.activities


def test_a_score_card_reads_as_the_metric_did():
    from tests.cards_html import _Cards
    from ui import cards

    parser = _Cards()
    html = cards.score_card("幸福指数", "71.3", "-1.2", "较上年同期 +0.5", '<b>"help"</b>')
    assert "<b>" not in html and "&lt;b&gt;&quot;help&quot;" in html  # escaped where built
    parser.feed(html)
    parser.feed(cards.score_card("组织有力", "80.0", "+0.4", "较上年同期 —"))
    parser.feed(cards.score_card("服务便民", "—", None, "较上年同期 —"))
    fall, rise, empty = parser.cards
    assert (fall.value, fall.delta, fall.good, fall.notes) == (
        "71.3",
        "-1.2",
        False,
        ["较上年同期 +0.5"],
    )
    assert fall.help == '<b>"help"</b>'
    assert (rise.delta, rise.good, rise.help) == ("+0.4", True, None)
    assert (empty.value, empty.delta) == ("—", None)


def test_the_remembered_pillar_cards_follow_the_values_the_targets_and_the_language():
    from tests.cards_html import _Cards
    from ui import cards
    from ui.i18n import use_language

    ind = next(i for i in indicators_of("governance") if i.headline and i.kind == "flow")

    def shown(lang, value, target, comparable=True):
        use_language(lang)
        got = cards._pillar_grids(
            lang, False, comparable, ((ind.key, value),), ((ind.key, 100.0),),
            ((ind.key, target),), ()
        )  # fmt: skip
        parser = _Cards()
        parser.feed("".join(got))
        return next(c for c in parser.cards if c.label in (ind.name_zh, ind.name_en))

    try:
        first = shown("zh", 120.0, 150.0)
        assert (first.label, first.delta) == (ind.name_zh, "+20.0%")
        assert shown("zh", 120.0, 150.0) == first
        assert shown("zh", 90.0, 150.0).delta == "-10.0%"  # other values: made again
        assert shown("zh", 120.0, 150.0, comparable=False).delta is None
        assert shown("zh", 120.0, 300.0).notes != first.notes  # another target
        assert shown("en", 120.0, 150.0).label == ind.name_en
    finally:
        use_language("zh")
