"""组织有力 Strong organisation: the pillar's indicators, drill-down and comparison."""

from ui.views import pillar_script

pillar_script("organization")
