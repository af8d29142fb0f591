"""Chart specs shared by the pages (ui/charts.py) and the briefing document
(data_access/briefing/): pure builders from a chart's shape to a Vega-Lite dict, with no
Streamlit, no database and nothing of the project's other packages."""
