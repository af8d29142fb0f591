"""月报导入 A month's reports of many regions from one sheet: the template (the regions of the
account's scope and their figures, with last month's values), the upload read and checked row
by row (the activity import's bounded reader and error table), then every row saved or none."""

from __future__ import annotations

import hashlib

import streamlit as st

from data_access import cached
from data_access.auth import PermissionDenied
from data_access.db import StoreError, run_read, run_write
from data_access.importing import MAX_UPLOAD_BYTES, ImportRefused, read_sheet
from data_access.reports import (
    ReportError,
    check_report_sheet,
    import_reports,
    report_template,
)
from ui import monthly_report
from ui.activity_import import show_check
from ui.auth import actor_id, signed_in
from ui.bootstrap import store_callback
from ui.exports import to_csv, to_xlsx
from ui.i18n import current_language, t, t_text
from ui.monthly_report import month_chooser, month_text

P = "rimp"
RESULT = f"{P}_result"


def _template(url: str, region_id: int, month: int):
    return run_read(cached.get_engine(url), report_template, actor_id(), region_id, month)


def templates(url: str, region_id: int, region_code: str, month: int) -> None:
    """Download buttons for the month's template as Excel and CSV (made only when asked)."""
    name = t_text("report.import.file_name", region=region_code, month=month_text(month))
    left, right = st.columns(2)
    left.download_button(
        t("report.import.template_xlsx"),
        lambda: to_xlsx(_template(url, region_id, month)),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        key=f"{P}_xlsx",
        width="stretch",
    )
    right.download_button(
        t("report.import.template_csv"),
        lambda: to_csv(_template(url, region_id, month)),
        file_name=f"{name}.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{P}_csv",
        width="stretch",
    )


def upload_and_check(url: str, month: int):
    """The uploader; the uploaded sheet read and checked once per upload and month."""
    upload = st.file_uploader(
        t("report.import.upload"),
        type=["csv", "xlsx", "xlsm", "txt", "tsv"],
        key=f"{P}_file",
        max_upload_size=MAX_UPLOAD_BYTES // 1024 // 1024,
    )
    if upload is None:
        return None
    data = upload.getvalue()
    # The same upload for the same month checks once and imports once, whatever clicks follow.
    token = f"rep:{month}:" + hashlib.sha256(data).hexdigest()[:24] + ":" + str(upload.file_id)[:24]
    cache = st.session_state.get(f"{P}_checked")
    if cache is not None and cache[0] == token:
        return cache[1], token
    lang = current_language()
    try:
        with st.spinner(t("import.reading")):
            table = read_sheet(upload.name, data)
            check = run_read(cached.get_engine(url), check_report_sheet, actor_id(), table, month)
    except ImportRefused as exc:
        st.error(t("report.import.refused", message=exc.message(lang)))
        return None
    except (StoreError, PermissionDenied, ReportError) as exc:
        st.error(t("report.import.refused", message=exc.message(lang)))
        return None
    st.session_state[f"{P}_checked"] = (token, check)
    st.session_state.pop(RESULT, None)
    return check, token


def do_import(url: str, check, token: str, month: int) -> None:
    """Save every row in one transaction (callback of the import button)."""
    if st.session_state.get(RESULT, (None, None, None))[2] == token:
        return  # this upload is imported already: a second click does nothing
    lang = current_language()
    try:
        saved = run_write(
            cached.get_engine(url),
            import_reports,
            actor_id(),
            check,
            month,
            submit=bool(st.session_state.get(f"{P}_submit")),
            now=monthly_report.now(),
        )
    except StoreError as exc:
        st.session_state[RESULT] = (
            "error",
            t("report.store_error", message=exc.message(lang)),
            None,
        )
        return
    except (PermissionDenied, ReportError) as exc:
        st.session_state[RESULT] = (
            "error",
            t("report.import.refused", message=exc.message(lang)),
            None,
        )
        return
    cached.clear_readers()
    st.session_state[RESULT] = ("success", t("report.import.done", n=f"{saved:,}"), token)


def page(url: str) -> None:
    """The report import page: month, template, upload, check, import."""
    st.title(t("report.page.import"))
    st.caption(t("report.import.intro"))
    account = signed_in()
    month = month_chooser()
    if account is None:
        return
    templates(url, account.scope_region_id, account.scope_code, month)
    checked = upload_and_check(url, month)
    if checked is None:
        return
    check, token = checked
    show_check(check)
    result = st.session_state.get(RESULT)
    if result:
        getattr(st, result[0])(result[1])
    if check.ok and not (result and result[2] == token):
        st.checkbox(t("report.import.submit"), key=f"{P}_submit")
        st.button(
            t("report.import.go", n=f"{len(check.rows):,}"),
            type="primary",
            key=f"{P}_go",
            on_click=store_callback(do_import),
            args=(url, check, token, month),
        )
