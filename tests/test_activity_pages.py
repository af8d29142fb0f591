"""AppTest of the Record, Activity log and Bulk import pages: submit, then look in the store."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from data_access import cached
from data_access.accounts import demo_community
from data_access.activities import add_activity, update_activity
from data_access.activity_log import get_activity
from data_access.db import read_session, write_session
from data_access.importing import template_header
from data_access.models import Activity, Region
from data_access.store import open_store
from tests.auth_helpers import app_as
from ui.plain import plain


def _app(lang: str = "zh", page: str = "record", user: str = "admin", **params: str) -> AppTest:
    """A page of the app, signed in (as the admin by default, who may write anywhere)."""
    at = app_as(os.environ["HAPPY_DB_URL"], user, lang, f"app_pages/{page}.py", **params)
    assert not at.exception
    return at


@pytest.fixture
def place(record_env):
    engine = open_store(record_env)
    with read_session(engine) as session:
        community = session.scalars(
            select(Region).where(Region.level == "community").order_by(Region.id).offset(11)
        ).first()
        result = {
            "district_id": community.district_id,
            "street_id": community.street_id,
            "community_id": community.id,
            "code": community.code,
        }
    engine.dispose()
    return result


def _fill(at: AppTest, place: dict, title: str, type_key="mediation", **measures) -> None:
    at.selectbox(key="rec_type").set_value(type_key).run()
    at.selectbox(key="rec_district").set_value(place["district_id"]).run()
    at.selectbox(key="rec_street").set_value(place["street_id"]).run()
    at.selectbox(key="rec_community").set_value(place["community_id"]).run()
    at.text_input(key="rec_date").input("2025-05-20")
    at.text_input(key="rec_title").input(title)
    for key, value in measures.items():
        at.number_input(key=f"rec_m_{key}").set_value(value)
    at.run()


def _rows(url: str, title: str) -> list[Activity]:
    engine = open_store(url)
    with read_session(engine) as session:
        rows = list(session.scalars(select(Activity).where(Activity.title == title)))
        session.expunge_all()
    engine.dispose()
    return rows


def _red(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(":red[")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_valid_form_is_saved_once_and_confirmed(record_env, place, lang):
    at = _app(lang)
    title = f"调解 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=3, cases_resolved=2)
    assert at.number_input(key="rec_m_participants").label.startswith(
        "参与人数（人）" if lang == "zh" else "Participants (people)"
    )
    at.button[0].click().run()
    assert not at.exception
    rows = _rows(record_env, title)
    assert len(rows) == 1
    assert rows[0].participants == 3 and rows[0].cases_resolved == 2
    assert rows[0].community_id == place["community_id"] and rows[0].source == "form"
    assert str(rows[0].id) in at.success[0].value
    # Reruns (and a stray second click, which sends the same token) add nothing.
    at.run()
    at.run()
    assert len(_rows(record_env, title)) == 1


def test_a_double_click_sends_one_token_and_saves_once(record_env, place):
    at = _app()
    title = f"双击 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=1, cases_resolved=1)
    token = at.session_state["rec_token"]
    kept = {k: at.session_state[k] for k in ("rec_type", "rec_district", "rec_street")}
    at.button[0].click().run()
    first_id = _rows(record_env, title)[0].id
    # The second click of a double click reaches the server with the form's same token.
    del at.session_state["rec_saved"]
    for key, value in kept.items():
        at.session_state[key] = value
    at.run()
    _fill(at, place, title, participants=1, cases_resolved=1)
    assert at.session_state["rec_token"] == token
    at.button[0].click().run()
    assert [r.id for r in _rows(record_env, title)] == [first_id]
    assert str(first_id) in at.success[0].value


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_invalid_form_shows_errors_by_the_fields_and_keeps_the_input(
    record_env,
    place,
    lang,
):
    at = _app(lang)
    title = f"错误 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=-2, cases_resolved=5)
    at.button[0].click().run()
    assert not at.exception
    assert _rows(record_env, title) == []
    messages = " ".join(_red(at))
    assert ("不能是负数" if lang == "zh" else "Cannot be negative") in messages
    assert at.error and ("未保存" if lang == "zh" else "Nothing was saved") in at.error[0].value
    assert at.text_input(key="rec_title").value == title
    assert at.number_input(key="rec_m_participants").value == -2
    assert at.selectbox(key="rec_community").value == place["community_id"]


def test_an_empty_form_names_each_required_field(record_env):
    at = _app()
    at.button[0].click().run()
    messages = " ".join(_red(at))
    for text in ("请选择活动类型", "请选择社区", "请填写标题"):
        assert text in messages


def test_record_another_keeps_region_and_type(record_env, place):
    at = _app()
    title = f"再录 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=2, cases_resolved=1)
    at.button[0].click().run()
    at.button[0].click().run()  # 再录一条
    assert not at.exception
    assert at.selectbox(key="rec_type").value == "mediation"
    assert at.selectbox(key="rec_community").value == place["community_id"]
    assert at.text_input(key="rec_title").value == ""
    assert at.number_input(key="rec_m_participants").value is None


def test_a_likely_duplicate_asks_before_saving(record_env, place):
    at = _app()
    title = f"重复 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=2, cases_resolved=1)
    at.button[0].click().run()
    at.button[0].click().run()  # record another, same region and type
    _fill(at, place, title, participants=4, cases_resolved=1)
    at.button[0].click().run()
    assert at.warning and "相同" in at.warning[0].value
    assert len(_rows(record_env, title)) == 1
    at.button[0].click().run()  # 仍然保存
    assert len(_rows(record_env, title)) == 2


def test_a_saved_record_shows_at_once_in_cached_figures(record_env, place):
    before = cached.indicator_values(record_env, place["code"], "2025")["disputes_mediated"]
    at = _app()
    _fill(at, place, f"缓存 {uuid4().hex[:8]}", participants=2, cases_resolved=7)
    at.button[0].click().run()
    after = cached.indicator_values(record_env, place["code"], "2025")["disputes_mediated"]
    assert after == (before or 0) + 7


def _saved(url: str, place: dict, title: str) -> int:
    engine = open_store(url)
    data = {
        "type_key": "mediation",
        "community_id": place["community_id"],
        "occurred_on": date(2025, 6, 1),
        "title": title,
        "participants": 2,
        "cases_resolved": 1,
    }
    with write_session(engine) as session:
        activity_id = add_activity(session, data, uuid4().hex).activity_id
    engine.dispose()
    return activity_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_log_lists_filters_and_opens_a_record(record_env, place, lang):
    title = f"台账 {uuid4().hex[:8]}"
    activity_id = _saved(record_env, place, title)
    at = _app(lang, "activity_log")
    at.text_input(key="logf_text").input(title).run()
    assert not at.exception
    assert ("共 1 条" if lang == "zh" else "1 records") in at.caption[0].value
    frame = at.dataframe[0].value
    assert list(frame.iloc[:, 0]) == [activity_id]
    at = _app(lang, "activity_log", record=str(activity_id))
    assert at.text_input(key="edit_title").value == title
    assert at.expander  # history


def test_an_edit_is_saved_with_a_new_version(record_env, place):
    title = f"编辑 {uuid4().hex[:8]}"
    activity_id = _saved(record_env, place, title)
    at = _app("zh", "activity_log", record=str(activity_id))
    at.text_input(key="edit_title").input(title + "改").run()
    at.button(key="edit_save").click().run()
    assert not at.exception
    assert at.success and "版本 2" in at.success[0].value
    assert _rows(record_env, title + "改")[0].version == 2


def test_the_second_editor_sees_the_conflict_and_chooses(record_env, place):
    title = f"冲突 {uuid4().hex[:8]}"
    activity_id = _saved(record_env, place, title)
    at = _app("zh", "activity_log", record=str(activity_id))
    # Someone else saves first.
    engine = open_store(record_env)
    with write_session(engine) as session:
        record = get_activity(session, activity_id, None)
        theirs = {**record, "participants": 9}
        assert update_activity(session, activity_id, theirs, expected_version=1).ok
    at.text_input(key="edit_title").input(title + "（我的）").run()
    at.button(key="edit_save").click().run()
    assert not at.exception
    assert any("别人已经保存" in e.value for e in at.error)
    shown = at.dataframe[-1].value
    assert "9" in shown.to_string() and "（我的）" in shown.to_string()
    with read_session(engine) as session:
        stored = get_activity(session, activity_id, None)
    assert stored["title"] == title and stored["participants"] == 9  # nothing overwritten
    at.button(key="edit_keep_mine").click().run()
    with read_session(engine) as session:
        stored = get_activity(session, activity_id, None)
    engine.dispose()
    assert stored["title"] == title + "（我的）" and stored["version"] == 3
    # The user chose to overwrite with the form as it was: the other's 9 was shown, not kept.
    assert stored["participants"] == 2


def test_take_theirs_loads_the_other_version(record_env, place):
    title = f"载入 {uuid4().hex[:8]}"
    activity_id = _saved(record_env, place, title)
    at = _app("en", "activity_log", record=str(activity_id))
    engine = open_store(record_env)
    with write_session(engine) as session:
        record = get_activity(session, activity_id, None)
        assert update_activity(session, activity_id, {**record, "title": "theirs"}, 1).ok
    engine.dispose()
    at.text_input(key="edit_title").input("mine").run()
    at.button(key="edit_save").click().run()
    assert any("Someone else saved" in e.value for e in at.error)
    at.button(key="edit_take_theirs").click().run()
    assert at.text_input(key="edit_title").value == "theirs"
    assert not any("Someone else saved" in e.value for e in at.error)


def test_delete_and_restore_from_the_log_with_history(record_env, place):
    title = f"删除 {uuid4().hex[:8]}"
    activity_id = _saved(record_env, place, title)
    at = _app("zh", "activity_log", record=str(activity_id))
    at.button(key="edit_delete").click().run()
    assert not at.exception
    assert _rows(record_env, title)[0].deleted_at is not None
    assert at.warning and "已删除" in at.warning[0].value
    at.button(key="edit_restore").click().run()
    assert _rows(record_env, title)[0].deleted_at is None
    history = " ".join(m.value for m in at.markdown)
    for action in ("新建", "删除", "恢复"):
        assert action in history


def _csv(place: dict, title: str, bad: bool = False, encoding: str = "utf-8") -> bytes:
    header = template_header()
    values = dict.fromkeys(header, "")
    values.update(
        {
            "活动类型": "人民调解",
            "社区": place["code"],
            "日期": "2025-04-01",
            "标题": title,
            "参与人数（人）": "-1" if bad else "3",
            "解决件数（件）": "1",
        }
    )
    text = ",".join(header) + "\n" + ",".join(values[h] for h in header) + "\n"
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_import_page_checks_then_imports(record_env, place, encoding):
    title = f"导入 {uuid4().hex[:8]}"
    at = _app("zh", "activity_import")
    at.file_uploader[0].set_value(("a.csv", _csv(place, title, encoding=encoding), "text/csv"))
    at.run()
    assert not at.exception
    assert "1 行无误" in at.markdown[0].value or any("1 行无误" in m.value for m in at.markdown)
    at.button[0].click().run()
    assert at.success and "已导入 1 行" in at.success[0].value
    assert len(_rows(record_env, title)) == 1
    at.run()
    assert len(_rows(record_env, title)) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_page_shows_errors_and_imports_nothing(record_env, place, lang):
    title = f"坏表 {uuid4().hex[:8]}"
    at = _app(lang, "activity_import")
    at.file_uploader[0].set_value(("a.csv", _csv(place, title, bad=True), "text/csv"))
    at.run()
    assert not at.exception
    assert at.error and len(at.dataframe) == 1
    frame = at.dataframe[0].value
    assert list(frame.iloc[:, 0]) == [2]
    assert not [b for b in at.button if b.key != "auth_sign_out"]  # no import button
    assert _rows(record_env, title) == []


def test_import_page_refuses_a_non_spreadsheet(record_env):
    at = _app("en", "activity_import")
    at.file_uploader[0].set_value(("x.txt", b"\x00\x01binary\x00", "text/plain"))
    at.run()
    assert not at.exception
    assert at.error and "Cannot import" in at.error[0].value


def test_store_counts(record_env):
    engine = open_store(record_env)
    with read_session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Activity)) > 0
    engine.dispose()


def _staff_places(url: str) -> dict[str, dict]:
    """The demo staff member's community (多福社区) and a community of another district."""
    engine = open_store(url)
    with read_session(engine) as session:
        own = demo_community(session)
        far = session.scalar(
            select(Region)
            .where(Region.level == "community", Region.district_id != own.district_id)
            .order_by(Region.id)
        )
        found = {
            name: {"district_id": r.district_id, "street_id": r.street_id, "community_id": r.id}
            for name, r in (("own", own), ("far", far))
        }
    engine.dispose()
    return found


def test_a_record_out_of_scope_or_unknown_opens_as_the_same_notice(record_env):
    places = _staff_places(record_env)
    secret = f"别区机密 {uuid4().hex[:8]}"
    far_id = _saved(record_env, places["far"], secret)
    engine = open_store(record_env)
    with read_session(engine) as session:
        unknown_id = session.scalar(select(func.max(Activity.id))) + 1000
    engine.dispose()
    notices = []
    for record in (far_id, unknown_id):
        at = _app("zh", "activity_log", user="staff", record=str(record))
        assert not at.exception
        page = " ".join(
            str(e.value) for e in (*at.markdown, *at.error, *at.text_input, *at.subheader)
        )
        assert secret not in page
        assert not [w for w in at.text_input if w.key == "edit_title"]  # no form, no history
        assert not at.expander
        notices.append(at.error[0].value.replace(str(record), "ID"))
    assert notices[0] == notices[1]
    assert "不在您的查看范围内" in notices[0]


def test_a_record_in_scope_opens_with_its_own_place(record_env):
    places = _staff_places(record_env)
    title = f"本社区 {uuid4().hex[:8]}"
    own_id = _saved(record_env, places["own"], title)
    at = _app("zh", "activity_log", user="staff", record=str(own_id))
    assert at.text_input(key="edit_title").value == title
    for level in ("district", "street", "community"):
        assert at.selectbox(key=f"edit_{level}").value == places["own"][f"{level}_id"]


def test_a_leader_reads_a_record_of_the_district_but_not_of_another(record_env):
    places = _staff_places(record_env)
    mine = _saved(record_env, places["own"], f"领导可见 {uuid4().hex[:8]}")
    far = _saved(record_env, places["far"], f"领导不可见 {uuid4().hex[:8]}")
    at = _app("zh", "activity_log", user="leader", record=str(mine))
    assert not at.error and at.expander  # the history of a record in the leader's district
    at = _app("zh", "activity_log", user="leader", record=str(far))
    assert at.error and not at.expander


@pytest.mark.parametrize("title", [":smile: 笑脸", "**粗体** [链接](http://evil.example/)"])
def test_the_saved_banner_shows_the_title_as_typed_not_as_markdown(record_env, place, title):
    at = _app()
    _fill(at, place, f"{title} {uuid4().hex[:6]}", participants=2, cases_resolved=1)
    at.button[0].click().run()
    banner = at.success[0].value
    assert ":smile:" not in banner and "**" not in banner and "](" not in banner
    assert banner.startswith("已保存：")


def test_a_typed_date_is_saved_as_shown_or_refused_and_kept(record_env, place):
    at = _app()
    title = f"日期 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=2, cases_resolved=1)
    for typed in ("1900-01-01", "2025-02-30", (date.today() + timedelta(days=25)).isoformat()):
        at.text_input(key="rec_date").input(typed).run()
        at.button[0].click().run()
        assert _rows(record_env, title) == []
        assert any("日期" in m or "今天" in m or "2020" in m for m in _red(at)), _red(at)
        assert at.text_input(key="rec_date").value == typed
    at.text_input(key="rec_date").input("2025/6/3").run()
    at.button[0].click().run()
    assert [r.occurred_on for r in _rows(record_env, title)] == [date(2025, 6, 3)]


def test_a_fraction_of_a_person_is_refused_not_rounded(record_env, place):
    at = _app()
    title = f"人数 {uuid4().hex[:8]}"
    _fill(at, place, title, participants=1.5, cases_resolved=1)
    at.button[0].click().run()
    assert _rows(record_env, title) == []
    assert any("整数" in m for m in _red(at))
    assert at.number_input(key="rec_m_participants").value == 1.5


def test_one_save_forgets_the_cached_reads_once(record_env, place, monkeypatch):
    """The save's own clear is the only one: the next runs' store-version check knows this
    process has forgotten its reads for this write already."""
    at = _app()
    _fill(at, place, f"一次 {uuid4().hex[:8]}", participants=2, cases_resolved=1)
    cached.follow_store(record_env)
    cleared = []
    monkeypatch.setattr(cached, "clear_readers", lambda: cleared.append(1))
    at.button[0].click().run()
    assert not at.exception and at.session_state["rec_saved"]
    at.run()  # the store-version check of the next run
    at.run()  # and of the one after
    assert cleared == [1]


def test_a_title_with_a_streamlit_directive_shows_as_typed_in_the_save_summary(record_env, place):
    at = _app()
    title = f":red[x] {uuid4().hex[:6]}"
    _fill(at, place, title, participants=1, cases_resolved=1)
    at.button[0].click().run()
    assert not at.exception and at.session_state["rec_saved"]
    summary = next(m.value for m in at.markdown if "**标题**" in m.value)
    assert plain(title) in summary and title not in summary


def test_a_record_saved_today_is_first_in_the_log_its_link_opens(record_env, place, monkeypatch):
    # Today by the product's clock, in a year after the old fixed default period (2025): the log
    # was limited to that period and showed "共 0 条" for what had just been saved.
    today = date(2026, 11, 30)
    moment = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # noon in the users' zone
    monkeypatch.setattr("data_access.clock.now", lambda: moment)
    older = _saved(record_env, place, f"更早 {uuid4().hex[:8]}")  # entered before, dated 2025
    at = _app()
    assert at.text_input(key="rec_date").value == today.isoformat()
    title = f"今天 {uuid4().hex[:8]}"
    at.selectbox(key="rec_type").set_value("mediation").run()
    at.selectbox(key="rec_district").set_value(place["district_id"]).run()
    at.selectbox(key="rec_street").set_value(place["street_id"]).run()
    at.selectbox(key="rec_community").set_value(place["community_id"]).run()
    at.text_input(key="rec_title").input(title)
    at.number_input(key="rec_m_participants").set_value(2)
    at.number_input(key="rec_m_cases_resolved").set_value(1)
    at.run()
    at.button[0].click().run()
    saved = _rows(record_env, title)[0]
    assert saved.occurred_on == today
    link = at.get("page_link")[0].proto
    assert link.page == "activity-log" and link.query_string == f"record={saved.id}"
    # Following the link: the log page with the link's query string.
    at = _app("zh", "activity_log", record=str(saved.id))
    rows = at.dataframe[0].value
    assert rows.iloc[0, 0] == saved.id  # newest first, whatever the period
    assert older in set(rows.iloc[:, 0])
    assert at.text_input(key="edit_title").value == title  # opened on it
    # Its own dates narrow it; the dashboards' period does not.
    at.date_input(key="logf_to").set_value(date(2025, 12, 31)).run()
    assert saved.id not in set(at.dataframe[0].value.iloc[:, 0])


def _shown(at: AppTest) -> list[int]:
    return [int(i) for i in at.dataframe[0].value.iloc[:, 0]]


def _reference_page(url: str, page: int) -> list[int]:
    """The whole log's page (50 the latest entered first) as a plain OFFSET lists it."""
    engine = open_store(url)
    with read_session(engine) as session:
        ids = session.scalars(
            select(Activity.id)
            .where(Activity.deleted_at.is_(None))
            .order_by(Activity.id.desc())
            .limit(50)
            .offset((page - 1) * 50)
        ).all()
    engine.dispose()
    return list(ids)


def test_the_logs_pages_follow_on_from_what_was_shown(record_env, place):
    """› and ‹ show the records next to those shown, even when new ones are entered meanwhile
    (they do not push a record seen onto the next page); a page typed is the page of that
    number; page 1 is the newest."""
    at = _app("zh", "activity_log")
    # The export follows the log's order (the latest entered first here), not always the date.
    assert any("按当前排序" in c.value for c in at.caption)
    at.button(key="log_next").click().run()
    at.button(key="log_next").click().run()
    assert at.number_input(key="log_page").value == 3
    third = _shown(at)
    assert third == _reference_page(record_env, 3)
    new = _saved(record_env, place, f"翻页 {uuid4().hex[:8]}")
    cached.clear_readers()  # as a write by another server process is noticed
    at.button(key="log_next").click().run()
    fourth = _shown(at)
    # The new record moved every record one place down: page 4 by its number would now start
    # with page 3's last record.
    assert _reference_page(record_env, 4)[0] == third[-1]
    assert fourth == _reference_page(record_env, 4)[1:] + _reference_page(record_env, 5)[:1]
    at.button(key="log_prev").click().run()
    assert _shown(at) == third
    at.number_input(key="log_page").set_value(1).run()
    assert _shown(at)[0] == new
    at.number_input(key="log_page").set_value(2000).run()
    assert not at.exception
    assert _shown(at) == _reference_page(record_env, 2000)
    assert "第 2000/" in at.caption[0].value
