"""The briefing document (汇报材料): a region's and period's figures as an editable .docx or an
A4 .pdf, built from data only. `content` reads the figures (the same functions as the pages),
`summary` puts them in sentences, `images` renders the pages' chart specs to PNG, `docx_file`
and `pdf_file` write the two formats; `build_briefing` ties them together for the command line
and the Overview's button. The document libraries are imported only when a briefing is built."""

from __future__ import annotations

from data_access.briefing.build import FORMATS, BriefingError, build_briefing, file_name

__all__ = ["FORMATS", "BriefingError", "build_briefing", "file_name"]
