"""The map page: the dashboards' region and period (ui/filters.py, one state and one breadcrumb
for every page; a click on the map drills that state), the map's own measure and what is shown
(URL `map_measure`, `map_show`); the deck, legend and side panel. The chart keeps one key so that
the browser keeps one deck and updates its layers."""

from __future__ import annotations

import logging
from functools import partial

import streamlit as st

from data_access import cached, settings
from data_access.periods import Period
from data_access.regions import RegionInfo
from data_access.registry import INDICATORS_BY_KEY, PILLARS, child_level
from data_access.scoring import IndicatorScore
from ui import format as fmt
from ui import map_layers as ml
from ui import views
from ui.coords import CRS
from ui.filters import go_to_region, period_coverage, region_filter, synced_select
from ui.i18n import current_language, pick, t, t_text
from ui.plain import plain

log = logging.getLogger(__name__)

LEGACY_PARAM = "map_region"  # the map's own region parameter before it shared `region`
CHART_KEY = "map_chart"  # one key at every region: the browser keeps one deck and updates it
LAYER_ID = {"street": "streets", "community": "communities"}
# Circle radius in metres by (focus level, shown level): about a tenth of a typical spacing.
BASE_RADIUS = {
    ("district", "street"): 1200.0,
    ("district", "community"): 300.0,
    ("street", "community"): 110.0,
}
LABELLED_LEVELS = ("street", "community")  # below district level the circles carry names
HEX_RADIUS = {"city": 2500.0, "district": 900.0, "street": 350.0, "community": 350.0}
# Boundary simplification (degrees) per drill level: about a pixel at that level's zoom (the
# city view spans some 1.7° in 640 px). Fewer vertices make the deck smaller and the browser's
# tessellation and picking lighter on software-rendered WebGL. Below the city only the district
# in view is sent, as an outline (its neighbours were 90% of the deck's bytes there).
SIMPLIFY = {"city": 0.003, "district": 0.0008, "street": 0.0004, "community": 0.0004}


def tile_config() -> tuple[str | None, str]:
    """The optional intranet tile server: (URL template or None, its CRS 'wgs84'/'gcj02'), from
    the settings HAPPY_TILE_URL and HAPPY_TILE_CRS (data_access/settings.py)."""
    url, crs = settings.get(settings.TILE_URL), settings.get(settings.TILE_CRS)
    crs = crs.lower().replace("-", "")
    if crs not in CRS:
        st.toast(t("map.tiles.bad_crs", value=str(crs)[:20]), icon="⚠️")
        crs = "gcj02"
    return (url or None), crs


def map_region(url: str) -> RegionInfo:
    """The region in view: the dashboards' own (ui/filters.py `region_filter`, URL `region`).
    A link of the map's earlier own parameter (`map_region=…`) is taken over as `region`."""
    legacy = st.query_params.get(LEGACY_PARAM)
    if legacy is not None:
        del st.query_params[LEGACY_PARAM]
        st.query_params["region"] = legacy
        # region_filter reads the URL again (and checks the code) when it has no region yet.
        st.session_state.pop("region", None)
    return region_filter(url)


def on_select(chart_key: str) -> None:
    """Drill to the region whose shape or point was clicked (the chart's selection callback)."""
    state = st.session_state.get(chart_key)
    objects = (state or {}).get("selection", {}).get("objects", {})
    for picked in objects.values():
        for obj in picked:
            code = obj.get("code") or (obj.get("properties") or {}).get("code")
            if isinstance(code, str):
                go_to_region(code)
                return


def measure_select() -> ml.MeasureInfo:
    """The colour-by selector (URL `map_measure`)."""
    keys = ml.measure_keys()
    chosen = synced_select(
        "map_measure",
        t("map.measure"),
        keys,
        "index",
        lambda key: ml.measure_info(key).label,
        st,
    )
    return ml.measure_info(chosen)


def show_select(container) -> str:
    """Streets or communities at district level (URL `map_show`)."""
    return synced_select(
        "map_show",
        t("map.show"),
        ["street", "community"],
        "street",
        lambda level: t(f"map.show.{level}"),
        container,
        widget="segmented",
    )


def drill_select(url: str, region: RegionInfo, rows: dict[str, dict], level: str) -> None:
    """A keyboard-friendly way down: choose a child region from a list."""
    lang = current_language()
    options = sorted(rows, key=lambda code: code)
    names = {c: rows[c]["region"].name(lang) for c in options}
    key = f"map_drill_{region.code}_{level}"

    def chosen() -> None:
        value = st.session_state.get(key)
        if value:
            go_to_region(value)

    st.selectbox(
        t("map.drill"),
        options,
        index=None,
        key=key,
        format_func=names.__getitem__,
        placeholder=t("map.drill.placeholder"),
        on_change=chosen,
    )


def _shown(info: ml.MeasureInfo, rows: dict, before_rows: dict) -> list[ml.Shown]:
    lang = current_language()
    out = []
    for code, row in rows.items():
        region = row["region"]
        before = before_rows.get(code)
        out.append(
            ml.Shown(
                code,
                region.name(lang),
                region.lon,
                region.lat,
                ml.measure_value(info, row),
                ml.measure_value(info, before) if before else None,
            )
        )
    return out


def _bbox_of_points(shown: list[ml.Shown]) -> tuple[float, float, float, float]:
    xs, ys = [s.lon for s in shown], [s.lat for s in shown]
    pad = 0.01
    return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


def build_map(
    url: str, region: RegionInfo, period: Period, info: ml.MeasureInfo, show: str, density: bool
) -> tuple:
    """The deck for the region, with the legend HTML, the shown rows and the shown level."""
    tile_url, crs = tile_config()
    level = region.level
    # A community is shown among its street's communities, selected.
    focus = region
    if level == "community":
        focus = cached.ancestors(url, region.code)[-1]
    shown_level = child_level(focus.level)
    if focus.level == "district" and show == "community":
        shown_level = "community"
    # A period not over is read to date and set beside the same months a year earlier, as on
    # the dashboards; with no fair base (a partial month of counts) no change is shown.
    cov = period_coverage(url, period)
    period = cov.span
    rows = cached.map_measures(url, focus.code, shown_level, str(period))
    base = cov.year_ago if cov.flows_comparable else None
    before = cached.map_measures(url, focus.code, shown_level, str(base)) if base else {}
    shown = _shown(info, rows, before)
    breaks = ml.class_breaks([s.value for s in shown])
    district_code = None if level == "city" else _district_of(url, region)
    if shown_level == "district":
        boundaries = cached.district_boundaries(url, SIMPLIFY[level])
        features = ml.district_features(boundaries, shown, info, breaks, crs)
        view = ml.view_for(ml.bbox_of_geometry(list(boundaries.values())), crs)
        on_top = []
        pickable = True
    else:
        boundaries = cached.district_boundaries(url, SIMPLIFY[level])
        boundaries = {district_code: boundaries[district_code]}
        features = ml.district_features(boundaries, [], info, breaks, crs, district_code)
        pickable = False
        if focus.level == "district":
            view = ml.view_for(ml.bbox_of_geometry([boundaries[district_code]]), crs)
        else:
            view = ml.view_for(_bbox_of_points(shown), crs)
        radius = BASE_RADIUS[focus.level, shown_level]
        records = ml.points(shown, info, breaks, crs, radius, selected=region.code)
        # The clickable layer's id names the region in view: after a drill the browser finds
        # no layer of the old selection and drops it (one deck is kept; its selection would
        # otherwise dim every circle but the clicked one).
        on_top = [ml.points_layer(f"{LAYER_ID[shown_level]}-{region.code}", records)]
        if level in LABELLED_LEVELS:
            on_top.append(ml.labels_layer("labels", records))
    layers = [ml.districts_layer(features, pickable, "districts" if pickable else "outline")]
    if density:
        weights = cached.activity_weights(url, focus.code, str(period))
        layers.append(ml.density_layer(weights, crs, HEX_RADIUS[focus.level]))
    layers.extend(on_top)
    deck = ml.build_deck(layers, view, info.label, tile_url)
    return deck, ml.legend_html(info, breaks, shown_level), rows, shown_level, focus


def _district_of(url: str, region: RegionInfo) -> str:
    if region.level == "district":
        return region.code
    chain = cached.ancestors(url, region.code)
    return next(a.code for a in chain if a.level == "district")


def side_panel(url: str, region: RegionInfo, period: Period) -> None:
    """The selected region's index, pillar scores and best and worst indicators."""
    lang = current_language()
    try:
        result = cached.index(url, region.code, str(period))
    except LookupError:
        result = None
    st.markdown(f"#### {plain(region.name(lang))}")
    if result is None:
        st.caption(t("map.panel.none"))
        return
    st.metric(
        t("map.panel.composite"),
        ml.format_value(ml.measure_info("index"), result.composite),
    )
    st.markdown(f"**{t('map.panel.pillars')}**")
    for pillar, score in zip(PILLARS, result.pillars, strict=True):
        value = score.score
        label = f"{pick(pillar.name_zh, pillar.name_en)} · " + (
            fmt.number(value, 1) if value is not None else t("map.no_data")
        )
        st.progress(min(max((value or 0) / 100, 0.0), 1.0), text=label)
    scored = [ind for p in result.pillars for ind in p.indicators if ind.score is not None]
    if not scored:
        st.caption(t("map.panel.none"))
        return
    scored.sort(key=lambda ind: (ind.score, ind.key))

    def line(ind: IndicatorScore) -> str:
        definition = INDICATORS_BY_KEY[ind.key]
        return "- " + t(
            "map.panel.indicator_row",
            name=pick(definition.name_zh, definition.name_en),
            value=fmt.indicator_value(definition, ind.value),
            score=fmt.number(ind.score, 0),
        )

    st.markdown(f"**{t('map.panel.top')}**")
    st.markdown("\n".join(line(i) for i in scored[::-1][:3]))
    st.markdown(f"**{t('map.panel.bottom')}**")
    st.markdown("\n".join(line(i) for i in scored[:3]))


def map_page(url: str, region: RegionInfo, period: Period) -> None:
    """The whole map page below the sidebar filters, for the dashboards' region and period."""
    name = region.name(current_language())
    # The dashboards' heading and breadcrumb, in a container so that the map below keeps its
    # place among the page's elements whether or not there is a breadcrumb (a moved chart would
    # be mounted afresh in the browser: a new deck and WebGL context).
    with st.container():
        views.heading(url, t("map.page"), region, period)
    st.caption(t("map.caption"))
    controls = st.columns([3, 2, 1], vertical_alignment="bottom")
    with controls[0]:
        info = measure_select()
    show = "street"
    if region.level == "district":
        show = show_select(controls[1])
    density = controls[2].toggle(t("map.density"), value=True, key="map_density")
    deck, legend, rows, shown_level, focus = build_map(url, region, period, info, show, density)
    main, side = st.columns([3, 1])
    with main:
        st.pydeck_chart(
            deck,
            on_select=partial(on_select, CHART_KEY),
            selection_mode="single-object",
            key=CHART_KEY,
            height=560,
            alt=t_text("map.alt", region=name, measure=info.label),
        )
        if region.level != "community" and rows:
            drill_select(url, focus, rows, shown_level)
    with side:
        st.html(legend)
        side_panel(url, region, period_coverage(url, period).span)
