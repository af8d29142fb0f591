"""月报导入 A month's reports of many communities from one sheet: the Excel template (the
communities of the account's scope and their figures, pre-filled with the last approved values),
the upload (the activity import's bounds), then every row checked and all saved or none, with
the same row/column error table as the activity import."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from data_access import cached, clock
from data_access.db import run_read
from data_access.importing import MAX_UPLOAD_BYTES, RowError
from data_access.periods import month_label
from data_access.report_sheets import ReportImport, import_report_sheet, template_xlsx
from ui.auth import signed_in
from ui.bootstrap import store_callback
from ui.format import EMPTY
from ui.i18n import say, t, t_text
from ui.monthly_report import month_chooser
from ui.plain import plain
from ui.writes import SIGNED_IN, write

P = "rimp"
RESULT = f"{P}_result"  # (upload token, ReportImport) of the last import, or a refusal
MAX_SHOWN_ERRORS = 5000


def _template(url: str, region_code: str, month: int) -> bytes:
    region = cached.as_region(cached.region(url, region_code))
    return run_read(cached.get_engine(url), template_xlsx, region, month)


def template_button(url: str, region_code: str, month: int) -> None:
    """The month's Excel template of the account's communities (made only when asked)."""
    name = t_text("report.import.file_name", region=region_code, month=month_label(month))
    st.download_button(
        t("report.import.template_xlsx"),
        lambda: _template(url, region_code, month),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        key=f"{P}_template",
    )


def upload(month: int) -> tuple[str, bytes, str] | None:
    """The uploader; the upload's name, bytes and a token for this upload and month."""
    file = st.file_uploader(
        t("report.import.upload"),
        type=["csv", "xlsx", "xlsm", "txt", "tsv"],
        key=f"{P}_file",
        max_upload_size=MAX_UPLOAD_BYTES // 1024 // 1024,
    )
    if file is None:
        return None
    data = file.getvalue()
    # The same upload for the same month imports once, whatever clicks follow.
    token = f"rep:{month}:{hashlib.sha256(data).hexdigest()[:24]}:{str(file.file_id)[:24]}"
    return file.name, data, token


def do_import(url: str, filename: str, data: bytes, token: str, month: int) -> None:
    """Check every row and save all or none (callback of the import button)."""
    state = st.session_state
    done = state.get(RESULT)
    if done is not None and done[0] == token and isinstance(done[1], ReportImport):
        return  # this upload was imported or checked already: a second click does nothing
    written = write(
        url,
        import_report_sheet,
        SIGNED_IN,
        filename,
        data,
        month,
        submit=bool(state.get(f"{P}_submit")),
        now=clock.now(),
    )
    if not written.ok:
        state[RESULT] = (token, written.error)
        return
    result = written.value
    state[RESULT] = (token, result)


def errors_frame(errors: list[RowError]) -> pd.DataFrame:
    """Row/column errors as the activity import shows them."""
    return pd.DataFrame(
        [
            {
                t_text("import.col.row"): e.row,
                t_text("import.col.column"): e.column,
                t_text("import.col.message"): say(e.message),
            }
            for e in errors[:MAX_SHOWN_ERRORS]
        ],
        columns=[t_text(f"import.col.{c}") for c in ("row", "column", "message")],
    )


def show_result(result: ReportImport) -> None:
    """The import's outcome: saved (with plausibility warnings) or the errors, nothing saved."""
    bad = len({e.row for e in result.errors})
    st.markdown(
        t(
            "report.import.summary",
            rows=f"{result.data_rows:,}",
            ok=f"{result.data_rows - bad:,}",
            bad=bad,
        )
    )
    if result.ignored_columns:
        st.caption(t("import.ignored", cols=plain("、".join(result.ignored_columns))))
    if result.errors:
        st.error(t("report.import.errors"))
        st.dataframe(
            errors_frame(result.errors), hide_index=True, width="stretch", placeholder=EMPTY
        )
        return
    st.success(t("report.import.done", n=f"{result.saved:,}"))
    if result.warnings:
        st.warning(t("report.warnings"))
        st.dataframe(
            errors_frame(result.warnings), hide_index=True, width="stretch", placeholder=EMPTY
        )


def page(url: str) -> None:
    """The report import page: month, template, upload, import, outcome."""
    st.title(t("report.page.import"))
    st.caption(t("report.import.intro"))
    account = signed_in()
    month = month_chooser()
    if account is None:
        return
    template_button(url, account.scope_code, month)
    uploaded = upload(month)
    if uploaded is None:
        return
    filename, data, token = uploaded
    done = st.session_state.get(RESULT)
    if done is not None and done[0] == token:
        if isinstance(done[1], ReportImport):
            show_result(done[1])  # saved, or errors to correct in the file and upload again
            return
        st.error(done[1])  # refused (or the store failed): the same file may be tried again
    st.checkbox(t("report.import.submit"), key=f"{P}_submit")
    st.button(
        t("report.import.go_file"),
        type="primary",
        key=f"{P}_go",
        on_click=store_callback(do_import),
        args=(url, filename, data, token, month),
    )
