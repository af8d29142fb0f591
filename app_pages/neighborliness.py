"""邻里有爱 Caring neighbourhoods: the pillar's indicators, drill-down and comparison."""

from ui.views import pillar_script

pillar_script("neighborliness")
