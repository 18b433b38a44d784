"""The signed-in actor's own things: who am I; for a data subject, my file, who looked at it, my
authorizations (grant, withdraw) and a download of all my data; for a relying party, the
authorizations it holds."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from xinyong.api.deps import platform, signed_in
from xinyong.domain.accounts import SCOPE_ALL, Authorization
from xinyong.domain.actor import Actor
from xinyong.services import authorizations, mydata
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1/me", tags=["my data 本人信息"])


class GrantBody(BaseModel):
    grantee: str = Field(..., max_length=64, description="The third party's code (e.g. a bank's).")
    purpose: str = Field(..., max_length=32, description="One purpose from the fixed list.")
    scope: list[str] = Field([SCOPE_ALL], description="Catalog item codes, or ['*'] for the whole file.")
    expires_on: date
    proof: str = Field(..., max_length=500, description="Where the consent is documented.")
    valid_from: date | None = None


def auth_body(a: Authorization) -> dict[str, Any]:
    return {**dataclasses.asdict(a), "purpose": a.purpose.value}


@router.get("", summary="Who am I 当前身份")
def me(who: Actor = Depends(signed_in)) -> dict[str, Any]:
    return {"role": who.role.value, "user": who.user, "unit": who.unit, "subject_id": who.subject_id}


@router.get("/file", summary="My credit file 本人信用档案")
def my_file(
    lang: str = Query("zh", pattern="^(zh|en)$"),
    who: Actor = Depends(signed_in),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return dataclasses.asdict(mydata.my_file(p.store, p.catalog, who, p.today(), lang))


@router.get("/queries", summary="Who looked at my file 谁查询了我的信息")
def my_queries(who: Actor = Depends(signed_in), p: Platform = Depends(platform)) -> dict[str, Any]:
    entries = mydata.my_queries(p.store, who)
    return {"count": len(entries), "queries": [q.as_dict() for q in entries]}


@router.get("/export", summary="Download all my data 下载本人数据")
def export(
    lang: str = Query("zh", pattern="^(zh|en)$"),
    who: Actor = Depends(signed_in),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return mydata.export(p.store, p.catalog, who, p.today(), lang)


@router.get("/authorizations", summary="My authorizations 我的授权")
def my_authorizations(who: Actor = Depends(signed_in), p: Platform = Depends(platform)) -> dict[str, Any]:
    found = authorizations.for_subject(p.store, who, who.subject_id)
    return {"count": len(found), "authorizations": [auth_body(a) for a in found]}


@router.post("/authorizations", summary="Authorize a third party 授权第三方查询")
def grant(
    body: GrantBody, who: Actor = Depends(signed_in), p: Platform = Depends(platform)
) -> dict[str, Any]:
    found = authorizations.grant(
        p.store,
        p.catalog,
        who,
        subject_id=who.subject_id,
        grantee=body.grantee,
        purpose=body.purpose,
        scope=body.scope,
        expires_on=body.expires_on,
        proof=body.proof,
        today=p.today(),
        valid_from=body.valid_from,
    )
    return auth_body(found)


@router.delete("/authorizations/{auth_id}", summary="Withdraw an authorization 撤回授权")
def revoke(auth_id: str, who: Actor = Depends(signed_in), p: Platform = Depends(platform)) -> dict[str, Any]:
    return auth_body(authorizations.revoke(p.store, who, auth_id))


@router.get("/authorizations/held", summary="Authorizations my unit holds (relying parties) 已获授权")
def held(who: Actor = Depends(signed_in), p: Platform = Depends(platform)) -> dict[str, Any]:
    found = authorizations.for_grantee(p.store, who)
    return {"count": len(found), "authorizations": [auth_body(a) for a in found]}
