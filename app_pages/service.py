"""服务有质 Quality services: the pillar's indicators, drill-down and comparison."""

from ui.views import pillar_script

pillar_script("service")
