"""The one-click check API: search, subject profiles and records (free, no account needed).

Speed (issue 4): the rate limit and the platform are ``async`` dependencies (in memory, no I/O)
and the actor is resolved inside the endpoint (it may read a session or an API key), so a request
crosses to the threadpool once, for all its database work, instead of once per dependency; answers
are encoded straight to JSON (``json.dumps`` of the service's dataclasses) instead of through
FastAPI's generic encoder.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from xinyong.api import deps
from xinyong.services.check import check_for
from xinyong.services.platform import Platform


async def rate_limited(request: Request) -> None:
    deps.rate_limited(request)  # in memory, no I/O: run on the event loop


async def platform(request: Request) -> Platform:
    return deps.platform(request)


router = APIRouter(prefix="/api/v1", tags=["check 一键查询"], dependencies=[Depends(rate_limited)])


def _default(value: Any) -> Any:
    """What json cannot encode by itself: dates (ISO strings) and the service's dataclasses (their
    fields, encoded in turn: no deep copy as ``dataclasses.asdict`` makes)."""
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_response(obj: Any) -> Response:
    """The answer as JSON, as FastAPI's encoder would make it (dates as ISO strings, tuples as
    lists), without walking it twice."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_default)
    return Response(body.encode("utf-8"), media_type=JSONResponse.media_type)


@router.get(
    "/search",
    summary="Search subjects by name fragment or code 按名称或代码查询",
    response_class=JSONResponse,
)
def search(
    request: Request,
    q: str = Query(..., max_length=100, description="Name fragment (e.g. 腾讯) or a USCC / legacy code."),
    page: int = Query(1, ge=1, le=25),
    lang: str = Query("zh", pattern="^(zh|en)$"),
    p: Platform = Depends(platform),
) -> Response:
    return json_response(check_for(p, lang).search(deps.actor(request), q, page))


@router.get(
    "/subjects/{subject_id}",
    summary="A subject's public credit profile 信用主体信息",
    response_class=JSONResponse,
)
def subject(
    request: Request,
    subject_id: str,
    page: int = Query(1, ge=1, le=10_000, description="Page of records, newest first (50 a page)."),
    lang: str = Query("zh", pattern="^(zh|en)$"),
    p: Platform = Depends(platform),
) -> Response:
    return json_response(check_for(p, lang).profile(deps.actor(request), subject_id, page=page))


@router.get(
    "/records/{record_id}",
    summary="One credit record with all its disclosable fields 信用信息详情",
    response_class=JSONResponse,
)
def record(
    request: Request,
    record_id: str,
    lang: str = Query("zh", pattern="^(zh|en)$"),
    p: Platform = Depends(platform),
) -> Response:
    return json_response(check_for(p, lang).record(deps.actor(request), record_id))
