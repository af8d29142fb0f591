"""治理有效 Effective governance: the pillar's indicators, drill-down and comparison."""

from ui.views import pillar_script

pillar_script("governance")
