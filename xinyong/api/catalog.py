"""Catalog endpoints: the public catalog of what may be recorded, with legal bases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from xinyong.api.deps import platform
from xinyong.services import catalog as catalog_service
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog 公共信用信息目录"])


@router.get("", summary="Catalog version and items 目录版本与信息项")
def catalog_index(p: Platform = Depends(platform)) -> dict[str, Any]:
    items = [catalog_service.item_definition(i) for i in p.catalog.items.values()]
    return {"version": p.catalog.version, "count": len(items), "items": items}


@router.get("/items/{code}", summary="One catalog item 单个信息项")
def catalog_item(code: str, p: Platform = Depends(platform)) -> dict[str, Any]:
    return catalog_service.item_definition(catalog_service.get_item(p.catalog, code))


@router.get("/units", summary="Source units and what each may supply 信息提供单位")
def catalog_units(p: Platform = Depends(platform)) -> dict[str, Any]:
    allowed = catalog_service.units_items(p.catalog)
    units = [
        {
            "code": u.code,
            "name_zh": u.name_zh,
            "name_en": u.name_en,
            "uscc": u.uscc,
            "items": allowed.get(u.code, []),
        }
        for u in p.catalog.units.values()
    ]
    return {"count": len(units), "units": units}
