"""Writing the demo city into a store: regions, compounds, activities, reported values, rollups."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from data_access import clock
from data_access.bulk import bulk_insert, foreign_keys_checked_after, indexes_built_after
from data_access.catalog import add_registry_rows
from data_access.db import StoreError, write_session
from data_access.models import (
    Activity,
    AppMeta,
    AreaRollup,
    AreaStock,
    AreaYearRollup,
    Compound,
    CompoundGrid,
    MonthlyReport,
    MonthlyReportValue,
    Region,
    ReportedValue,
    Rollup,
)
from data_access.once import one_at_a_time
from data_access.registry import DATA_LEVELS, MEASURE_KEYS
from data_access.reports import (
    add_approved_reports,
    reportable_indicators,
    return_report,
    save_report,
)
from data_access.rollups import rebuild_rollups
from seed_data.generator import (
    DEFAULT_ACTIVITIES,
    MAX_ACTIVITIES,
    ActivityBatch,
    CommunityIndex,
    current_month_statuses,
    generate_activities,
    generate_reported,
    index_geography,
    min_activities,
    plan_record_counts,
    report_months,
)
from seed_data.geography import Geography, build_geography
from seed_data.meta import META_KEY, get_seed_meta
from seed_data.spec import ARTICLE_YEAR, demo_years

Progress = Callable[[float, str], None]
# Part of every seeded store's meta: a store seeded by another version is another demo (the
# command line asks for --replace). 2: the current month's reports are begun (draft, submitted).
GENERATOR_VERSION = 2
CHUNK = 20_000


def _quiet(_fraction: float, _message: str) -> None:
    pass


def _ancestors(regions: list[dict]) -> dict[int, dict[str, int | None]]:
    by_id = {r["id"]: r for r in regions}
    out: dict[int, dict[str, int | None]] = {}
    for r in regions:  # parents come first
        parent = out.get(
            r["parent_id"], {"district_id": None, "street_id": None, "community_id": None}
        )
        own = dict(parent)
        if r["level"] in DATA_LEVELS[1:]:
            own[f"{r['level']}_id"] = r["id"]
        out[r["id"]] = own
        assert r["parent_id"] is None or r["parent_id"] in by_id
    return out


def _write_geography(session: Session, geo: Geography) -> dict[int, dict[str, int | None]]:
    ancestors = _ancestors(geo.regions)
    boundaries = {
        f["properties"]["code"]: json.dumps(f["geometry"], ensure_ascii=False)
        for f in geo.boundaries["features"]
    }
    rows = [
        {
            **{
                k: r[k]
                for k in (
                    "id",
                    "code",
                    "level",
                    "parent_id",
                    "name_zh",
                    "name_en",
                    "kind",
                    "lat",
                    "lon",
                    "population",
                    "households",
                )
            },
            **ancestors[r["id"]],
            "boundary_geojson": boundaries.get(r["code"]) if r["level"] == "district" else None,
        }
        for r in geo.regions
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(Region), rows[start : start + CHUNK])
    session.execute(insert(Compound), geo.compounds)
    session.execute(
        insert(CompoundGrid), [{"compound_id": c, "grid_id": g} for c, g in geo.compound_grids]
    )
    return ancestors


def _demo_meta(n_activities: int, seed: int, today: date) -> str:
    return json.dumps(
        {
            "activities": n_activities,
            "seed": seed,
            "version": GENERATOR_VERSION,
            "today": today.isoformat(),
        }
    )


def _same_demo(existing: dict, wanted: dict) -> bool:
    """The same demo, whichever day it was built on (a demo built yesterday stays as it is)."""
    return {k: v for k, v in existing.items() if k != "today"} == {
        k: v for k, v in wanted.items() if k != "today"
    }


def _clear(session: Session) -> None:
    for model in (
        Rollup,
        AreaRollup,
        AreaYearRollup,
        AreaStock,
        ReportedValue,
        MonthlyReportValue,
        MonthlyReport,
        Activity,
        CompoundGrid,
        Compound,
    ):
        session.execute(delete(model))
    session.execute(delete(Region).where(Region.level == "grid"))
    for level in ("community", "street", "district", "city"):
        session.execute(delete(Region).where(Region.level == level))
    session.execute(delete(AppMeta).where(AppMeta.key == META_KEY))


def seed_demo(
    engine: Engine,
    n_activities: int = DEFAULT_ACTIVITIES,
    seed: int = 42,
    progress: Progress = _quiet,
    replace: bool = False,
    today: date | None = None,
) -> bool:
    """Fill a migrated store with the demo city (see _seed_demo) as of `today` (default: the
    clock's); processes started together seed one at a time, so the later ones find the demo
    present and return False."""
    with one_at_a_time(engine, "seed"):
        return _seed_demo(engine, n_activities, seed, progress, replace, today or clock.today())


def _seed_demo(
    engine: Engine,
    n_activities: int,
    seed: int,
    progress: Progress,
    replace: bool,
    today: date,
) -> bool:
    """Fill a migrated store with the demo city from 2024-01 up to `today`; return False when
    it already holds this demo (built on any day).

    All of it is written in one transaction: an interrupted run leaves the store as it was.
    """
    if not min_activities() <= n_activities <= MAX_ACTIVITIES:
        raise StoreError(
            f"活动数量须在 {min_activities()} 至 {MAX_ACTIVITIES} 之间 / --activities must be "
            f"between {min_activities()} and {MAX_ACTIVITIES}"
        )
    if today.year <= ARTICLE_YEAR:
        raise StoreError(
            f"演示数据从 {ARTICLE_YEAR + 1} 年起才能生成 / the demo needs a today after "
            f"{ARTICLE_YEAR}, got {today}"
        )
    wanted = json.loads(_demo_meta(n_activities, seed, today))
    with write_session(engine) as session:
        existing = get_seed_meta(session)
        if existing is not None and _same_demo(existing, wanted):
            progress(1.0, "demo data already present")
            return False
        has_regions = session.scalar(select(Region.id).limit(1)) is not None
        if has_regions and existing is None:
            raise StoreError(
                "数据库已有非演示数据，拒绝写入演示数据 / the store holds non-demo data"
            )
        if existing is not None and not replace:
            raise StoreError(
                f"数据库已有另一份演示数据（{existing}），如需替换请加 --replace "
                f"/ a different demo is present; use --replace"
            )
        progress(0.0, "regions")
        add_registry_rows(session)
        if existing is not None:
            # A replacement keeps the indexes: on PostgreSQL, dropping one locks its table
            # against the readers of the old demo until the new one commits.
            _clear(session)
            _write_demo(session, n_activities, seed, progress, today)
        else:
            with (
                indexes_built_after(session, BULK_TABLES),
                foreign_keys_checked_after(session, BULK_TABLES),
            ):
                _write_demo(session, n_activities, seed, progress, today)
                progress(0.95, "indexes")
        session.add(AppMeta(key=META_KEY, value=_demo_meta(n_activities, seed, today)))
        progress(1.0, "done")
    return True


# The tables the demo fills with hundreds of thousands of rows: their plain indexes are built
# and their foreign keys checked once, after the rows are in (data_access.bulk).
BULK_TABLES = tuple(
    model.__table__
    for model in (Activity, ReportedValue, MonthlyReportValue, MonthlyReport, AreaStock)
)


def _write_demo(
    session: Session, n_activities: int, seed: int, progress: Progress, today: date
) -> None:
    """The demo city's regions, activities, rollups and monthly reports, into an empty store."""
    geo = build_geography(seed)
    _write_geography(session, geo)
    idx = index_geography(geo)
    counts = plan_record_counts(n_activities, demo_years(today.year))
    total = sum(counts.values())  # an upper bound: the current year stops before today
    done = 0
    progress(0.05, "activities")
    for batch in generate_activities(geo, n_activities, seed, today):
        _write_activities(session, batch, idx)
        done += len(batch)
        progress(0.05 + 0.65 * done / total, f"activities {done:,}/{total:,}")
    progress(0.7, "monthly reports")
    rebuild_rollups(session)
    _write_reports(session, geo, seed, today)


ACTIVITY_COLUMNS = (
    "type_key",
    "community_id",
    "street_id",
    "district_id",
    "grid_id",
    "compound_id",
    "occurred_on",
    "title",
    "status",
    "source",
    "created_at",
    "version",
    *MEASURE_KEYS,
)


def _write_activities(session: Session, batch: ActivityBatch, idx: CommunityIndex) -> None:
    n = len(batch)
    none = [None] * n
    community = idx.ids[batch.community_pos].tolist()
    street = idx.street_ids[batch.community_pos].tolist()
    district = idx.district_ids[batch.community_pos].tolist()
    grid = batch.grid_ids.tolist() if batch.grid_ids is not None else none
    compound = batch.compound_ids.tolist() if batch.compound_ids is not None else none
    measures = [batch.measures[m].tolist() if m in batch.measures else none for m in MEASURE_KEYS]
    # Demo records are entered the evening after the day they happened.
    created = [datetime.combine(d, time(18, 0)) + timedelta(days=1) for d in batch.occurred_on]
    rows = zip(
        [batch.type_key] * n,
        community,
        street,
        district,
        grid,
        compound,
        batch.occurred_on,
        batch.titles,
        ["done"] * n,
        ["demo"] * n,
        created,
        [1] * n,
        *measures,
        strict=True,
    )
    bulk_insert(session, Activity.__table__, ACTIVITY_COLUMNS, rows)


# The last demo month's reports (the month before today's) that are not approved, so that the
# review queue and the completeness panel have something to show: per status, how many
# communities.
LATE_IN_LAST_MONTH = {"not_started": 4, "draft": 3, "submitted": 4, "returned": 3}
RETURN_COMMENT = "网格员人数与上月花名册不一致，请核对后重新提交。"


def _write_reports(session: Session, geo: Geography, seed: int, today: date) -> None:
    """Every region's monthly reports of the demo months (`report_months(today)`), through
    data_access.reports: all approved, except a few communities' reports of the last month
    (late, draft, submitted, returned). Those communities' values of the month before are set
    to their last month's (as if nothing changed), so the article's figures stand whatever
    their status. Today's month has begun: some communities' reports of it are drafts or
    submitted (`current_month_statuses`), none approved. The reports are written as of
    `today` (00:00 UTC)."""
    now = datetime.combine(today, time(0, 0), tzinfo=UTC)
    values: dict[tuple[int, int], dict[str, float]] = {}
    for cols in generate_reported(geo, seed, today):
        key = cols.indicator_key
        for rid, month, value in zip(
            cols.region_ids.tolist(), cols.months.tolist(), cols.values.tolist(), strict=True
        ):
            values.setdefault((rid, month), {})[key] = value
    months = report_months(today)
    reports = []
    for region in geo.regions:
        keys = [i.key for i in reportable_indicators(region["level"])]
        if not keys:
            continue
        for month in months:
            # A value not generated is a 0 the region reports (not yet covered, none left).
            got = values.get((region["id"], month), {})
            reports.append((region["id"], month, {k: got.get(k, 0.0) for k in keys}))
    last, before = months[-1], months[-2]
    communities = [r["id"] for r in geo.regions if r["level"] == "community"]
    rng = np.random.default_rng([seed, 13])
    chosen = rng.choice(communities, size=sum(LATE_IN_LAST_MONTH.values()), replace=False)
    chosen = chosen.tolist()
    late: dict[int, str] = {}
    for status, n in LATE_IN_LAST_MONTH.items():
        for rid in chosen[:n]:
            late[rid] = status
        chosen = chosen[n:]
    by_key = {(rid, m): v for rid, m, v in reports}
    # The month of today has begun: some communities have saved or submitted its report, with
    # their last month's values (nothing changed yet); approved values stay the month before's.
    this_month = today.year * 100 + today.month
    begun = current_month_statuses(communities, seed, today, busy=frozenset(late))
    for rid in late:  # nothing changed for them from the month before: see the docstring
        by_key[(rid, before)].update(by_key[(rid, last)])
    add_approved_reports(
        session,
        None,
        [(rid, m, v) for rid, m, v in reports if not (m == last and rid in late)],
        now=now,
    )
    for rid, status in sorted(late.items()):
        if status == "not_started":
            continue
        save_report(
            session, None, rid, last, by_key[(rid, last)], submit=status != "draft", now=now
        )
        if status == "returned":
            return_report(session, None, rid, last, RETURN_COMMENT, now=now)
    for rid, status in sorted(begun.items()):
        values = dict(by_key[(rid, last)])
        save_report(session, None, rid, this_month, values, submit=status == "submitted", now=now)
