"""Shenyang's 13 districts and counties: codes, names and demo population weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Ring = Literal["core", "suburban", "outer"]


@dataclass(frozen=True)
class District:
    """One district, county or county-level city of Shenyang."""

    code: str  # GB/T 2260
    name_zh: str
    name_en: str
    # Demo assumption, not a census figure: urban residents in millions, used only as
    # relative weights to spread streets, communities and compounds over the city.
    weight: float
    # Where it sits: the five core urban districts, the four suburban districts that
    # mix subdistricts with towns, and the four outer, mostly rural districts/counties.
    ring: Ring

    @property
    def kind(self) -> str:
        """Administrative kind: "district" (区), "county" (县) or "county_city" (县级市)."""
        if self.name_zh.endswith("县"):
            return "county"
        if self.name_zh.endswith("市"):
            return "county_city"
        return "district"


DISTRICTS: tuple[District, ...] = (
    District("210102", "和平区", "Heping District", 1.10, "core"),
    District("210103", "沈河区", "Shenhe District", 0.90, "core"),
    District("210104", "大东区", "Dadong District", 0.90, "core"),
    District("210105", "皇姑区", "Huanggu District", 0.85, "core"),
    District("210106", "铁西区", "Tiexi District", 1.45, "core"),
    District("210111", "苏家屯区", "Sujiatun District", 0.40, "suburban"),
    District("210112", "浑南区", "Hunnan District", 0.95, "suburban"),
    District("210113", "沈北新区", "Shenbei New District", 0.70, "suburban"),
    District("210114", "于洪区", "Yuhong District", 0.90, "suburban"),
    District("210115", "辽中区", "Liaozhong District", 0.15, "outer"),
    District("210123", "康平县", "Kangping County", 0.10, "outer"),
    District("210124", "法库县", "Faku County", 0.12, "outer"),
    District("210181", "新民市", "Xinmin City", 0.20, "outer"),
)

DISTRICTS_BY_CODE: dict[str, District] = {d.code: d for d in DISTRICTS}
