"""一键生成汇报材料 The Overview's briefing button: builds the region's and period's briefing
(data_access/briefing/) in the active language as .docx and .pdf, with its progress in the page,
and offers both files for download."""

from __future__ import annotations

import streamlit as st

from data_access import cached, clock
from data_access.messages import Message, MessageError
from data_access.periods import Period
from data_access.regions import RegionInfo
from ui import format as fmt
from ui.auth import signed_in
from ui.i18n import current_language, say, t

MIME = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# The last briefing built in this session: (region code, period, language) and its files.
_KEPT = "briefing_files"


def offer(url: str, region: RegionInfo, period: Period) -> None:
    """The button, the progress while building, and the downloads once built."""
    lang = current_language()
    wanted = (region.code, str(period), lang)
    st.markdown(f"#### {t('briefing.title')}")
    if st.button(
        t("briefing.make"),
        key="briefing_make",
        icon=":material/description:",
        help=t("briefing.help", region=region.name(lang), period=fmt.period_label(period)),
    ):
        # Imported on the click: the briefing's modules are not needed to draw the Overview.
        from data_access.briefing import FORMATS, build_briefing

        with st.status(t("briefing.building"), expanded=True) as status:
            bar = st.progress(0.0)

            def progress(done: float, message: Message) -> None:
                bar.progress(min(max(done, 0.0), 1.0), text=say(message))

            account = signed_in()
            try:
                files = build_briefing(
                    cached.get_engine(url),
                    region.code,
                    period,
                    FORMATS,
                    lang,
                    today=clock.today(),
                    viewer=None if account is None else account.id,
                    progress=progress,
                )
            except MessageError as exc:
                status.update(label=t("briefing.failed"), state="error")
                st.error(say(exc.message))
                return
            status.update(label=t("briefing.ready"), state="complete", expanded=False)
        st.session_state[_KEPT] = (wanted, files)
    kept = st.session_state.get(_KEPT)
    if not kept or kept[0] != wanted:
        return
    from data_access.briefing import file_name

    row = st.container(horizontal=True)
    for kind, data in kept[1].items():
        row.download_button(
            t(f"briefing.{kind}"),
            data,
            file_name=file_name(region.code, period, lang, kind),
            mime=MIME[kind],
            key=f"briefing_{kind}",
            on_click="ignore",
        )
