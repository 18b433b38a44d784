"""Builders of small 双公示 files for ingestion tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from xinyong.catalog import Catalog

HOUSING = "sz_housing"  # may supply administrative_penalty
HOUSING_USCC = "11440300015188448M"
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
PERSON_ID = "11010519491231002X"


def penalty(n: int = 1, **over: Any) -> dict[str, str]:
    """A valid penalty row (field code → text) against an enterprise."""
    row = {
        "CF_XDR_MC": "华为技术有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": HUAWEI,
        "CF_FRDB": "赵明路",
        "CF_WSH": f"深建罚〔2025〕{n}号",
        "CF_WFXW": "未取得施工许可证擅自施工",
        "CF_SY": "经查，当事人在未取得施工许可证的情况下擅自开工建设。",
        "CF_YJ": "《建筑工程施工许可管理办法》第十二条",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币贰万元整",
        "CF_NR_FK": "2",
        "CF_JDRQ": "2025-06-01",
        "CF_YXQ": "2026-06-01",
        "CF_CFJG": "深圳市住房和建设局",
        "CF_CFJGDM": HOUSING_USCC,
        "CF_SJLY": "深圳市住房和建设局",
        "CF_SJLYDM": HOUSING_USCC,
    }
    row.update({k: str(v) for k, v in over.items()})
    return {k: v for k, v in row.items() if v != "<drop>"}


def person_penalty(n: int = 1, **over: Any) -> dict[str, str]:
    base = penalty(
        n,
        CF_XDR_MC="张三",
        CF_XDR_LB="自然人",
        CF_XDR_SHXYM="<drop>",
        CF_FRDB="<drop>",
        CF_XDR_ZJLX="身份证",
        CF_XDR_ZJHM=PERSON_ID,
        CF_CFLB="警告",
        CF_NR="警告",
        CF_NR_FK="<drop>",
    )
    base.update({k: str(v) for k, v in over.items()})
    return {k: v for k, v in base.items() if v != "<drop>"}


def write_csv(
    path: Path,
    catalog: Catalog,
    rows: list[dict[str, str]],
    *,
    schema: str = "administrative_penalty",
    headers: str = "zh",
    encoding: str = "utf-8",
    extra: list[str] | None = None,
) -> Path:
    fields = catalog.schemas[schema].fields
    codes = [f.code for f in fields]
    names = [f.zh if headers == "zh" else f.code for f in fields] + list(extra or [])
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow([r.get(c, "") for c in codes] + [r.get(e, "") for e in (extra or [])])
    return path
