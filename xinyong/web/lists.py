"""Portal pages of the lists (名单): public list pages, and staff pages for the due-process steps.

Staff pages act as ``deps.actor`` (accounts and sessions come from the access-control work; until
then the actor is the public, and every staff step is refused by the services' permission check).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.api.deps import actor, platform, rate_limited
from xinyong.catalog.lists import of
from xinyong.domain.actor import Actor
from xinyong.domain.lists import TRANSITIONS, Entry
from xinyong.services import lists
from xinyong.services.platform import Platform
from xinyong.web.pages import language, render

router = APIRouter(include_in_schema=False)


def _types(p: Platform, lang: str) -> list[dict[str, Any]]:
    cat = of(p.catalog)
    zh = lang == "zh"
    return [
        {
            "code": lt.code,
            "name": lt.name_zh if zh else lt.name_en,
            "basis": [str(b) for b in lt.legal_basis],
            "grounds": [g.zh if zh else g.en for g in lt.grounds.values()],
            "measures": [m.name_zh if zh else m.name_en for m in cat.measures_of(lt.code)],
            "removal_days": lt.removal_working_days,
        }
        for lt in cat.list_types.values()
    ]


@router.get("/lists", response_class=HTMLResponse)
def lists_index(request: Request, p: Platform = Depends(platform)) -> HTMLResponse:
    return render(request, "lists_index.html", {"types": _types(p, language(request))})


@router.get("/lists/{list_type}", response_class=HTMLResponse, dependencies=[Depends(rate_limited)])
def list_page(
    list_type: str, request: Request, page: int = 1, p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    data = lists.list_page(p.store, p.catalog, list_type, p.today(), page=page, lang=lang)
    lt = lists.list_type(p.catalog, list_type)
    pages = max(1, -(-data["total"] // data["per_page"]))
    return render(
        request,
        "lists_page.html",
        {
            "lt_name": lt.name_zh if lang == "zh" else lt.name_en,
            "code": list_type,
            "entries": data["entries"],
            "page": data["page"],
            "pages": pages,
            "total": data["total"],
        },
    )


def _entry_view(p: Platform, entry: Entry, lang: str) -> dict[str, Any]:
    lt = lists.list_type(p.catalog, entry.list_type)
    zh = lang == "zh"
    return {
        "id": entry.id,
        "list_name": lt.name_zh if zh else lt.name_en,
        "state": entry.state.value,
        "state_text": entry.state.zh if zh else entry.state.value,
        "identifier": entry.id_value,
        "ground": lt.grounds[entry.ground].zh if zh else lt.grounds[entry.ground].en,
        "basis_document": entry.basis_document,
        "decision_document": entry.decision_document or "",
        "defence_until": entry.defence_until,
        "starts_on": entry.starts_on,
        "ends_on": entry.ends_on,
        "actions": sorted(a for a, (sources, _) in TRANSITIONS.items() if entry.state in sources),
        "conditions": [(c.code, c.zh if zh else c.en) for c in lt.removal_conditions.values()],
    }


@router.get("/staff/lists", response_class=HTMLResponse)
def staff_index(
    request: Request, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    entries = [_entry_view(p, e, lang) for e in lists.workflow(p.store, who)]
    return render(
        request,
        "lists_staff.html",
        {"entries": entries, "types": _types(p, lang), "grounds": _grounds(p, lang)},
    )


def _grounds(p: Platform, lang: str) -> list[tuple[str, str, str]]:
    return [
        (lt.code, g.code, g.zh if lang == "zh" else g.en)
        for lt in of(p.catalog).list_types.values()
        for g in lt.grounds.values()
    ]


@router.post("/staff/lists/propose")
def staff_propose(
    list_type: str = Form(...),
    identifier: str = Form(...),
    ground: str = Form(...),
    basis_document: str = Form(""),
    facts: str = Form(""),
    subject_name: str = Form(""),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> Response:
    entry = lists.propose(
        p,
        who,
        list_type_code=list_type.split(":")[0],
        identifier=identifier,
        ground=ground.split(":")[-1],
        basis_document=basis_document,
        facts=facts,
        subject_name=subject_name,
    )
    return RedirectResponse(f"/staff/lists/{entry.id}", status_code=303)


@router.get("/staff/lists/{entry_id}", response_class=HTMLResponse)
def staff_entry(
    entry_id: str, request: Request, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> HTMLResponse:
    entry = lists.workflow_entry(p.store, who, entry_id)
    return render(
        request,
        "lists_entry.html",
        {
            "e": _entry_view(p, entry, language(request)),
            "history": lists.history(p.store, entry_id),
            "notice": lists.notice_content(p.catalog, entry),
        },
    )


@router.post("/staff/lists/{entry_id}/{action}")
def staff_step(
    entry_id: str,
    action: str,
    document: str = Form(""),
    text: str = Form(""),
    reason: str = Form(""),
    by: str = Form(""),
    trigger_on: str = Form(""),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> Response:
    steps = {
        "notify": lambda: lists.notify(p, who, entry_id, document=document),
        "record_statement": lambda: lists.record_statement(p, who, entry_id, statement=text),
        "decide": lambda: lists.decide(
            p, who, entry_id, decision_document=document, statements_considered=text
        ),
        "publish": lambda: lists.publish(p, who, entry_id),
        "extend": lambda: lists.extend(p, who, entry_id, by=by, document=document),
        "remove": lambda: lists.remove(
            p,
            who,
            entry_id,
            reason=reason,
            document=document,
            trigger_on=date.fromisoformat(trigger_on) if trigger_on else None,
        ),
        "withdraw": lambda: lists.withdraw(p, who, entry_id, reason=text),
    }
    if action not in steps:
        return RedirectResponse(f"/staff/lists/{entry_id}", status_code=303)
    steps[action]()
    return RedirectResponse(f"/staff/lists/{entry_id}", status_code=303)
