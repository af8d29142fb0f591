"""The app's own style: one <style> the router draws once a run (app.py; a style alone takes no
room), so that no element of a page carries it. Plain strings: the router imports this before
anything else of the pages'."""

# The cards (ui/cards.py): they look like st.metric — the label, the value, the change with its
# arrow, the notes beneath; four a row (six for the scores), one a row at a phone's width.
CARD_STYLE = """
.hs-cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 1rem; }
.hs-cards.hs-cards-6 { grid-template-columns: repeat(6, minmax(0, 1fr)); }
@media (max-width: 640px) {
  .hs-cards, .hs-cards.hs-cards-6 { grid-template-columns: minmax(0, 1fr); } }
.hs-card { border: 1px solid rgba(128, 128, 128, 0.3); border-radius: 0.5rem;
  padding: calc(1rem - 1px); overflow-wrap: anywhere; }
.hs-card-label { font-size: 0.875rem; margin-bottom: 0.25rem; }
.hs-card-label[title] { cursor: help; }
.hs-card-value { font-size: 2.25rem; line-height: 1.3; padding-bottom: 0.25rem; }
.hs-card-delta { font-size: 0.875rem; display: inline-block; border-radius: 0.75rem;
  padding: 0 0.5rem; }
.hs-card-delta.hs-good { color: rgb(21, 130, 55); background: rgba(33, 195, 84, 0.1); }
.hs-card-delta.hs-bad { color: rgb(189, 65, 65); background: rgba(255, 43, 43, 0.09); }
.hs-card-note { font-size: 0.875rem; opacity: 0.6; margin-top: 0.25rem; }
"""
# A section's heading and caption inside the same st.html element as its cards (one element
# where st.markdown, st.caption and the cards were three), drawn as Streamlit draws `###`,
# `####` and st.caption (its theme's sizes, weights and spacing).
SECTION_STYLE = """
.hs-h3, .hs-h4 { font-weight: 600; line-height: 1.2; margin: 0; }
.hs-h3 { font-size: 1.75rem; letter-spacing: -0.005em; padding: 0.75rem 0 1rem 0; }
.hs-h4 { font-size: 1.5rem; padding: 0.5rem 0 1rem 0; }
.hs-caption { font-size: 0.875rem; opacity: 0.6; margin: 0.5rem 0 0 0; }
.hs-caption.hs-good { color: rgb(21, 130, 55); opacity: 1; }
.hs-caption + .hs-h4 { padding-top: 1rem; }
"""
# Streamlit cuts a metric's label and value (the map's) to one line with an ellipsis: in English
# at 1920×1080 "Street/township-level comprehensive-governance centres" lost its end (tests/
# test_look_browser.py). Let them wrap instead.
METRIC_STYLE = """[data-testid='stMetricLabel'] *, [data-testid='stMetricValue'] * {
white-space: normal !important; overflow: visible !important;
text-overflow: clip !important; overflow-wrap: anywhere; }
"""
# The ranking's table (ui/format.html_table).
TABLE_STYLE = (
    ".hs-table-wrap { overflow-x: auto; }"
    ".hs-table { border-collapse: collapse; font-size: 0.875rem; width: 100%; }"
    ".hs-table th, .hs-table td { border: 1px solid rgba(128, 128, 128, 0.25);"
    " padding: 0.25rem 0.5rem; white-space: nowrap; }"
    ".hs-table th { font-weight: 400; opacity: 0.75; text-align: left; }"
    ".hs-table td.hs-num { text-align: right; font-variant-numeric: tabular-nums; }\n"
)

# Every page's style (the cards', the sections', the tables'), drawn once a run by the router
# (app.py; a style alone takes no room), so that no element carries it.
PAGE_STYLE = f"<style>\n{CARD_STYLE}{SECTION_STYLE}{TABLE_STYLE}{METRIC_STYLE}</style>"
