"""Portal pages for remedies: a subject objects or applies for repair and follows the case; the
source unit decides; operators see the queue and its deadlines. Thin: call one service, render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from xinyong.api import deps
from xinyong.api.deps import platform
from xinyong.api.remedies import read_uploads
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.objections import Grounds, outcomes_for
from xinyong.errors import NotPermitted
from xinyong.services import objections, remedies, repair
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import Case
from xinyong.web.pages import language, render

router = APIRouter(include_in_schema=False)


def _back(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?lang={language(request)}", status_code=303)


@router.get("/remedies/records/{record_id}", response_class=HTMLResponse)
def record_page(
    record_id: str, request: Request, actor: Actor = Depends(deps.actor), p: Platform = Depends(platform)
) -> HTMLResponse:
    """The subject's remedies for one record: eligibility explained, then the forms."""
    lang = language(request)
    view = Check(p.store, p.catalog, lang, p.today()).record(actor, record_id)
    result = None
    if actor.role in (Role.SUBJECT, Role.OPERATOR):
        try:
            _, result = repair.eligibility(p, actor, "record", record_id)
        except NotPermitted:
            result = None
    grounds = [
        (g.value, g.zh if lang == "zh" else g.value.replace("_", " "))
        for g in Grounds
        if g is not Grounds.WRONGLY_LISTED
    ]
    return render(
        request,
        "remedy_record.html",
        {
            "r": view,
            "elig": result,
            "grounds": grounds,
            "is_subject": actor.role is Role.SUBJECT,
        },
    )


@router.post("/remedies/objections")
def file_objection(
    request: Request,
    target_id: str = Form(...),
    grounds: str = Form(""),
    statement: str = Form(""),
    evidence: list[UploadFile] = File(default=[]),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(platform),
) -> RedirectResponse:
    files = [f for f in evidence if f.filename]
    case = objections.file(
        p, actor, "record", target_id, grounds, statement, read_uploads(files, ["evidence"] * len(files))
    )
    return _back(request, f"/remedies/cases/{case.id}")


@router.post("/remedies/repairs")
def apply_repair(
    request: Request,
    target_id: str = Form(...),
    statement: str = Form(""),
    proof: UploadFile | None = File(None),
    commitment: UploadFile | None = File(None),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(platform),
) -> RedirectResponse:
    pairs = [
        (f, role)
        for f, role in ((proof, "proof"), (commitment, "commitment"))
        if f is not None and f.filename
    ]
    files = read_uploads([f for f, _ in pairs], [r for _, r in pairs])
    case = repair.apply(p, actor, "record", target_id, files, statement=statement)
    return _back(request, f"/remedies/cases/{case.id}")


@router.get("/remedies/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    case_id: str, request: Request, actor: Actor = Depends(deps.actor), p: Platform = Depends(platform)
) -> HTMLResponse:
    case = objections.get(p, actor, case_id)
    lang = language(request)
    return render(
        request,
        "remedy_case.html",
        {
            "c": case,
            "today": p.today(),
            "overdue": case.overdue(p.today()),
            "can_verify": actor.role is Role.OPERATOR and case.state == "platform_check",
            "can_decide": actor.role is Role.SOURCE_UNIT
            and actor.unit == case.unit_code
            and case.state in ("source_review", "forwarded"),
            "outcomes": [
                (o.value, o.zh if lang == "zh" else o.value.replace("_", " "))
                for o in outcomes_for(case.target_kind)
            ],
        },
    )


@router.post("/remedies/cases/{case_id}/verify")
def verify(
    case_id: str,
    request: Request,
    matches_source: str = Form(...),
    note: str = Form(""),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(platform),
) -> RedirectResponse:
    objections.verify(p, actor, case_id, matches_source=matches_source == "yes", note=note)
    return _back(request, f"/remedies/cases/{case_id}")


@router.post("/remedies/cases/{case_id}/extend")
def extend(
    case_id: str,
    request: Request,
    reason: str = Form(""),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(platform),
) -> RedirectResponse:
    case = objections.get(p, actor, case_id)
    (objections.extend if case.kind == "objection" else repair.extend)(p, actor, case_id, reason)
    return _back(request, f"/remedies/cases/{case_id}")


@router.post("/remedies/cases/{case_id}/decide")
def decide(
    case_id: str,
    request: Request,
    outcome: str = Form(...),
    reason: str = Form(""),
    document_number: str = Form(""),
    actor: Actor = Depends(deps.actor),
    p: Platform = Depends(platform),
) -> RedirectResponse:
    case = objections.get(p, actor, case_id)
    doc = document_number.strip() or None
    if case.kind == "objection":
        objections.decide(p, actor, case_id, outcome, reason, document_number=doc)
    else:
        repair.decide(p, actor, case_id, approve=outcome == "approve", reason=reason, document_number=doc)
    return _back(request, f"/remedies/cases/{case_id}")


@router.get("/remedies/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, actor: Actor = Depends(deps.actor), p: Platform = Depends(platform)
) -> HTMLResponse:
    """Operators: every open case with its due date, overdue first. Units: their inbox. Subjects: theirs."""
    today = p.today()
    if actor.role is Role.SOURCE_UNIT:
        rows, title = remedies.unit_inbox(p, actor, today), "remedy_queue_unit"
    elif actor.role is Role.SUBJECT:
        rows, title = remedies.subject_cases(p, actor, today), "remedy_queue_mine"
    else:
        rows, title = remedies.queue(p, actor, today), "remedy_queue_title"
    return render(
        request, "remedy_queue.html", {"rows": [_row(r) for r in rows], "title": title, "today": today}
    )


def _row(r: remedies.QueueRow) -> dict[str, Any]:
    c: Case = r.case
    return {
        "id": c.id,
        "kind": c.kind,
        "target": c.target_id,
        "unit": c.unit_code,
        "state": c.state,
        "opened": c.opened_on,
        "due": r.due_on,
        "unknown": r.due_unknown,
        "overdue": r.overdue,
        "left": r.working_days_left,
        "responsible": r.responsible,
    }
