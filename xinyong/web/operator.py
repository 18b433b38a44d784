"""Operator pages (平台运营): ingestion batches and their rejection reports.

Until accounts exist, an operator token (XINYONG_OPERATOR_TOKEN) guards these pages.
"""

from __future__ import annotations

import hmac
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong import chinatime
from xinyong.api.deps import OPERATOR_COOKIE, limiter, operator, platform
from xinyong.domain.actor import Actor
from xinyong.services import ingest
from xinyong.services.platform import Platform
from xinyong.web.i18n import translator
from xinyong.web.pages import language, render

router = APIRouter(prefix="/operator", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "operator_login.html", {"failed": False})


@router.post("/login")
def login(request: Request, token: str = Form(...), p: Platform = Depends(platform)) -> Response:
    expected = p.settings.operator_token
    if not (expected and hmac.compare_digest(expected, token)):
        return render(request, "operator_login.html", {"failed": True}, status=403)
    response = RedirectResponse("/operator/batches", status_code=303)
    response.set_cookie(
        OPERATOR_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=8 * 3600,
        secure=request.url.scheme == "https",
    )
    return response


def _batch_view(b: dict[str, Any], lang: str) -> dict[str, Any]:
    t = translator(lang)
    took = (b["finished_at"] - b["started_at"]).total_seconds() if b["finished_at"] else None
    return {
        "id": b["id"],
        "unit": b["unit_code"] or "-",
        "file": b["source_name"],
        "status": b["status"],
        "status_text": t(f"status_{b['status']}"),
        "rows": b["rows_total"],
        "accepted": b["rows_accepted"],
        "rejected": b["rows_rejected"],
        "started": b["started_at"].strftime("%Y-%m-%d %H:%M:%S"),
        "seconds": f"{took:.2f}" if took is not None else "-",
    }


@router.get("/batches", response_class=HTMLResponse)
def batches_page(
    request: Request, actor: Actor = Depends(operator), p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    rows = [_batch_view(b, lang) for b in ingest.list_batches(p.store, actor, limit=200)]
    return render(request, "operator_batches.html", {"batches": rows})


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    batch_id: str, request: Request, actor: Actor = Depends(operator), p: Platform = Depends(platform)
) -> HTMLResponse:
    lang = language(request)
    b = ingest.get_batch(p.store, actor, batch_id)
    problems = [
        {
            "row": pr.get("where", {}).get("row", ""),
            "field": pr.get("where", {}).get("field", ""),
            "rule": pr["rule"],
            "value": pr.get("value", ""),
            "message": (pr.get("message_zh") if lang == "zh" else None) or pr["message"],
        }
        for pr in (b["report"] or {}).get("problem_list", [])[:1000]
    ]
    return render(request, "operator_batch.html", {"batch": _batch_view(b, lang), "problems": problems})


@router.get("/limits", response_class=HTMLResponse)
def limits_page(
    request: Request, actor: Actor = Depends(operator), p: Platform = Depends(platform)
) -> HTMLResponse:
    rl = limiter(request)
    started = time.time() - time.monotonic()  # the limiter keeps monotonic seconds
    offenders = [
        {
            "client": o.client,
            "refused": o.refused,
            "first": _clock(started + o.first),
            "last": _clock(started + o.last),
        }
        for o in rl.top_offenders(100)
    ]
    return render(
        request,
        "operator_limits.html",
        {"offenders": offenders, "per_minute": rl.per_minute, "burst": rl.burst},
    )


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, chinatime.CHINA).strftime("%Y-%m-%d %H:%M:%S")
