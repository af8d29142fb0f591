"""批量导入 Bulk import: template, upload, every row checked, all rows saved or none."""

import streamlit as st

from ui import activity_import
from ui.i18n import t

url = st.session_state["store_url"]
st.title(t("activity.page.import"))
st.caption(t("import.intro"))
activity_import.templates(url)
checked = activity_import.upload_and_check(url)
if checked is not None:
    check, token, filename = checked
    activity_import.show_check(check)
    result = st.session_state.get("import_result")
    if result:
        getattr(st, result[0])(result[1])
    elif check.ok:
        st.button(
            t("import.go", n=f"{len(check.rows):,}"),
            type="primary",
            on_click=activity_import.do_import,
            args=(url, check, token, filename),
        )
