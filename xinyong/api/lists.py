"""List endpoints: public list pages and list types; due-process steps by the deciding unit.

Steps authenticate the unit by its X-Api-Key (``deps.source_unit``); the unit in the key is the
deciding unit, and only it may act on its entries. There is no bulk export: pages hold at most 50.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from xinyong.api.deps import platform, rate_limited
from xinyong.api.deps import signed_in as current_actor
from xinyong.catalog.lists import of
from xinyong.domain.actor import Actor
from xinyong.domain.lists import Entry
from xinyong.services import court_import, lists
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1/lists", tags=["lists 名单"])


def _entry(entry: Entry) -> dict[str, Any]:
    out = asdict(entry)
    out["state"] = entry.state.value
    out["subject_kind"] = entry.subject_kind.value
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}


class ProposeBody(BaseModel):
    list_type: str = Field(..., description="List type code, e.g. samr_serious_illegal")
    identifier: str = Field(..., description="USCC or resident ID number of the subject")
    ground: str = Field(..., description="Inclusion ground code of the list type")
    basis_document: str = Field(..., description="Number of the legally effective document")
    facts: str
    subject_name: str = ""


class NoticeBody(BaseModel):
    document: str


class StatementBody(BaseModel):
    statement: str


class NamedPerson(BaseModel):
    role: str = Field(
        ..., description="legal_representative, principal, directly_responsible, actual_controller"
    )
    id_number: str = Field(..., description="Resident ID number")
    name: str


class DecideBody(BaseModel):
    decision_document: str
    statements_considered: str = ""
    named_persons: list[NamedPerson] = Field(
        default_factory=list,
        description="Persons of a listed unit the decision binds (法释〔2015〕17号 art. 3)",
    )


class ExtendBody(BaseModel):
    by: str = Field(..., description="ISO period, e.g. P1Y")
    document: str


class RemoveBody(BaseModel):
    reason: str = Field(..., description="Removal condition code of the list type")
    document: str = ""
    trigger_on: date | None = Field(None, description="Day the condition occurred (deadline counts from it)")


class WithdrawBody(BaseModel):
    reason: str


@router.get("", summary="List types and the measures they trigger 名单类型")
def list_types(p: Platform = Depends(platform)) -> list[dict[str, Any]]:
    cat = of(p.catalog)
    return [
        {
            "code": lt.code,
            "name_zh": lt.name_zh,
            "name_en": lt.name_en,
            "legal_basis": [str(b) for b in lt.legal_basis],
            "grounds": {g.code: g.zh for g in lt.grounds.values()},
            "measures": [m.code for m in cat.measures_of(lt.code)],
        }
        for lt in cat.list_types.values()
    ]


@router.get(
    "/{list_type}/entries",
    summary="Published entries of a list, one page 名单公示",
    dependencies=[Depends(rate_limited)],
)
def entries(
    list_type: str,
    page: int = Query(1, ge=1),
    per_page: int = Query(20, ge=1, le=50),
    lang: str = "zh",
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    return lists.list_page(p.store, p.catalog, list_type, p.today(), page=page, per_page=per_page, lang=lang)


@router.post("/entries", summary="Propose a listing 拟列入", status_code=201)
def propose(
    body: ProposeBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(
        lists.propose(
            p,
            actor,
            list_type_code=body.list_type,
            identifier=body.identifier,
            ground=body.ground,
            basis_document=body.basis_document,
            facts=body.facts,
            subject_name=body.subject_name,
        )
    )


@router.get("/entries/{entry_id}", summary="An entry of the unit, with its history")
def entry(
    entry_id: str, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    found = lists.workflow_entry(p.store, actor, entry_id)
    return _entry(found) | {"history": lists.history(p.store, entry_id)}


@router.post("/entries/{entry_id}/notify", summary="Advance notice 告知")
def notify(
    entry_id: str, body: NoticeBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(lists.notify(p, actor, entry_id, document=body.document))


@router.post("/entries/{entry_id}/statements", summary="Record a statement and defence 陈述申辩")
def statement(
    entry_id: str, body: StatementBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(lists.record_statement(p, actor, entry_id, statement=body.statement))


@router.post("/entries/{entry_id}/decide", summary="Listing decision 列入决定")
def decide(
    entry_id: str, body: DecideBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(
        lists.decide(
            p,
            actor,
            entry_id,
            decision_document=body.decision_document,
            statements_considered=body.statements_considered,
            named_persons=[(n.role, n.id_number, n.name) for n in body.named_persons],
        )
    )


@router.post("/entries/{entry_id}/publish", summary="Publish 公示")
def publish(
    entry_id: str, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(lists.publish(p, actor, entry_id))


@router.post("/entries/{entry_id}/extend", summary="Extend the period 延长")
def extend(
    entry_id: str, body: ExtendBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(lists.extend(p, actor, entry_id, by=body.by, document=body.document))


@router.post("/entries/{entry_id}/remove", summary="Remove 移出")
def remove(
    entry_id: str, body: RemoveBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(
        lists.remove(
            p, actor, entry_id, reason=body.reason, document=body.document, trigger_on=body.trigger_on
        )
    )


@router.post("/entries/{entry_id}/withdraw", summary="Drop a proposal 不予列入")
def withdraw(
    entry_id: str, body: WithdrawBody, actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return _entry(lists.withdraw(p, actor, entry_id, reason=body.reason))


@router.post("/court-import", summary="Import a court data file (zxgk JSON) 导入失信被执行人数据")
def import_court(
    file: UploadFile = File(...), actor: Actor = Depends(current_actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    result = court_import.import_records(p, actor, court_import.parse(file.file.read()))
    return {"imported": result.imported, "already": result.already}
