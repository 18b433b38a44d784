"""Remedies API: objections (异议) and credit repair (信用修复), with the operators' deadline queue.

The actor is the operator (operator token), a source unit (X-Api-Key) or whoever ``deps.actor``
says (a subject once accounts exist). Attachments are multipart files; each is stored under its SHA-256.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from xinyong.api import deps
from xinyong.domain.actor import Actor
from xinyong.errors import InvalidInput
from xinyong.services import objections, remedies, remedy_jobs, repair
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import MAX_FILE_BYTES, Attachment, Case

router = APIRouter(prefix="/api/v1", tags=["remedies 异议与信用修复"])


def case_body(case: Case, today: date | None = None) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind,
        "target": {"kind": case.target_kind, "id": case.target_id},
        "subject_id": case.subject_id,
        "unit": case.unit_code,
        "basis": case.basis,
        "statement": case.statement,
        "opened_on": case.opened_on.isoformat(),
        "state": case.state,
        "open": case.open,
        "due_on": case.due_on.isoformat() if case.due_on and case.open else None,
        "due_unknown_year": case.last.due_unknown if case.open else None,
        "overdue": case.overdue(today) if today else None,
        "detail": case.detail,
        "history": [
            {
                "step": s.step,
                "state": s.state,
                "outcome": s.outcome,
                "on": s.on_date.isoformat(),
                "due_on": s.due_on.isoformat() if s.due_on else None,
                "actor": s.actor,
                "document_number": s.document_number,
                "reason": s.reason,
            }
            for s in case.steps
        ],
        "files": [
            {"role": f.role, "filename": f.filename, "size": f.size, "sha256": f.sha256} for f in case.files
        ],
    }


def read_uploads(files: list[UploadFile], roles: list[str]) -> list[Attachment]:
    if len(roles) != len(files):
        raise InvalidInput(
            "give one role per file (evidence, proof, commitment, decision)",
            message_zh="每个文件须注明材料类型",
            rule="remedy.file_roles",
        )
    out = []
    for f, role in zip(files, roles, strict=True):
        content = f.file.read(MAX_FILE_BYTES + 1)
        out.append(Attachment(role, f.filename or "", content, f.content_type or "application/octet-stream"))
    return out


@router.post("/objections", summary="Object to a record or list entry 提出异议")
def file_objection(
    target_id: str = Form(...),
    grounds: str = Form(""),
    statement: str = Form(""),
    target_kind: str = Form("record"),
    files: list[UploadFile] = File(default=[]),
    roles: list[str] = Form(default=[]),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    attachments = read_uploads(files, roles or ["evidence"] * len(files))
    return case_body(
        objections.file(p, actor, target_kind, target_id, grounds, statement, attachments), p.today()
    )


class VerifyBody(BaseModel):
    matches_source: bool = Field(
        ..., description="The platform's copy matches the source unit's: forward it."
    )
    note: str = Field(..., description="What was compared.")
    document_number: str | None = None


@router.post("/objections/{case_id}/verify", summary="Platform check within 1 working day 平台核查")
def verify(
    case_id: str, body: VerifyBody, actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)
) -> dict[str, Any]:
    case = objections.verify(
        p,
        actor,
        case_id,
        matches_source=body.matches_source,
        note=body.note,
        document_number=body.document_number,
    )
    return case_body(case, p.today())


class ReasonBody(BaseModel):
    reason: str


@router.post("/objections/{case_id}/extend", summary="Extend by 3 working days, once 延期")
def extend_objection(
    case_id: str, body: ReasonBody, actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)
) -> dict[str, Any]:
    return case_body(objections.extend(p, actor, case_id, body.reason), p.today())


class ObjectionDecision(BaseModel):
    outcome: str = Field(
        ..., description="corrected, supplemented, publicity_stopped, removed_from_list, rejected"
    )
    reason: str
    document_number: str | None = None


@router.post("/objections/{case_id}/decide", summary="Source unit's decision 异议处理决定")
def decide_objection(
    case_id: str,
    body: ObjectionDecision,
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    case = objections.decide(
        p, actor, case_id, body.outcome, body.reason, document_number=body.document_number
    )
    return case_body(case, p.today())


class ReviewMark(BaseModel):
    active: bool
    reason: str
    document_number: str | None = None


@router.post("/records/{record_id}/review-mark", summary="Mark reconsideration or litigation 复议诉讼标注")
def review_mark(
    record_id: str,
    body: ReviewMark,
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    objections.mark_review(
        p, actor, record_id, active=body.active, reason=body.reason, document_number=body.document_number
    )
    return {"record": record_id, "under_review": body.active}


@router.get("/repair/eligibility", summary="May I apply for credit repair, and why? 修复条件")
def eligibility(
    target_id: str,
    target_kind: str = "record",
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    _, result = repair.eligibility(p, actor, target_kind, target_id)
    return {
        "eligible": result.eligible,
        "regime": result.regime.code if result.regime else None,
        "earliest": result.earliest.isoformat() if result.earliest else None,
        "materials": list(result.materials),
        "checks": [{"code": c.code, "ok": c.ok, "zh": c.zh, "en": c.en} for c in result.checks],
        "fee": 0,
    }


@router.post("/repairs", summary="Apply for credit repair (free) 申请信用修复")
def apply_repair(
    target_id: str = Form(...),
    target_kind: str = Form("record"),
    statement: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    roles: list[str] = Form(default=[]),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    attachments = read_uploads(files, roles)
    return case_body(
        repair.apply(p, actor, target_kind, target_id, attachments, statement=statement), p.today()
    )


@router.get("/repairs/published", summary="Feed of approved repairs for other platforms 修复结果共享")
def published(since: int = 0, limit: int = 500, p: Platform = Depends(deps.platform)) -> dict[str, Any]:
    items = repair.published(p, since, limit)
    return {"items": items, "next": items[-1]["seq"] if items else since}


@router.post("/repairs/{case_id}/extend", summary="Extend by 3 working days, once 延期")
def extend_repair(
    case_id: str, body: ReasonBody, actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)
) -> dict[str, Any]:
    return case_body(repair.extend(p, actor, case_id, body.reason), p.today())


class RepairDecision(BaseModel):
    approve: bool
    reason: str = ""
    document_number: str | None = None


@router.post("/repairs/{case_id}/decide", summary="Deciding unit's decision 修复决定")
def decide_repair(
    case_id: str,
    body: RepairDecision,
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(deps.platform),
) -> dict[str, Any]:
    case = repair.decide(
        p, actor, case_id, approve=body.approve, reason=body.reason, document_number=body.document_number
    )
    return case_body(case, p.today())


@router.get("/remedies/cases/{case_id}", summary="One case and its history 办理进度")
def get_case(
    case_id: str, actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)
) -> dict[str, Any]:
    return case_body(objections.get(p, actor, case_id), p.today())


@router.get("/remedies/cases/{case_id}/files/{sha256}", summary="A case's file, by its SHA-256 材料")
def get_file(
    case_id: str, sha256: str, actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)
) -> FileResponse:
    stored, path = objections.open_file(p, actor, case_id, sha256)
    return FileResponse(path, filename=stored.filename, media_type="application/octet-stream")


@router.get("/remedies/queue", summary="Open cases and deadlines, overdue first 办理队列")
def queue(actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)) -> dict[str, Any]:
    today = p.today()
    rows = remedies.queue(p, actor, today)
    return {
        "date": today.isoformat(),
        "cases": [
            {
                **case_body(r.case, today),
                "responsible": r.responsible,
                "working_days_left": r.working_days_left,
            }
            for r in rows
        ],
    }


@router.post("/remedies/jobs/run", summary="Run the daily reminder job now 运行提醒任务")
def run_job(actor: Actor = Depends(deps.actor), p: Platform = Depends(deps.platform)) -> dict[str, Any]:
    return remedy_jobs.run(p, p.today(), actor=actor)
