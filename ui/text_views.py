"""Strings of the leaders' views (index, pillar pages, drill-down, comparison, downloads)."""

STRINGS: dict[str, tuple[str, str]] = {
    "overview.headline": ("主要指标", "Headline indicators"),
    "views.region": ("地区", "Region"),
    "views.region_level": ("{name}（{level}）", "{name} ({level})"),
    "views.with_unit": ("{label}（{unit}）", "{label} ({unit})"),
    "views.code": ("地区代码", "Region code"),
    "views.drill_to": ("下钻到下级地区", "Drill down to"),
    "views.drill_placeholder": ("选择下级地区……", "Choose a sub-region…"),
    "views.level.city": ("市", "city"),
    "views.level.district": ("区县（市）", "district"),
    "views.level.street": ("街道（乡镇）", "street"),
    "views.level.community": ("社区（村）", "community"),
    # The heading's "大东区（区县）": a level name in brackets inside brackets reads badly.
    "views.level_short.city": ("市", "city"),
    "views.level_short.district": ("区县", "district"),
    "views.level_short.street": ("街道", "street"),
    "views.level_short.community": ("社区", "community"),
    "views.composite": ("幸福指数", "Happiness index"),
    "views.composite_unit": ("幸福指数（分）", "Happiness index (points)"),
    "views.composite_help": (
        "各项指标按目标完成程度计0–100分，方面得分为指标得分的加权平均，幸福指数为五个方面的加权"
        "平均。箭头为较上一期的变化，下方为较上年同期的变化。",
        "Each indicator scores 0–100 against its target; a pillar is the weighted mean of its "
        "indicators, the index the weighted mean of the five pillars. The arrow is the change "
        "against the previous period; below it, against the same period a year earlier.",
    ),
    "views.vs_previous_and_year": ("较上年同期 {yoy}", "vs a year earlier: {yoy}"),
    "views.pillar": ("方面", "Pillar"),
    "views.series": ("对象", "Series"),
    "views.score": ("得分", "Score"),
    "views.unit.score": ("分", "points"),
    "views.pillars_vs_parent": (
        "五个方面得分：本级与上级对比",
        "The five pillars beside the parent region",
    ),
    "views.children_average": ("各{level}平均", "Average of the {level}s"),
    "views.month": ("月份", "Month"),
    "views.trend": ("幸福指数与各方面得分月度走势", "Monthly trend of the index and the pillars"),
    "views.no_data": ("该时间段没有数据。", "There are no data for this period."),
    "views.ranking": ("下级{level}排名", "Ranking of the {level}s"),
    "views.rank_by": ("排名依据", "Rank by"),
    "views.activities_unit": ("活动数（次）", "Activities (count)"),
    "views.population_unit": ("常住人口（人）", "Residents (people)"),
    "views.per10k_activities": ("每万人活动数（次/万人）", "Activities per 10,000 residents"),
    "views.click_to_drill": (
        "点击图中的地区可下钻查看。",
        "Click a region in the chart to drill down to it.",
    ),
    "views.completeness": ("报送完整性", "Reporting completeness"),
    "views.reported": ("本期有活动记录的{level}", "{level}s with activities this period"),
    "views.silent": (
        "以下{level}本期没有活动记录：{names}",
        "These {level}s recorded no activities this period: {names}",
    ),
    "views.all_reported": (
        "所有{level}本期均有活动记录。",
        "Every {level} recorded activities this period.",
    ),
    "views.download": ("下载数据", "Download data"),
    "views.download_csv": ("下载 CSV", "Download CSV"),
    "views.download_xlsx": ("下载 Excel", "Download Excel"),
    "views.pillar_score": ("{pillar}得分", "{pillar} score"),
    "views.indicators": ("各项指标", "Indicators"),
    "views.indicator": ("指标", "Indicator"),
    "views.unit": ("单位", "Unit"),
    "views.value": ("数值", "Value"),
    "views.target": ("目标", "Target"),
    "views.progress": ("完成度（分）", "Progress (points)"),
    "views.weight": ("权重", "Weight"),
    "views.change_previous": ("较上期", "vs previous period"),
    "views.change_year": ("较上年同期", "vs a year earlier"),
    "views.choose_indicator": ("查看指标", "Indicator to look at"),
    "views.indicator_trend": ("指标月度走势", "The indicator by month"),
    "views.children_compare": ("各{level}对比", "The {level}s compared"),
    "views.per10k": ("每万人（{unit}/万人）", "Per 10,000 residents ({unit})"),
    "views.lowest_level": (
        "社区是数据汇总的最低层级，没有下级地区。",
        "Communities are the lowest level with data; there are no sub-regions.",
    ),
    "views.not_at_level": (
        "该指标不在此层级统计。",
        "This indicator is not counted at this level.",
    ),
    "views.by_activity_type": ("按活动类型统计", "By activity type"),
    "views.activity_type": ("活动类型", "Activity type"),
    "views.compare": ("对比", "Compare"),
    "views.compare_mode": ("对比方式", "Compare"),
    "views.compare_regions": ("两个地区", "Two regions"),
    "views.compare_periods": ("两个时间段", "Two periods"),
    "views.compare_with": ("对比对象", "Compare with"),
    "views.nothing_to_compare": ("没有可对比的地区。", "There is no region to compare with."),
    "filter.fallback": (
        "{current}尚无数据，显示最近有数据的{shown}。",
        "There are no data for {current} yet; showing {shown}, the latest period with data.",
    ),
    "views.as_of": ("截至 {day}", "As of {day}"),
    "views.open": ("本期未结束", "the period is not over"),
    "views.incomplete": (
        "⚠ 本期报送不完整（部分月份没有数据），活动次数与幸福指数不作比较",
        "⚠ Reporting for this period is incomplete (some months have no data): counts and the "
        "index are not compared",
    ),
    "views.compared_with": ("与{base}比较", "compared with {base}"),
    "views.month_not_over": (
        "本月未结束，活动次数与幸福指数不与整月比较",
        "The month is not over: counts and the index are not compared with whole months",
    ),
    "filter.period.span": ("{year}年{first}–{last}月", "{first_name}–{last_name} {year}"),
    "views.vs_year_ago": ("较{base} {yoy}", "vs {base}: {yoy}"),
    "views.no_fair_base": ("无可比的同期数据", "no comparable period"),
    "views.better": ("{change}（改善）", "{change} (better)"),
    "views.worse": ("{change}（变差）", "{change} (worse)"),
    "views.compare_outside_scope": (
        "其他{level}在您的管辖范围之外，仅作汇总对比，不能查看其下级。",
        "The other {level}s are outside your scope: shown as totals for comparison only, "
        "without their sub-regions.",
    ),
    "overview.target": ("本期目标：{value}", "Target for the period: {value}"),
    "overview.caption_article": (
        "五个方面的主要指标。箭头为较上年同期的变化；“文章”为市委组织部文章公布的2025年全市数据。",
        "Headline indicators of the five pillars. Arrows show the change against the same period "
        "last year; “article” is the city's 2025 figure the municipal Organisation Department "
        "published.",
    ),
    "overview.caption_target": (
        "五个方面的主要指标。箭头为较上年同期（相同月份）的变化；下方为本地区本期的目标。",
        "Headline indicators of the five pillars. Arrows show the change against the same months "
        "a year earlier; below each is this region's target for the period.",
    ),
    "overview.article_col": ("文章（2025年全市）", "Article (city, 2025)"),
}
