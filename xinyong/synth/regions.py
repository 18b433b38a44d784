"""Where people were born and where organisations are registered."""

from __future__ import annotations

import random
from dataclasses import dataclass

from xinyong.synth._regions_data import REGIONS

# Province of origin of Shenzhen residents (group -> province name, weight).
ORIGINS: dict[str, tuple[str, int]] = {
    "SZ": ("广东省深圳市", 10),
    "GD": ("广东省", 26),
    "HN": ("湖南省", 15),
    "GX": ("广西壮族自治区", 8),
    "JX": ("江西省", 7),
    "HB": ("湖北省", 7),
    "HA": ("河南省", 6),
    "SC": ("四川省", 5),
    "CQ": ("重庆市", 3),
    "FJ": ("福建省", 3),
    "AH": ("安徽省", 3),
    "BJ": ("北京市", 1),
    "SH": ("上海市", 1),
    "SN": ("陕西省", 1),
}


@dataclass(frozen=True)
class District:
    code: str
    name: str
    since: int  # first year the code was in use
    weight: int
    short: str  # one-character abbreviation used in document numbers


# Shenzhen districts (GB/T 2260) weighted by their share of registered market entities.
DISTRICTS: tuple[District, ...] = (
    District("440303", "罗湖区", 1990, 8, "罗"),
    District("440304", "福田区", 1990, 14, "福"),
    District("440305", "南山区", 1990, 16, "南"),
    District("440306", "宝安区", 1992, 18, "宝"),
    District("440307", "龙岗区", 1992, 17, "龙"),
    District("440308", "盐田区", 1997, 2, "盐"),
    District("440309", "龙华区", 2016, 10, "华"),
    District("440310", "坪山区", 2016, 3, "坪"),
    District("440311", "光明区", 2018, 4, "光"),
)
# Registered elsewhere but active in Shenzhen (a few per cent).
ELSEWHERE: tuple[tuple[str, str], ...] = (
    ("440106", "广州市天河区"),
    ("440604", "佛山市禅城区"),
    ("441900", "东莞市"),
    ("110108", "北京市海淀区"),
    ("310115", "上海市浦东新区"),
    ("330106", "杭州市西湖区"),
    ("440402", "珠海市香洲区"),
)
ELSEWHERE_SHARE = 0.03


def _parse() -> dict[str, list[tuple[str, int, int, str]]]:
    table: dict[str, list[tuple[str, int, int, str]]] = {}
    for line in REGIONS.splitlines():
        group, code, span, name = line.split(" ", 3)
        lo, hi = span.split("-")
        table.setdefault(group, []).append((code, int(lo or 0), int(hi or 9999), name))
    return table


class BirthPlaces:
    """Draws an address code that was in use in the birth year (as stdnum checks)."""

    def __init__(self) -> None:
        self._table = _parse()
        self._groups = list(ORIGINS)
        self._weights = [ORIGINS[g][1] for g in self._groups]
        self._cache: dict[tuple[str, int], list[tuple[str, str]]] = {}

    def _candidates(self, group: str, year: int) -> list[tuple[str, str]]:
        key = (group, year)
        found = self._cache.get(key)
        if found is None:
            prov = ORIGINS[group][0]
            found = [(c, prov + n) for c, lo, hi, n in self._table[group] if lo <= year <= hi]
            self._cache[key] = found
        return found

    def draw(self, rng: random.Random, year: int) -> tuple[str, str]:
        group = rng.choices(self._groups, self._weights)[0]
        found = self._candidates(group, year) or self._candidates("GD", year)
        return rng.choice(found)


def districts_in(year: int) -> list[District]:
    return [d for d in DISTRICTS if d.since <= year]


def draw_district(rng: random.Random, year: int) -> District:
    ds = districts_in(max(year, 1990))
    return rng.choices(ds, [d.weight for d in ds])[0]


def draw_registration_region(rng: random.Random, year: int) -> tuple[str, str, District]:
    """(region code, region name, district of the premises) of a registering authority."""
    district = draw_district(rng, year)
    if rng.random() < ELSEWHERE_SHARE:
        code, name = rng.choice(ELSEWHERE)
        return code, name, district
    return district.code, "深圳市" + district.name, district
