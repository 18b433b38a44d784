"""Account endpoints: register as a data subject, accounts and role grants (operators), API keys,
and the query log of any subject for the platform's operators and auditors."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from xinyong.api.deps import actor, platform, signed_in
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services import accounts, identity, querylog
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["accounts 账户与权限"])


class RegisterBody(BaseModel):
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=200)
    name: str = Field(..., max_length=200, description="The person's or the organisation's name.")
    id_number: str = Field(..., max_length=32, description="Resident ID number, or the organisation's USCC.")
    agent_id_number: str = Field("", max_length=32, description="For an organisation's agent: own ID number.")
    evidence: str = Field("", max_length=200, description="For an agent: the power of attorney's number.")


class UserBody(BaseModel):
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=200)
    role: Role
    unit: str = Field("", max_length=64, description="Source unit or relying party code.")
    subject_id: str | None = Field(None, max_length=24)
    purposes: list[str] = Field([], description="A relying party's declared purposes (查询用途).")


class RoleBody(BaseModel):
    role: Role
    unit: str = Field("", max_length=64)
    purposes: list[str] = Field([], description="A relying party's declared purposes.")


class KeyBody(BaseModel):
    label: str = Field("", max_length=200)
    user_id: str | None = Field(None, description="Operators: issue for this account (default: yourself).")


def user_body(u: accounts.User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "role": u.role.value,
        "unit": u.unit,
        "subject_id": u.subject_id,
        "purposes": list(u.purposes),
        "active": u.active,
    }


@router.post("/auth/register", summary="Register as a data subject (identity verified) 信用主体注册")
def register(
    body: RegisterBody, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    claim = identity.IdentityClaim(body.name, body.id_number, body.agent_id_number, body.evidence)
    user = accounts.register_subject(p.store, who, identity.verifier(), body.username, body.password, claim)
    return user_body(user)


@router.post("/auth/users", summary="Create an account (operators) 创建账户")
def create_user(
    body: UserBody, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    user = accounts.create_user(
        p.store,
        who,
        body.username,
        body.password,
        body.role,
        body.unit,
        body.subject_id,
        tuple(body.purposes),
    )
    return user_body(user)


@router.post("/auth/users/{user_id}/role", summary="Grant a role (operators) 授予角色")
def grant_role(
    user_id: str, body: RoleBody, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return user_body(accounts.grant_role(p.store, who, user_id, body.role, body.unit, tuple(body.purposes)))


def _own_id(p: Platform, who: Actor) -> str:
    return accounts.find_user(p.store, who.user).id


@router.post("/auth/keys", summary="Issue an API key (shown once) 签发接口密钥")
def issue_key(
    body: KeyBody, who: Actor = Depends(signed_in), p: Platform = Depends(platform)
) -> dict[str, Any]:
    user_id = body.user_id or _own_id(p, who)
    key = accounts.issue_key(p.store, who, user_id, body.label)
    return {"key": key, "id": key[len(accounts.KEY_PREFIX) :].split("_", 1)[0], "user_id": user_id}


@router.get("/auth/keys", summary="My API keys (without secrets) 我的接口密钥")
def list_keys(who: Actor = Depends(signed_in), p: Platform = Depends(platform)) -> dict[str, Any]:
    keys = accounts.list_keys(p.store, who, _own_id(p, who))
    return {
        "keys": [
            {"id": k.id, "label": k.label, "created_at": k.created_at, "revoked_at": k.revoked_at}
            for k in keys
        ]
    }


@router.delete("/auth/keys/{key_id}", summary="Revoke an API key 撤销接口密钥")
def revoke_key(
    key_id: str, who: Actor = Depends(signed_in), p: Platform = Depends(platform)
) -> dict[str, Any]:
    accounts.revoke_key(p.store, who, key_id)
    return {"id": key_id, "revoked": True}


@router.get("/querylog/{subject_id}", summary="Queries of a subject's file (operators, auditors) 查询记录")
def subject_queries(
    subject_id: str, who: Actor = Depends(signed_in), p: Platform = Depends(platform)
) -> dict[str, Any]:
    entries = querylog.for_subject(p.store, who, subject_id)
    return {"count": len(entries), "queries": [q.as_dict() for q in entries]}
