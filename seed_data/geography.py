"""The demo city's geography: regions from city down to grid, compounds and boundaries.

Everything here is a demo assumption shaped to the article's totals (13 districts, 179
streets, 1,158 communities, 6,311 compounds, more than 14,000 grids, 8,136,000 residents);
only the district codes, names and boundaries are real.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import shapely
from shapely.geometry import shape

from seed_data.districts import DISTRICTS, District

BOUNDARIES_PATH = Path(__file__).parent / "boundaries" / "shenyang_districts.geojson"

CITY_CODE = "210100"
STREET_COUNT = 179
COMMUNITY_COUNT = 1_158
COMPOUND_COUNT = 6_311
URBAN_POPULATION = 8_136_000
MIN_STREETS_PER_DISTRICT = 3
MIN_COMMUNITIES_PER_DISTRICT = 10

# Compounds and grids by kind (old = 老旧小区, graded = 等级物业小区, rural = 农村). The
# article gives only the totals; the split is a demo assumption that leaves enough old
# compounds for the renovation figures (1,723 in 2025, about 1,450 in 2024).
COMPOUNDS_BY_KIND = {"graded": 2_300, "rural": 700}  # old compounds are the rest
GRIDS_BY_KIND = {"old": 6_350, "graded": 5_900, "rural": 2_230}
# The article's grid standard: households per grid, inclusive bounds.
GRID_HOUSEHOLDS = {"old": (200, 300), "graded": (300, 500), "rural": (45, 55)}

# Subdistrict density falls off as exp(-distance / URBAN_DECAY) from the old city centre
# (Imperial Palace / Zhongjie, GCJ-02, approximate), distances in degrees of latitude.
CITY_CENTRE = (123.455, 41.797)
URBAN_DECAY = 0.1

# Share of a district's streets that are towns/townships rather than subdistricts.
TOWNSHIP_SHARE = {"core": 0.0, "suburban": 0.35, "outer": 0.75}

# The article names these three communities but not their districts: placing them in
# 大东区, 皇姑区 and 铁西区 is a demo assumption.
NAMED_COMMUNITIES = (
    ("210104", "多福", "Duofu"),
    ("210105", "山东堡", "Shandongbu"),
    ("210106", "溪林", "Xilin"),
)

# Characters for two-character place names, with their pinyin (no tones).
_FIRST_CHARS = (
    ("长", "chang"), ("福", "fu"), ("和", "he"), ("安", "an"), ("兴", "xing"),
    ("华", "hua"), ("新", "xin"), ("光", "guang"), ("明", "ming"), ("泰", "tai"),
    ("康", "kang"), ("顺", "shun"), ("永", "yong"), ("恒", "heng"), ("文", "wen"),
    ("德", "de"), ("瑞", "rui"), ("祥", "xiang"), ("嘉", "jia"), ("宁", "ning"),
    ("春", "chun"), ("青", "qing"), ("惠", "hui"), ("丰", "feng"), ("昌", "chang"),
    ("盛", "sheng"), ("金", "jin"), ("玉", "yu"), ("东", "dong"), ("西", "xi"),
    ("南", "nan"), ("北", "bei"), ("朝", "chao"), ("振", "zhen"), ("民", "min"),
    ("建", "jian"), ("红", "hong"), ("友", "you"), ("万", "wan"), ("百", "bai"),
    ("云", "yun"), ("松", "song"), ("柳", "liu"), ("桃", "tao"), ("翠", "cui"),
    ("碧", "bi"), ("凤", "feng"), ("龙", "long"), ("泉", "quan"), ("滨", "bin"),
    ("沈", "shen"), ("辽", "liao"), ("浑", "hun"), ("望", "wang"), ("育", "yu"),
    ("正", "zheng"), ("太", "tai"), ("宏", "hong"), ("立", "li"), ("工", "gong"),
)  # fmt: skip
_SECOND_CHARS = (
    ("安", "an"), ("平", "ping"), ("和", "he"), ("华", "hua"), ("兴", "xing"),
    ("隆", "long"), ("盛", "sheng"), ("泰", "tai"), ("宁", "ning"), ("康", "kang"),
    ("丰", "feng"), ("园", "yuan"), ("林", "lin"), ("山", "shan"), ("河", "he"),
    ("江", "jiang"), ("湖", "hu"), ("泉", "quan"), ("阳", "yang"), ("明", "ming"),
    ("光", "guang"), ("春", "chun"), ("荣", "rong"), ("福", "fu"), ("祥", "xiang"),
    ("瑞", "rui"), ("顺", "shun"), ("新", "xin"), ("桥", "qiao"), ("城", "cheng"),
    ("湾", "wan"), ("亭", "ting"), ("岭", "ling"), ("松", "song"), ("源", "yuan"),
    ("昌", "chang"), ("台", "tai"), ("街", "jie"), ("庄", "zhuang"),
)  # fmt: skip
_COMPOUND_SUFFIXES = {
    "old": (("小区", "Xiaoqu"), ("新村", "Xincun"), ("里", "Li"), ("家园", "Jiayuan")),
    "graded": (
        ("花园", "Huayuan"), ("苑", "Yuan"), ("名居", "Mingju"), ("雅居", "Yaju"),
        ("家园", "Jiayuan"), ("公馆", "Gongguan"), ("华府", "Huafu"),
    ),
    "rural": (("村", "Village"), ("屯", "Hamlet")),
}  # fmt: skip
_STREET_SUFFIXES = {
    "subdistrict": ("街道", "Subdistrict"),
    "town": ("镇", "Town"),
    "township": ("乡", "Township"),
}


@dataclass(frozen=True)
class Geography:
    """The demo city: region hierarchy, residential compounds and district boundaries."""

    regions: list[dict]  # id, code, level, parent_id, name_zh, name_en, lat, lon, ...
    compounds: list[dict]  # id, code, community_id, name_zh, name_en, kind, households, ...
    compound_grids: list[tuple[int, int]]  # (compound_id, grid region id)
    boundaries: dict  # the parsed shenyang_districts.geojson FeatureCollection


def apportion(total: int, weights: Sequence[float] | np.ndarray, minimum: int = 0) -> np.ndarray:
    """Split total into integers proportional to weights (largest remainder), each >= minimum."""
    w = np.asarray(weights, dtype=float)
    if total < minimum * w.size or (w <= 0).any():
        raise ValueError("cannot apportion: total too small or non-positive weight")
    # Entries whose quota falls below the minimum are pinned to it and the rest re-split.
    pinned = np.zeros(w.size, dtype=bool)
    while True:
        free_total = total - minimum * int(pinned.sum())
        quotas = np.where(pinned, minimum, free_total * w / w[~pinned].sum())
        low = ~pinned & (quotas < minimum)
        if not low.any():
            break
        pinned |= low
    counts = np.floor(quotas).astype(np.int64)
    remainders = np.where(pinned, -1.0, quotas - counts)
    order = np.argsort(-remainders, kind="stable")
    counts[order[: total - int(counts.sum())]] += 1
    return counts


def load_boundaries(path: Path = BOUNDARIES_PATH) -> dict:
    """Read the district boundaries FeatureCollection (GCJ-02)."""
    return json.loads(path.read_text(encoding="utf-8"))


def _pinyin_join(first: str, second: str) -> str:
    # Pinyin spelling rule: an apostrophe before a syllable starting with a, o or e.
    sep = "'" if second[0] in "aoe" else ""
    return (first + sep + second).capitalize()


def _name_pool(rng: np.random.Generator) -> list[tuple[str, str]]:
    """Shuffled two-character place names, unique in both hanzi and pinyin."""
    reserved_zh = {zh for _, zh, _ in NAMED_COMMUNITIES}
    reserved_en = {en for _, _, en in NAMED_COMMUNITIES}
    pairs = [
        (a + b, _pinyin_join(pa, pb)) for a, pa in _FIRST_CHARS for b, pb in _SECOND_CHARS if a != b
    ]
    pool, seen_en = [], set(reserved_en)
    for i in rng.permutation(len(pairs)):
        zh, en = pairs[i]
        if zh not in reserved_zh and en not in seen_en:
            seen_en.add(en)
            pool.append((zh, en))
    return pool


class _Scatter:
    """Samples points inside district polygons around given centres (vectorised)."""

    def __init__(self, rng: np.random.Generator, polygons: list[shapely.Geometry]) -> None:
        self.rng = rng
        self.polygons = polygons
        for p in polygons:
            shapely.prepare(p)

    def _inside(self, district: np.ndarray, xy: np.ndarray) -> np.ndarray:
        ok = np.zeros(len(xy), dtype=bool)
        for d in np.unique(district):
            m = district == d
            ok[m] = shapely.contains_xy(self.polygons[d], xy[m, 0], xy[m, 1])
        return ok

    def near(self, centres: np.ndarray, sigma: np.ndarray, district: np.ndarray) -> np.ndarray:
        """Gaussian points around centres (sigma in degrees of latitude), redrawn until inside."""
        out = np.empty_like(centres)
        sigma = np.asarray(sigma, dtype=float).copy()
        pending = np.arange(len(centres))
        # Shrinking sigma on each retry guarantees termination: the centres are inside.
        for _ in range(400):
            if not pending.size:
                return out
            c = centres[pending]
            s = sigma[pending]
            step = self.rng.normal(size=(pending.size, 2)) * s[:, None]
            step[:, 0] /= np.cos(np.radians(c[:, 1]))
            cand = np.round(c + step, 6)
            ok = self._inside(district[pending], cand)
            out[pending[ok]] = cand[ok]
            pending = pending[~ok]
            sigma[pending] *= 0.9
        raise RuntimeError("could not place points inside their districts")

    def spread(self, d: int, n: int, towards: Sequence[float] | None = None) -> np.ndarray:
        """Points over district d: uniform, or thinning out with distance from `towards`."""
        x0, y0, x1, y1 = self.polygons[d].bounds
        found = np.empty((0, 2))
        while len(found) < n:
            cand = np.round(self.rng.uniform((x0, y0), (x1, y1), size=(8 * n, 2)), 6)
            keep = shapely.contains_xy(self.polygons[d], *cand.T)
            if towards is not None:
                dx = (cand[:, 0] - towards[0]) * math.cos(math.radians(towards[1]))
                distance = np.hypot(dx, cand[:, 1] - towards[1])
                keep &= self.rng.random(len(cand)) < np.exp(-distance / URBAN_DECAY)
            found = np.vstack([found, cand[keep]])
        return found[:n]


def _inner_point(polygon: shapely.Geometry) -> tuple[float, float]:
    c = polygon.centroid
    p = c if polygon.contains(c) else polygon.representative_point()
    return round(p.x, 6), round(p.y, 6)


def _street_kinds(district: District, n: int, rng: np.random.Generator) -> list[str]:
    """Subdistricts first (the seat), then towns and townships (about one in four a 乡)."""
    towns = min(n - 1, round(n * TOWNSHIP_SHARE[district.ring]))
    rural = ["township" if rng.random() < 0.25 else "town" for _ in range(towns)]
    return ["subdistrict"] * (n - towns) + sorted(rural)


class _Streets(NamedTuple):
    """Streets and communities by index; community i belongs to street community_street[i]."""

    per_district: np.ndarray
    district: np.ndarray
    kind: list[str]  # subdistrict / town / township
    code: list[str]
    name: list[tuple[str, str]]
    communities_per_district: np.ndarray
    community_street: np.ndarray
    community_code: list[str]
    community_name: list[tuple[str, str]]

    @property
    def is_rural(self) -> np.ndarray:
        return np.array([k != "subdistrict" for k in self.kind])

    @property
    def community_district(self) -> np.ndarray:
        return self.district[self.community_street]


def _layout_streets(rng: np.random.Generator, names: Iterator[tuple[str, str]]) -> _Streets:
    """Allocate streets and communities to districts and give them codes and names."""
    weights = [d.weight for d in DISTRICTS]
    per_district = apportion(STREET_COUNT, weights, MIN_STREETS_PER_DISTRICT)
    communities_per_district = apportion(COMMUNITY_COUNT, weights, MIN_COMMUNITIES_PER_DISTRICT)
    district, kinds, codes, community_street = [], [], [], []
    for d, dist in enumerate(DISTRICTS):
        district_kinds = _street_kinds(dist, int(per_district[d]), rng)
        first = len(kinds)
        # GB/T 10114 convention: 0xx subdistricts, 1xx towns, 2xx townships.
        serial = {"subdistrict": 0, "town": 100, "township": 200}
        for kind in district_kinds:
            serial[kind] += 1
            district.append(d)
            kinds.append(kind)
            codes.append(f"{dist.code}{serial[kind]:03d}")
        # Townships hold fewer urban communities than subdistricts.
        w = rng.gamma(4.0, size=len(district_kinds))
        w *= [1.0 if k == "subdistrict" else 0.5 for k in district_kinds]
        for s, count in enumerate(apportion(int(communities_per_district[d]), w, 1)):
            community_street.extend([first + s] * int(count))
    street_names = [next(names) for _ in kinds]

    community_code = []
    counters: Counter[int] = Counter()
    for s in community_street:
        counters[s] += 1
        community_code.append(f"{codes[s]}{counters[s]:03d}")
    community_name = [next(names) for _ in community_street]
    streets = _Streets(
        per_district=per_district,
        district=np.array(district),
        kind=kinds,
        code=codes,
        name=street_names,
        communities_per_district=communities_per_district,
        community_street=np.array(community_street),
        community_code=community_code,
        community_name=community_name,
    )
    urban = ~streets.is_rural[streets.community_street]
    for code, zh, en in NAMED_COMMUNITIES:
        d = next(i for i, dist in enumerate(DISTRICTS) if dist.code == code)
        candidates = np.flatnonzero((streets.community_district == d) & urban)
        community_name[int(rng.choice(candidates))] = (zh, en)
    return streets


def _layout_compounds(rng: np.random.Generator, streets: _Streets) -> tuple[np.ndarray, np.ndarray]:
    """Community index and kind of every compound, ordered by community."""
    ring = np.array([DISTRICTS[d].ring for d in streets.community_district])
    township = streets.is_rural[streets.community_street]
    rural_ok = township | (ring == "outer")
    per_community = apportion(
        COMPOUND_COUNT, rng.gamma(6.0, size=COMMUNITY_COUNT) * (1 + 0.3 * rural_ok), 2
    )
    community = np.repeat(np.arange(COMMUNITY_COUNT), per_community)
    kind = np.full(COMPOUND_COUNT, "old", dtype=object)
    # Rural compounds only where rural is possible, mostly under towns/townships.
    eligible = np.flatnonzero(rural_ok[community])
    p = np.where(township[community[eligible]], 3.0, 1.0)
    kind[rng.choice(eligible, COMPOUNDS_BY_KIND["rural"], replace=False, p=p / p.sum())] = "rural"
    # Graded (property-managed) compounds are more common in the newer suburbs.
    rest = np.flatnonzero(kind == "old")
    ring_bias = {"core": 1.0, "suburban": 1.6, "outer": 0.6}
    p = np.array([ring_bias[r] for r in ring[community[rest]]])
    kind[rng.choice(rest, COMPOUNDS_BY_KIND["graded"], replace=False, p=p / p.sum())] = "graded"
    return community, kind


def _layout_grids(
    rng: np.random.Generator, compound_kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Compound index and households of every grid: grid counts first, then households."""
    per_compound = np.zeros(COMPOUND_COUNT, dtype=np.int64)
    for kind, total in GRIDS_BY_KIND.items():
        members = np.flatnonzero(compound_kind == kind)
        per_compound[members] = apportion(total, rng.gamma(2.0, size=members.size), 1)
    compound = np.repeat(np.arange(COMPOUND_COUNT), per_compound)
    low, high = np.array([GRID_HOUSEHOLDS[k] for k in compound_kind[compound]]).T
    return compound, rng.integers(low, high + 1)


def _populations(
    rng: np.random.Generator,
    community_district: np.ndarray,
    community_households: np.ndarray,
    grid_community: np.ndarray,
    grid_households: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Residents per community and per grid, summing exactly to URBAN_POPULATION."""
    # Splitting by district weight first keeps the outer districts near their weight even
    # though their rural grids hold few households (rural households are larger).
    community_population = np.zeros(COMMUNITY_COUNT, dtype=np.int64)
    household_size = rng.uniform(0.92, 1.08, COMMUNITY_COUNT)
    for d, population in enumerate(apportion(URBAN_POPULATION, [d.weight for d in DISTRICTS])):
        members = np.flatnonzero(community_district == d)
        community_population[members] = apportion(
            int(population), community_households[members] * household_size[members]
        )
    grid_population = np.zeros(grid_community.size, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(np.bincount(grid_community))])
    for c in range(COMMUNITY_COUNT):
        a, b = starts[c], starts[c + 1]
        grid_population[a:b] = apportion(int(community_population[c]), grid_households[a:b])
    return community_population, grid_population


def _compound_names(
    rng: np.random.Generator,
    pool: list[tuple[str, str]],
    community: np.ndarray,
    kind: np.ndarray,
) -> list[tuple[str, str]]:
    """A name per compound, unique (in Chinese and English) within its community."""
    names = []
    taken: dict[int, set[str]] = defaultdict(set)
    for c, k in zip(community, kind, strict=True):
        suffixes = _COMPOUND_SUFFIXES[k]
        while True:
            zh, en = pool[int(rng.integers(len(pool)))]
            suffix_zh, suffix_en = suffixes[int(rng.integers(len(suffixes)))]
            name = (zh + suffix_zh, f"{en} {suffix_en}")
            if not taken[c].intersection(name):
                taken[c].update(name)
                names.append(name)
                break
    return names


def _region(
    *,
    id_: int,
    code: str,
    level: str,
    parent_id: int | None,
    name: tuple[str, str],
    xy: Sequence[float],
    population: int,
    households: int,
    kind: str,
) -> dict:
    return {
        "id": id_,
        "code": code,
        "level": level,
        "parent_id": parent_id,
        "name_zh": name[0],
        "name_en": name[1],
        "lat": round(float(xy[1]), 6),
        "lon": round(float(xy[0]), 6),
        "population": int(population),
        "households": int(households),
        "kind": kind,
    }


def build_geography(seed: int = 42) -> Geography:
    """Build the deterministic demo city (regions, compounds, grids) for a seed."""
    rng = np.random.default_rng(seed)
    boundaries = load_boundaries()
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in boundaries["features"]}
    polygons = [by_code[d.code] for d in DISTRICTS]
    scatter = _Scatter(rng, polygons)
    pool = _name_pool(rng)

    streets = _layout_streets(rng, iter(pool))
    community_district = streets.community_district
    compound_community, compound_kind = _layout_compounds(rng, streets)
    grid_compound, grid_households = _layout_grids(rng, compound_kind)
    grid_community = compound_community[grid_compound]
    grid_kind = compound_kind[grid_compound]

    compound_households = np.bincount(grid_compound, grid_households, COMPOUND_COUNT)
    compound_households = compound_households.astype(np.int64)
    community_households = np.bincount(compound_community, compound_households, COMMUNITY_COUNT)
    community_households = community_households.astype(np.int64)
    community_population, grid_population = _populations(
        rng, community_district, community_households, grid_community, grid_households
    )
    n_streets = len(streets.kind)
    street_households = np.bincount(streets.community_street, community_households, n_streets)
    street_population = np.bincount(streets.community_street, community_population, n_streets)
    district_households = np.bincount(streets.district, street_households, len(DISTRICTS))
    district_population = np.bincount(streets.district, street_population, len(DISTRICTS))

    # Locations: streets over their district, then each level scattered around its parent.
    district_area = np.array([p.area for p in polygons])
    district_xy = np.array([_inner_point(p) for p in polygons])
    street_rural = streets.is_rural
    street_xy = np.empty((n_streets, 2))
    for d, district in enumerate(DISTRICTS):
        idx = np.flatnonzero(streets.district == d)
        urban, rural = idx[~street_rural[idx]], idx[street_rural[idx]]
        # Subdistricts crowd towards the city centre (the outer districts' seats are not
        # modelled); towns and townships spread over the whole district.
        street_xy[urban] = scatter.spread(
            d, urban.size, CITY_CENTRE if district.ring != "outer" else None
        )
        street_xy[rural] = scatter.spread(d, rural.size)
    street_sigma = 0.4 * np.sqrt(district_area / streets.per_district)[streets.district]
    street_sigma *= np.where(street_rural, 1.0, 0.6)
    community_xy = scatter.near(
        street_xy[streets.community_street],
        street_sigma[streets.community_street],
        community_district,
    )
    community_sigma = 0.35 * np.sqrt(district_area / streets.communities_per_district)
    compound_xy = scatter.near(
        community_xy[compound_community],
        community_sigma[community_district[compound_community]],
        community_district[compound_community],
    )
    grid_xy = scatter.near(
        compound_xy[grid_compound],
        np.where(grid_kind == "rural", 0.002, 0.0008),
        community_district[grid_community],
    )

    # Regions, ids level by level so parents come before children.
    city_centroid = shapely.union_all(polygons).centroid
    regions = [
        _region(
            id_=1,
            code=CITY_CODE,
            level="city",
            parent_id=None,
            name=("沈阳市", "Shenyang"),
            xy=(city_centroid.x, city_centroid.y),
            population=URBAN_POPULATION,
            households=district_households.sum(),
            kind="city",
        )
    ]
    district_id = len(regions) + 1 + np.arange(len(DISTRICTS))
    for d, district in enumerate(DISTRICTS):
        regions.append(
            _region(
                id_=int(district_id[d]),
                code=district.code,
                level="district",
                parent_id=1,
                name=(district.name_zh, district.name_en),
                xy=district_xy[d],
                population=district_population[d],
                households=district_households[d],
                kind=district.kind,
            )
        )
    street_id = len(regions) + 1 + np.arange(n_streets)
    for s, kind in enumerate(streets.kind):
        suffix_zh, suffix_en = _STREET_SUFFIXES[kind]
        zh, en = streets.name[s]
        regions.append(
            _region(
                id_=int(street_id[s]),
                code=streets.code[s],
                level="street",
                parent_id=int(district_id[streets.district[s]]),
                name=(zh + suffix_zh, f"{en} {suffix_en}"),
                xy=street_xy[s],
                population=street_population[s],
                households=street_households[s],
                kind="township" if street_rural[s] else "subdistrict",
            )
        )
    community_id = len(regions) + 1 + np.arange(COMMUNITY_COUNT)
    for c, (zh, en) in enumerate(streets.community_name):
        regions.append(
            _region(
                id_=int(community_id[c]),
                code=streets.community_code[c],
                level="community",
                parent_id=int(street_id[streets.community_street[c]]),
                name=(zh + "社区", f"{en} Community"),
                xy=community_xy[c],
                population=community_population[c],
                households=community_households[c],
                kind="urban",
            )
        )

    compounds = []
    compound_serial: Counter[int] = Counter()
    names = _compound_names(rng, pool, compound_community, compound_kind)
    for k, c in enumerate(compound_community):
        compound_serial[c] += 1
        compounds.append(
            {
                "id": k + 1,
                "code": f"{streets.community_code[c]}X{compound_serial[c]:03d}",
                "community_id": int(community_id[c]),
                "name_zh": names[k][0],
                "name_en": names[k][1],
                "kind": str(compound_kind[k]),
                "households": int(compound_households[k]),
                "lat": round(float(compound_xy[k, 1]), 6),
                "lon": round(float(compound_xy[k, 0]), 6),
            }
        )

    compound_grids = []
    grid_serial: Counter[int] = Counter()
    for g, c in enumerate(grid_community):
        grid_serial[c] += 1
        n = grid_serial[c]
        regions.append(
            _region(
                id_=len(regions) + 1,
                code=f"{streets.community_code[c]}{n:03d}",
                level="grid",
                parent_id=int(community_id[c]),
                name=(f"第{n}网格", f"Grid {n}"),
                xy=grid_xy[g],
                population=grid_population[g],
                households=grid_households[g],
                kind=str(grid_kind[g]),
            )
        )
        compound_grids.append((int(grid_compound[g]) + 1, len(regions)))

    return Geography(
        regions=regions, compounds=compounds, compound_grids=compound_grids, boundaries=boundaries
    )
