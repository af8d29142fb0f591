"""AppTest of the monthly report pages (issue 13): the form (pre-fill, draft, submit, saved once,
validation, plausibility warning), the review queue (approve one, approve all, return with a
comment, resubmit, reopen), the leaders' completeness and "截至" marks. Each test works in a
month of its own (the report pages' clock is set per test), so that they do not meet."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access.db import read_session, write_session
from data_access.models import AuditLog, MonthlyReport, MonthlyReportValue
from data_access.periods import Period
from data_access.regions import get_region
from data_access.report_sheets import template_xlsx
from data_access.reports import (
    get_completeness,
    get_report_form,
    reopen_report,
    save_report,
)
from data_access.store import open_store
from tests.auth_helpers import app_as
from tests.cards_html import cards
from tests.cards_html import notes as card_notes
from tests.markdown import shown
from tests.report_fixtures import STREET_USER, add_street_reviewer, app_at_now, demo_place

FORM = "app_pages/report.py"
REVIEW = "app_pages/report_review.py"
IMPORT = "app_pages/report_import.py"


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def report_db(request: pytest.FixtureRequest) -> str:
    """A writable demo store with a street reviewer on each backend (one per test module)."""
    if request.param == "sqlite":
        return request.getfixturevalue("report_store")
    # A copy of the session's PostgreSQL demo (loaded from the SQLite one, seeded for
    # DEMO_TODAY): seeding here by the real clock gave reports up to last month, not the test's.
    template = request.getfixturevalue("pg_demo_template")
    url = request.getfixturevalue("pg_server").create_database(
        "happy_report_pages", template=template
    )
    add_street_reviewer(url)
    return url


@pytest.fixture
def report_db_env(monkeypatch: pytest.MonkeyPatch, report_db: str) -> Iterator[str]:
    """report_env on each backend in turn."""
    yield from app_at_now(monkeypatch, report_db)


def test_the_menu_lists_the_report_pages_by_role(report_env):
    # Community staff fill in their report; the street's staff also review and import;
    # leaders none of them (their URLs show the notice: tests/test_navigation.py).
    staff = _app("staff", FORM)
    with pytest.raises(ValueError):
        staff.switch_page(REVIEW)
    with pytest.raises(ValueError):
        staff.switch_page(IMPORT)
    street = _app(STREET_USER, REVIEW)
    street.switch_page(IMPORT).run()
    assert not street.exception
    street.switch_page(FORM).run()
    assert not street.exception


def at_month(monkeypatch: pytest.MonkeyPatch, month: int) -> None:
    """Set the report pages' clock to the middle of the month (yyyymm)."""
    moment = datetime(month // 100, month % 100, 15, 2, 0, tzinfo=UTC)
    monkeypatch.setattr("data_access.clock.now", lambda: moment)


def _app(user: str, page: str, lang: str = "zh", **params: str) -> AppTest:
    at = app_as(os.environ["HAPPY_DB_URL"], user, lang, page, **params)
    assert not at.exception
    return at


def _report(url: str, region_id: int, month: int) -> tuple[MonthlyReport | None, dict]:
    engine = open_store(url)
    with read_session(engine) as session:
        report = session.scalar(
            select(MonthlyReport).where(
                MonthlyReport.region_id == region_id, MonthlyReport.month == month
            )
        )
        values = {}
        if report is not None:
            values = {
                v.indicator_key: v.value
                for v in session.scalars(
                    select(MonthlyReportValue).where(MonthlyReportValue.report_id == report.id)
                )
            }
            session.expunge(report)
    engine.dispose()
    return report, values


def _form(url: str, region_id: int, month: int):
    engine = open_store(url)
    with read_session(engine) as session:
        form = get_report_form(session, None, region_id, month)
    engine.dispose()
    return form


def _submit(url: str, region_id: int, month: int, change: dict | None = None) -> None:
    """Submit a region's report for the month as its staff would (last month's values)."""
    form = _form(url, region_id, month)
    values = {r.indicator_key: r.value for r in form.rows} | (change or {})
    engine = open_store(url)
    with write_session(engine) as session:
        save_report(
            session, None, region_id, month, values, submit=True, expected_version=form.version
        )
    engine.dispose()


def _red(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":red[")]


def _captions(at: AppTest) -> str:
    return " ".join(shown(c.value) for c in at.caption)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_is_prefilled_with_last_months_values_and_saves_a_draft_once(
    report_db_env, monkeypatch, lang
):
    month = 202601 if lang == "zh" else 202602
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    form = _form(report_db_env, place.community_id, month)
    grids = next(r for r in form.rows if r.indicator_key == "grids")
    assert grids.previous is not None and grids.prefilled

    at = _app("staff", FORM, lang)
    # This month by the clock; each field holds last month's value, marked as such.
    assert at.session_state["month"] == str(Period(month // 100, month % 100, 1))
    assert at.number_input(key="rep_grids").value == grids.previous
    captions = _captions(at)
    if lang == "zh":
        assert "上月" in captions and f"{grids.previous:g}" in captions
        assert at.number_input(key="rep_grids").label == "城乡基础网格（个）"
    else:
        assert "last month" in captions.lower()
    assert len(at.number_input) == len(form.rows)

    at.number_input(key="rep_grids").set_value(grids.previous + 1).run()
    at.button(key="rep_save_draft").click().run()
    assert not at.exception
    report, values = _report(report_db_env, place.community_id, month)
    assert report.status == "draft" and report.version == 1
    assert values["grids"] == grids.previous + 1
    assert at.success and ("草稿已保存" if lang == "zh" else "Draft saved") in at.success[0].value
    # A second click (a double click, or a click after a save that changed nothing) saves
    # nothing more.
    at.button(key="rep_save_draft").click().run()
    at.run()
    report, _ = _report(report_db_env, place.community_id, month)
    assert report.version == 1
    engine = open_store(report_db_env)
    with read_session(engine) as session:
        writes = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity.like("%report%"), AuditLog.entity_id == str(report.id))
        )
    engine.dispose()
    assert writes == 1
    assert at.number_input(key="rep_grids").value == grids.previous + 1


def test_bad_values_are_refused_beside_their_fields_and_the_input_is_kept(report_env, monkeypatch):
    month = 202603
    at_month(monkeypatch, month)
    place = demo_place(report_env)
    at = _app("staff", FORM)
    at.number_input(key="rep_grids").set_value(-3)
    at.number_input(key="rep_gis_buildings").set_value(1.5)
    at.run()
    at.button(key="rep_submit").click().run()
    assert not at.exception
    assert len(_red(at)) == 2
    assert "2" in at.error[0].value and "未保存" in at.error[0].value
    assert at.number_input(key="rep_grids").value == -3
    assert at.number_input(key="rep_gis_buildings").value == 1.5
    report, _ = _report(report_env, place.community_id, month)
    assert report is None  # nothing written


def test_a_large_move_is_saved_with_a_plausibility_warning(report_env, monkeypatch):
    month = 202604
    at_month(monkeypatch, month)
    place = demo_place(report_env)
    at = _app("staff", FORM)
    previous = at.number_input(key="rep_grids").value
    at.number_input(key="rep_grids").set_value(previous * 3 + 3).run()
    at.button(key="rep_submit").click().run()
    assert not at.exception
    report, values = _report(report_env, place.community_id, month)
    assert report.status == "submitted" and values["grids"] == previous * 3 + 3
    assert any("网格" in w.value for w in at.warning)
    assert [m for m in at.markdown if m.value.startswith(":orange[")]


def _pick(at: AppTest, region_id: int) -> None:
    at.selectbox(key="rv_pick").set_value(region_id).run()


def test_a_street_reviewer_approves_one_report_and_the_form_locks(report_db_env, monkeypatch):
    month = 202605
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    _submit(report_db_env, place.community_id, month)
    at = _app(STREET_USER, REVIEW)
    # One row per community of the street, whatever its status.
    assert len(at.selectbox(key="rv_pick").options) == 1 + len(place.siblings)
    _pick(at, place.community_id)
    at.button(key=f"rv_approve_{place.community_id}").click().run()
    assert not at.exception
    report, _ = _report(report_db_env, place.community_id, month)
    assert report.status == "approved"
    assert "已通过" in at.success[0].value

    staff = _app("staff", FORM)
    assert "已锁定" in staff.success[0].value
    assert all(n.disabled for n in staff.number_input)
    assert not [b for b in staff.button if b.key in ("rep_save_draft", "rep_submit")]


def test_approve_all_approves_every_submitted_report_at_once(report_db_env, monkeypatch):
    month = 202606
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    submitted = [place.community_id, *place.siblings[:2]]
    for region_id in submitted:
        _submit(report_db_env, region_id, month)
    at = _app(STREET_USER, REVIEW)
    button = at.button(key="rv_approve_all")
    assert "3" in button.label
    button.click().run()
    assert not at.exception
    assert [_report(report_db_env, r, month)[0].status for r in submitted] == ["approved"] * 3
    if len(place.siblings) > 2:
        assert _report(report_db_env, place.siblings[2], month)[0] is None


def test_approve_all_that_fails_partway_says_how_many_were_approved(report_db_env, monkeypatch):
    """Approve-all commits in parts: when a later part fails, the page says how many reports
    were approved and that the rest were not (not only the failure), the queue shows them
    approved, and "approve all" again approves the rest."""
    from data_access import reports
    from data_access.db import StoreError

    month = 202603  # other tests of this module's store save no report for it
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    submitted = place.siblings[-3:]
    assert len(submitted) == 3
    for region_id in submitted:
        _submit(report_db_env, region_id, month)
    at = _app(STREET_USER, REVIEW)
    monkeypatch.setattr(reports, "APPROVE_PART", 2)
    publish, calls = reports.write_publication, []

    def failing_second(session, publication):
        calls.append(publication)
        if len(calls) == 2:
            raise StoreError("数据库暂时无法写入。", "The database cannot be written just now.")
        publish(session, publication)

    monkeypatch.setattr(reports, "write_publication", failing_second)
    at.button(key="rv_approve_all").click().run()
    assert not at.exception
    assert not at.error
    said = at.warning[0].value
    assert "已通过 2 份报表" in said and "其余未能通过" in said and "数据库暂时无法写入" in said
    statuses = [_report(report_db_env, r, month)[0].status for r in submitted]
    assert sorted(statuses) == ["approved", "approved", "submitted"]
    again = at.button(key="rv_approve_all")
    assert "1" in again.label  # the queue was read afresh: one report still submitted
    monkeypatch.setattr(reports, "write_publication", publish)
    again.click().run()
    assert "已通过 1 份报表" in at.success[0].value
    assert [_report(report_db_env, r, month)[0].status for r in submitted] == ["approved"] * 3


def test_approve_all_in_parts_shows_a_bar_of_the_reports_approved(report_db_env, monkeypatch):
    """Approving more reports than one part (each part committed on its own) draws a progress
    bar that says how many are approved after each part, then the page says all were."""
    from streamlit.delta_generator import DeltaGenerator

    from data_access import reports

    month = 202604  # no other test of this store (report_db_env) saves a report for it
    at_month(monkeypatch, month)
    submitted = demo_place(report_db_env).siblings[-3:]
    for region_id in submitted:
        _submit(report_db_env, region_id, month)
    at = _app(STREET_USER, REVIEW)
    monkeypatch.setattr(reports, "APPROVE_PART", 1)
    drawn, draw = [], DeltaGenerator.progress

    def seen(self, value, text=None, **kwargs):  # the bar's updates, drawn by Streamlit as ever
        drawn.append((value, text))
        return draw(self, value, text=text, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "progress", seen)
    at.button(key="rv_approve_all").click().run()
    assert not at.exception
    assert [value for value, _ in drawn] == [1 / 3, 2 / 3]  # after the first and second parts
    assert "已通过 1 / 3 份报表" in drawn[0][1] and "已通过 2 / 3 份报表" in drawn[1][1]
    assert "已通过 3 份报表" in at.success[0].value
    assert not at.get("progress")  # gone once done: no bar stuck at 2 / 3 beside the message
    assert [_report(report_db_env, r, month)[0].status for r in submitted] == ["approved"] * 3


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_report_returned_with_a_comment_is_fixed_and_resubmitted(
    report_db_env, monkeypatch, lang
):
    month = 202607 if lang == "zh" else 202608
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    _submit(report_db_env, place.community_id, month)
    at = _app(STREET_USER, REVIEW, lang)
    _pick(at, place.community_id)
    # No comment: refused beside the field, nothing changes.
    at.button(key=f"rv_return_{place.community_id}").click().run()
    assert _red(at)
    assert _report(report_db_env, place.community_id, month)[0].status == "submitted"
    comment = "网格数与上月不符，请核对"
    at.text_area(key=f"rv_comment_{place.community_id}").input(comment).run()
    at.button(key=f"rv_return_{place.community_id}").click().run()
    assert not at.exception
    report, _ = _report(report_db_env, place.community_id, month)
    assert report.status == "returned" and report.comment == comment

    staff = _app("staff", FORM, lang)
    assert comment in staff.warning[0].value
    grids = staff.number_input(key="rep_grids").value
    staff.number_input(key="rep_grids").set_value(grids + 1).run()
    staff.button(key="rep_submit").click().run()
    assert not staff.exception
    report, values = _report(report_db_env, place.community_id, month)
    assert report.status == "submitted" and values["grids"] == grids + 1


def test_an_admin_reopens_an_approved_report_with_a_reason(report_db_env, monkeypatch):
    month = 202609
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    _submit(report_db_env, place.community_id, month)
    reviewer = _app(STREET_USER, REVIEW)
    _pick(reviewer, place.community_id)
    reviewer.button(key=f"rv_approve_{place.community_id}").click().run()
    assert _report(report_db_env, place.community_id, month)[0].status == "approved"
    # The reviewer cannot reopen; the admin, choosing the street, can, with a reason.
    assert not [b for b in reviewer.button if b.key.startswith("rv_reopen")]

    at = _app("admin", REVIEW)
    engine = open_store(report_db_env)
    with read_session(engine) as session:
        district_id = get_region(session, place.district_code).id
    engine.dispose()
    at.selectbox(key="rv_district").set_value(district_id).run()
    at.selectbox(key="rv_street").set_value(place.street_id).run()
    _pick(at, place.community_id)
    at.button(key=f"rv_reopen_{place.community_id}").click().run()
    assert _red(at)
    assert _report(report_db_env, place.community_id, month)[0].status == "approved"
    at.text_input(key=f"rv_reason_{place.community_id}").input("数据录错，需更正").run()
    at.button(key=f"rv_reopen_{place.community_id}").click().run()
    assert not at.exception
    assert _report(report_db_env, place.community_id, month)[0].status != "approved"


def _completeness(url: str, code: str, month: int):
    engine = open_store(url)
    with read_session(engine) as session:
        done = get_completeness(session, get_region(session, code), month, "community")
    engine.dispose()
    return done


def test_the_leaders_overview_shows_completeness_and_the_month_figures_stand_at(
    report_env, monkeypatch
):
    place = demo_place(report_env)
    before = _completeness(report_env, place.district_code, 202512)
    at = _app("leader", "app_pages/overview.py", period="2025")
    metrics = {label: card.value for label, card in cards(at).items()}
    assert metrics["已通过的社区月报（2025-12）"] == f"{before.approved:,} / {before.total:,}"
    assert "截至 2025-12" in " ".join(card_notes(at))  # the cards' as-of notes
    # The count moves when a report is no longer approved (an admin reopens one).
    engine = open_store(report_env)
    with write_session(engine) as session:
        done = get_completeness(
            session, get_region(session, place.district_code), 202512, "community"
        )
        late = {r.region_id for r in done.late}
        region_id = next(
            r
            for r in [place.community_id, *place.siblings]
            if r not in late and _form_status(session, r) == "approved"
        )
        reopen_report(session, None, region_id, 202512, "测试重新打开")
    engine.dispose()
    at = _app("leader", "app_pages/overview.py", period="2025")
    metrics = {label: card.value for label, card in cards(at).items()}
    assert metrics["已通过的社区月报（2025-12）"] == f"{before.approved - 1:,} / {before.total:,}"
    # The late ones are listed under a fold that says how many, in either language.
    late = before.total - before.approved + 1
    assert f"尚未通过的社区（{late:,} 个）" in [e.label for e in at.expander]
    at = _app("leader", "app_pages/overview.py", lang="en", period="2025")
    assert f"Not yet approved: {late:,} communities" in [e.label for e in at.expander]


def _form_status(session, region_id: int) -> str:
    return get_report_form(session, None, region_id, 202512).status


def test_a_pillar_page_marks_each_standing_figure_with_its_month(report_env):
    at = _app("leader", "app_pages/organization.py", period="2025")
    table = at.dataframe[0].value
    assert "截至" in table.columns
    marked = [v for v in table["截至"] if v and v != "—"]  # "—": not a standing figure
    assert marked and all(v.startswith("截至 2025-12") or v == "未填报" for v in marked)


def _template_sheet(url: str, street_code: str, month: int, change) -> bytes:
    """The street's template for the month, changed by `change(rows)` (header first), as CSV."""
    engine = open_store(url)
    with read_session(engine) as session:
        data = template_xlsx(session, get_region(session, street_code), month)
    engine.dispose()
    book = load_workbook(io.BytesIO(data))
    rows = [list(r) for r in book["月报"].iter_rows(values_only=True)]
    change(rows)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("gbk")


def _reports(url: str, region_ids, month: int) -> dict[int, str]:
    return {r: (_report(url, r, month)[0] or MonthlyReport(status="-")).status for r in region_ids}


def test_a_street_imports_its_communities_reports_from_the_template(report_db_env, monkeypatch):
    month = 202610
    at_month(monkeypatch, month)
    place = demo_place(report_db_env)
    communities = [place.community_id, *place.siblings]

    def fill_blanks(rows):
        for row in rows[1:]:
            row[3:] = [0 if v is None else v for v in row[3:]]
        rows[1][rows[0].index("城乡基础网格（个）")] += 1

    sheet = _template_sheet(report_db_env, place.street_code, month, fill_blanks)
    at = _app(STREET_USER, IMPORT)
    assert at.get("download_button")
    at.file_uploader[0].set_value(("月报.csv", sheet, "text/csv")).run()
    at.checkbox(key="rimp_submit").check().run()
    at.button(key="rimp_go").click().run()
    assert not at.exception
    assert str(len(communities)) in at.success[0].value
    assert set(_reports(report_db_env, communities, month).values()) == {"submitted"}
    versions = [_report(report_db_env, r, month)[0].version for r in communities]
    # Clicking again (or rerunning) imports nothing more.
    at.run()
    assert [_report(report_db_env, r, month)[0].version for r in communities] == versions


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_bad_row_refuses_the_whole_import_with_its_row_and_column(
    report_env, monkeypatch, lang
):
    month = 202611 if lang == "zh" else 202612
    at_month(monkeypatch, month)
    place = demo_place(report_env)
    communities = [place.community_id, *place.siblings]

    def one_negative(rows):
        rows[-1][rows[0].index("城乡基础网格（个）")] = -4

    sheet = _template_sheet(report_env, place.street_code, month, one_negative)
    at = _app(STREET_USER, IMPORT, lang)
    at.file_uploader[0].set_value(("月报.csv", sheet, "text/csv")).run()
    at.button(key="rimp_go").click().run()
    assert not at.exception
    errors = at.dataframe[0].value
    assert list(errors.iloc[0][:2]) == [len(communities) + 1, "城乡基础网格（个）"]
    assert ("一行也未导入" if lang == "zh" else "nothing was imported") in at.error[0].value
    assert set(_reports(report_env, communities, month).values()) == {"-"}


def test_the_what_if_switch_counts_a_submitted_report_as_if_approved(report_env):
    """A leader's switch shows which standing figures would change if submitted reports were
    counted: a community of the leader's district submits a changed value (not yet approved);
    the switch's table says 已通过 → 计入已提交 with the change."""
    place = demo_place(report_env)  # in the demo leader's district
    engine = open_store(report_env)
    with write_session(engine) as session:
        region_id = next(r for r in place.siblings if _form_status(session, r) == "approved")
        reopen_report(session, None, region_id, 202512, "测试：重新填报")
        form = get_report_form(session, None, region_id, 202512)
        row = next(row for row in form.rows if row.previous is not None)
        values = {r.indicator_key: (r.value if r.value is not None else 0) for r in form.rows}
        values[row.indicator_key] = row.previous + 3
        save_report(
            session,
            None,
            region_id,
            202512,
            values,
            submit=True,
            expected_version=form.version,
            now=datetime.now(UTC),
        )
    engine.dispose()
    name = row.name_zh
    at = _app("leader", "app_pages/overview.py", period="2025")
    assert not [d for d in at.dataframe if "计入已提交" in d.value.columns]  # off by default
    at.toggle(key="what_if_all").set_value(True).run()
    assert not at.exception
    frame = next(d.value for d in at.dataframe if "计入已提交" in d.value.columns)
    line = frame[frame["指标"] == name]
    assert len(line) == 1
    assert line["变化"].iloc[0] == 3
    assert line["计入已提交"].iloc[0] - line["已通过"].iloc[0] == 3
