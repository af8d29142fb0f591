"""Strings of the map page (地图)."""

STRINGS: dict[str, tuple[str, str]] = {
    "map.page": ("地图", "Map"),
    "map.caption": (
        "点击区县可下钻到街道和社区；底色为所选指标，橙色六边形为本期活动密度。",
        "Click a district to drill down to its streets and communities; colours show the "
        "chosen measure, orange hexagons the density of this period's activities.",
    ),
    "map.measure": ("着色指标", "Colour by"),
    "map.measure.index": ("幸福指数（综合）", "Happiness index (composite)"),
    "map.measure.pillar": ("{pillar}得分", "{pillar} score"),
    "map.show": ("显示", "Show"),
    "map.show.street": ("街道", "Streets"),
    "map.show.community": ("社区", "Communities"),
    "map.density": ("活动密度", "Activity density"),
    "map.drill": ("下钻到", "Drill down to"),
    "map.drill.placeholder": ("选择下级地区……", "Choose a region below…"),
    "map.no_data": ("无数据", "no data"),
    "map.tooltip.value": ("数值", "Value"),
    "map.tooltip.rank": ("排名", "Rank"),
    "map.tooltip.change": ("较上年同期", "Change on last year"),
    "map.rank": ("第{rank}/{count}名", "{rank} of {count}"),
    "map.points": ("{value}分", "{value} pts"),
    "map.change.points": ("{value}分", "{value} pts"),
    "map.per10k": ("{unit}/万人", "{unit} per 10,000 residents"),
    "map.measure.per10k": ("{name}（每万人）", "{name} (per 10,000 residents)"),
    "map.score.unit": ("分（0–100）", "score (0–100)"),
    "map.legend.title": ("图例：{measure}", "Legend: {measure}"),
    "map.legend.unit": ("单位：{unit}", "Unit: {unit}"),
    "map.legend.scale": (
        "等距分为{n}级（所示{level}的最小值至最大值）；颜色越深越好。",
        "{n} equal-width classes from the lowest to the highest of the {level} shown; "
        "darker is better.",
    ),
    "map.legend.density": (
        "橙色六边形：本期活动数（按社区汇总）越多颜色越深。",
        "Orange hexagons: more activities this period (summed per community) are darker.",
    ),
    "map.level.district": ("区县", "districts"),
    "map.level.street": ("街道", "streets"),
    "map.level.community": ("社区", "communities"),
    "map.panel.title": ("{region}", "{region}"),
    "map.panel.composite": ("幸福指数", "Happiness index"),
    "map.panel.pillars": ("五个方面得分", "Pillar scores"),
    "map.panel.top": ("得分最高的指标", "Best-scoring indicators"),
    "map.panel.bottom": ("得分最低的指标", "Lowest-scoring indicators"),
    "map.panel.indicator_row": ("{name}：{value}（{score}分）", "{name}: {value} ({score} pts)"),
    "map.panel.none": ("本期无可评分的指标。", "No indicator can be scored for this period."),
    "map.alt": (
        "{region}地图，按{measure}着色",
        "Map of {region}, coloured by {measure}",
    ),
    "map.tiles.bad_crs": (
        "底图坐标系配置“{value}”无效（应为 wgs84 或 gcj02），已按 gcj02 处理。",
        "The basemap's coordinate system “{value}” is not valid (use wgs84 or gcj02); "
        "gcj02 is assumed.",
    ),
}
