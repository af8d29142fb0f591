"""平安有序 Safety and order: the pillar's indicators, drill-down and comparison."""

from ui.views import pillar_script

pillar_script("safety")
