"""The bulk-import page's pieces: templates, the upload, the check, the import."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from data_access import cached
from data_access.db import StoreError, run_read
from data_access.importing import (
    MAX_UPLOAD_BYTES,
    ImportCheck,
    ImportRefused,
    check_sheet,
    import_activities,
    read_sheet,
    template_csv,
    template_xlsx,
)
from ui.auth import actor_id
from ui.format import EMPTY
from ui.i18n import say, t
from ui.plain import plain
from ui.writes import SIGNED_IN, write


def templates(url: str) -> None:
    """Download buttons for the Excel and CSV templates."""
    left, right = st.columns(2)
    left.download_button(
        t("import.template_xlsx"),
        lambda: run_read(cached.get_engine(url), template_xlsx),
        file_name="活动导入模板.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        width="stretch",
    )
    right.download_button(
        t("import.template_csv"),
        template_csv(),
        file_name="活动导入模板.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
    )


def upload_and_check(url: str) -> tuple[ImportCheck, str, str] | None:
    """The uploader; the uploaded sheet checked (once per upload), with its batch token."""
    upload = st.file_uploader(
        t("import.upload"),
        type=["csv", "xlsx", "xlsm", "txt", "tsv"],
        key="import_file",
        max_upload_size=MAX_UPLOAD_BYTES // 1024 // 1024,
    )
    if upload is None:
        return None
    data = upload.getvalue()
    # The same upload checks once and imports once, whatever reruns or clicks follow.
    token = "imp:" + hashlib.sha256(data).hexdigest()[:24] + ":" + str(upload.file_id)[:24]
    cache = st.session_state.get("import_checked")
    if cache is None or cache[0] != token:
        try:
            with st.spinner(t("import.reading")):
                table = read_sheet(upload.name, data)
                check = run_read(cached.get_engine(url), check_sheet, table, actor=actor_id())
        except ImportRefused as exc:
            st.error(t("import.refused", message=say(exc.message)))
            return None
        except StoreError as exc:
            st.error(t("store.error", message=say(exc.message)))
            return None
        st.session_state["import_checked"] = (token, check)
        st.session_state.pop("import_result", None)
    else:
        check = cache[1]
    return check, token, upload.name


def show_check(check: ImportCheck) -> None:
    """The check's outcome: counts, ignored columns, the errors by row and column."""
    ok = check.data_rows - check.bad_rows
    st.markdown(t("import.summary", rows=f"{check.data_rows:,}", ok=f"{ok:,}", bad=check.bad_rows))
    if check.ignored_columns:
        st.caption(t("import.ignored", cols=plain("、".join(check.ignored_columns))))
    for note in check.notes:
        st.caption(plain(say(note)))
    if check.errors:
        st.error(t("import.errors"))
        frame = pd.DataFrame(
            [
                {
                    t("import.col.row"): e.row,
                    t("import.col.column"): e.column,
                    t("import.col.message"): say(e.message),
                }
                for e in check.errors[:5000]
            ]
        )
        st.dataframe(frame, hide_index=True, width="stretch", placeholder=EMPTY)


def do_import(url: str, check: ImportCheck, token: str, filename: str) -> None:
    """Import every row in one transaction (callback of the import button)."""
    written = write(url, import_activities, check, token, actor=SIGNED_IN, filename=filename)
    if not written.ok:
        st.session_state["import_result"] = ("error", written.error)
        return
    saved = written.value
    if saved:
        st.session_state["import_result"] = ("success", t("import.done", n=f"{saved:,}"))
    else:
        st.session_state["import_result"] = ("info", t("import.already"))
