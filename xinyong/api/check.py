"""The one-click check API: search, subject profiles and records (free, no account needed)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Query

from xinyong.api.deps import actor, platform, rate_limited
from xinyong.domain.actor import Actor
from xinyong.services.check import check_for
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["check 一键查询"], dependencies=[Depends(rate_limited)])


def _plain(obj: Any) -> Any:
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) and not isinstance(obj, type) else obj


@router.get("/search", summary="Search subjects by name fragment or code 按名称或代码查询")
def search(
    q: str = Query(..., max_length=100, description="Name fragment (e.g. 腾讯) or a USCC / legacy code."),
    page: int = Query(1, ge=1, le=25),
    lang: str = Query("zh", pattern="^(zh|en)$"),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return _plain(check_for(p, lang).search(who, q, page))  # type: ignore[no-any-return]


@router.get("/subjects/{subject_id}", summary="A subject's public credit profile 信用主体信息")
def subject(
    subject_id: str,
    page: int = Query(1, ge=1, le=10_000, description="Page of records, newest first (50 a page)."),
    lang: str = Query("zh", pattern="^(zh|en)$"),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return _plain(check_for(p, lang).profile(who, subject_id, page=page))  # type: ignore[no-any-return]


@router.get("/records/{record_id}", summary="One credit record with all its disclosable fields 信用信息详情")
def record(
    record_id: str,
    lang: str = Query("zh", pattern="^(zh|en)$"),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return _plain(check_for(p, lang).record(who, record_id))  # type: ignore[no-any-return]
