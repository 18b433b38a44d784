"""Street addresses in Shenzhen (premises of organisations, places where violations happened)."""

from __future__ import annotations

import random

from xinyong.synth.names import trade_name
from xinyong.synth.regions import District


def _roads(text: str) -> dict[str, tuple[str, ...]]:
    """``区: 路 路 …`` lines (a district may take several lines) -> {district: roads}."""
    out: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        district, roads = line.split(":")
        out[district] = out.get(district, ()) + tuple(roads.split())
    return out


ROADS = _roads(
    """
罗湖区: 人民南路 东门中路 宝安南路 笋岗路 翠竹路 深南东路 春风路 布心路 太宁路
福田区: 深南大道 福华路 华强北路 福中路 益田路 彩田路 景田路 泰然九路 车公庙天安路 八卦四路 梅林路
福田区: 皇岗路 新洲路
南山区: 科苑路 南海大道 高新南一道 后海大道 桃园路 沙河西路 工业大道 学府路 留仙大道 创业路 前海路
南山区: 西丽街道茶光路
宝安区: 宝安大道 新安六路 福永大道 西乡大道 沙井街道新沙路 松岗街道松福大道 航城大道 石岩街道宝石路
宝安区: 福海街道福洲大道
龙岗区: 龙岗大道 布吉街道吉华路 坂田街道五和大道 横岗街道力嘉路 平湖街道平新北路 龙城大道
龙岗区: 南湾街道丹竹头路 宝龙街道宝龙大道
盐田区: 深盐路 盐田路 沙头角海山路 北山道
龙华区: 民治大道 人民路 梅龙大道 观澜大道 大浪街道华荣路 龙华街道和平路 清湖路
坪山区: 坪山大道 深汕路 东纵路 坑梓街道秀新路
光明区: 光明大道 华夏路 公明街道松白路 观光路
"""
)
_BUILDING_KINDS = ("大厦", "工业园", "科技园", "广场", "花园", "商业中心")


def address(rng: random.Random, district: District) -> str:
    road = rng.choice(ROADS[district.name])
    number = rng.randint(1, 3999)
    r = rng.random()
    if r < 0.45:
        building = trade_name(rng, 2) + rng.choice(_BUILDING_KINDS)
        tail = f"{building}{rng.randint(1, 12)}栋{rng.randint(1, 35)}{rng.randint(1, 20):02d}"
    elif r < 0.75:
        tail = f"{rng.randint(1, 30)}楼"
    else:
        tail = ""
    return f"深圳市{district.name}{road}{number}号{tail}"


def street_pool(rng: random.Random, size: int = 400) -> list[str]:
    """Places mentioned in the facts of a violation (a street corner, a market, a car park)."""
    out = []
    for _ in range(size):
        district = rng.choice(list(ROADS))
        road = rng.choice(ROADS[district])
        spot = rng.choice(("", "路口", "附近", "公交站旁", "农贸市场内", "地铁站出口", "停车场"))
        out.append(
            f"{district}{road}{rng.randint(1, 999)}号{spot}"
            if not spot.endswith("口")
            else f"{district}{road}{spot}"
        )
    return out
