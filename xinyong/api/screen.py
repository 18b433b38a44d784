"""Screening (联合奖惩核查) for relying parties: single and bulk, authenticated by X-Api-Key."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from xinyong.api import deps
from xinyong.api.deps import platform
from xinyong.domain.enums import Role
from xinyong.errors import InvalidInput, NotPermitted
from xinyong.services import accounts, screening
from xinyong.services.platform import Platform
from xinyong.services.screening import Party

router = APIRouter(prefix="/api/v1", tags=["screening 联合奖惩核查"])


def party(request: Request) -> Party:
    """The relying party of the request: a party's screening key (``xyp_…`` in X-Api-Key), or a
    relying party's account (account key or session) with the purposes its account declares."""
    p: Platform = request.app.state.platform
    key = deps.api_key(request)
    if not _account_key(key):  # a party's key (or none, or an unknown one: refused as a party's)
        return screening.authenticate(p.store, key)
    assert key is not None
    user = accounts.authenticate_key(p.store, key)
    if user.role is not Role.RELYING_PARTY:
        raise NotPermitted(
            f"role {user.role.value!r} may not perform 'screen'",
            message_zh="仅信息使用单位可以进行联合奖惩核查",
            rule="permission.screen",
        )
    return Party(user.unit, user.username, frozenset(user.purposes), user.active)


def _account_key(key: str | None) -> bool:
    """Whether ``key`` is a relying-party account's key rather than a screening party's."""
    return key is not None and not key.startswith(screening.KEY_PREFIX) and accounts.is_user_key(key)


class ScreenBody(BaseModel):
    identifier: str = Field(..., description="USCC or resident ID number")
    measure: str = Field(..., description="Measure code, e.g. no_flights")
    purpose: str = Field(..., description="A purpose the party declared and the measure allows")


class BulkBody(BaseModel):
    measure: str
    purpose: str
    identifiers: list[str] = Field(..., max_length=screening.MAX_BULK)


@router.post(
    "/screen",
    summary="Is this subject restricted by this measure today? 单个核查",
    description="Needs the party's X-Api-Key. Answers with the list entry, the measure's legal basis and "
    "the end date when restricted; every screening is recorded.",
)
async def screen(body: ScreenBody, request: Request) -> JSONResponse:
    # Well-formed requests with a party's screening key are answered before they reach this route,
    # by the same screen_one (xinyong.api.fastpath); this route answers the rest and documents it.
    key = deps.api_key(request)
    who: Party | str | None = key
    if _account_key(key):
        who = await run_in_threadpool(party, request)  # a relying party's account
    p: Platform = request.app.state.platform
    return JSONResponse(await screen_one(p, who, body.identifier, body.measure, body.purpose))


async def screen_one(
    p: Platform, who: Party | str | None, identifier: str, measure: str, purpose: str
) -> dict[str, Any]:
    """A single screening's answer, recorded: ``who`` is the party or a party's screening key.

    A coroutine: the request waits for its record's group commit without holding a pool thread.
    A party's screening key is checked in the lookup's own read. On SQLite that read (one indexed
    lookup in process, ~0.1 ms) runs on the event loop when a pooled connection is free (waiting
    for one there would stall every request of this process), otherwise in the thread pool; on
    PostgreSQL the event loop sends the key's check and the lookup together and awaits them
    (xinyong.store.pgasync). Each thread-pool hop cost more than the screening itself
    (bench/screen.py).
    """
    asked: dict[str, Any] = {
        "identifier": identifier,
        "measure": measure,
        "purpose": purpose,
        "today": p.today(),
    }
    if p.store.async_connections is not None:  # PostgreSQL: from the event loop, one round trip
        with screening.record_follows(p.store):  # its record joins the loop's next commit
            row, answer = await screening.look_up_async(p.store, p.catalog, who, **asked)
        return await screening.record(p.store, row, answer)
    look_up = partial(screening.look_up, p.store, p.catalog, who, **asked)
    inline = p.store.reads_inline
    row, answer = look_up() if inline else await run_in_threadpool(look_up)
    return await screening.record(p.store, row, answer)


@router.post("/screen/bulk", summary="Screen up to 100,000 identifiers 批量核查")
def screen_bulk(
    body: BulkBody, who: Party = Depends(party), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return screening.screen_bulk(
        p.store,
        p.catalog,
        who,
        identifiers=body.identifiers,
        measure=body.measure,
        purpose=body.purpose,
        today=p.today(),
    )


@router.post("/screen/bulk-file", summary="Screen a file of identifiers, one a line 文件批量核查")
def screen_file(
    file: UploadFile = File(...),
    measure: str = Form(...),
    purpose: str = Form(...),
    who: Party = Depends(party),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    try:
        text = file.file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the file must be UTF-8 text, one identifier a line",
            message_zh="文件须为UTF-8文本",
            rule="screen.file_encoding",
        ) from None
    values = [line.strip() for line in text.splitlines() if line.strip()]
    return screening.screen_bulk(
        p.store, p.catalog, who, identifiers=values, measure=measure, purpose=purpose, today=p.today()
    )
