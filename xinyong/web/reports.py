"""Portal pages for credit reports (信用报告): request, the issued report (HTML, with the PDF download),
verification by number or upload, and the operator's statistics dashboard (server-rendered SVG charts,
CSV download). Thin: parse, call ``xinyong.services.reports``, render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from xinyong.api.deps import actor, platform, rate_limited
from xinyong.domain.actor import Actor
from xinyong.errors import XinyongError
from xinyong.reports.pdf import PURPOSES
from xinyong.services import reports as svc
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.web.i18n import translator
from xinyong.web.pages import language, render, render_error

router = APIRouter(include_in_schema=False)
MAX_PDF_BYTES = 20 * 1024 * 1024
KIND_NAMES = {
    "enterprise": ("企业", "enterprise"),
    "individual": ("自然人", "individual"),
    "public_institution": ("事业单位", "public institution"),
    "social_organisation": ("社会组织", "social organisation"),
}


def _purposes(lang: str) -> list[tuple[str, str]]:
    return [(p.value, PURPOSES[p.value][1 if lang == "en" else 0]) for p in svc.REPORT_PURPOSES]


@router.get("/reports/request", response_class=HTMLResponse)
def request_page(
    request: Request, subject_id: str, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> Response:
    lang = language(request)
    try:
        profile = Check(p.store, p.catalog, lang, p.today()).profile(who, subject_id)
    except XinyongError as err:
        return render_error(request, err, err.status)
    ctx = {"subject_id": subject_id, "name": profile.name, "purposes": _purposes(lang), "error": None}
    return render(request, "report_request.html", ctx)


@router.post("/reports/request", response_class=HTMLResponse, dependencies=[Depends(rate_limited)])
def issue(
    request: Request,
    subject_id: str = Form(...),
    purpose: str = Form(""),
    who: Actor = Depends(actor),
    p: Platform = Depends(platform),
) -> Response:
    lang = language(request)
    try:
        issued = svc.request(p, who, subject_id, purpose, lang)
    except XinyongError as err:
        return render_error(request, err, err.status)
    return render(
        request, "report_view.html", {"r": issued.report, "key_id": issued.key_id, **_names(request)}
    )


@router.get("/reports/verify", response_class=HTMLResponse)
def verify_page(request: Request, number: str = "", p: Platform = Depends(platform)) -> Response:
    result = svc.verify_number(p, number) if number.strip() else None
    return render(request, "report_verify.html", {"number": number, "v": result, **_names(request)})


@router.post("/reports/verify", response_class=HTMLResponse)
async def verify_upload(
    request: Request, file: UploadFile = File(...), p: Platform = Depends(platform)
) -> Response:
    data = await file.read(MAX_PDF_BYTES + 1)
    result = svc.verify_pdf(p, data)  # a file over the limit arrives cut short and fails as unsigned
    return render(request, "report_verify.html", {"number": "", "v": result, **_names(request)})


def _names(request: Request) -> dict[str, Any]:
    lang = language(request)
    i = 1 if lang == "en" else 0
    return {
        "purpose_names": {k: v[i] for k, v in PURPOSES.items()},
        "kind_names": {k: v[i] for k, v in KIND_NAMES.items()},
    }


@router.get("/reports/{number}.pdf")
def download(
    number: str, request: Request, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> Response:
    try:
        data = svc.download(p, who, number)
    except XinyongError as err:
        return render_error(request, err, err.status)
    headers = {"Content-Disposition": f'attachment; filename="{number.upper()}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


# --- operator statistics -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    height: int


CHART_WIDTH = 360  # width of the longest bar (px)
BAR_STEP = 26


def chart(title: str, counts: list[tuple[str, int]], names: dict[str, str]) -> Chart:
    """A horizontal bar chart's geometry (the template draws it as SVG)."""
    top = max((v for _, v in counts), default=0) or 1
    bars = [Bar(names.get(k, k), v, i * BAR_STEP, CHART_WIDTH * v / top) for i, (k, v) in enumerate(counts)]
    return Chart(title, bars, max(1, len(bars)) * BAR_STEP)


@router.get("/operator/reports", response_class=HTMLResponse)
def statistics_page(
    request: Request, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> Response:
    stats = svc.statistics(p, who)
    names = _names(request)
    t = translator(language(request))
    charts = [
        chart(t("reports_by_purpose"), stats.by_purpose, names["purpose_names"]),
        chart(t("reports_by_kind"), stats.by_kind, names["kind_names"]),
        chart(t("reports_by_month"), stats.by_month, {}),
    ]
    return render(request, "report_stats.html", {"stats": stats, "charts": charts, **names})


@router.get("/operator/reports.csv")
def statistics_csv(who: Actor = Depends(actor), p: Platform = Depends(platform)) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="report-statistics.csv"'}
    return Response(svc.statistics(p, who).csv(), media_type="text/csv; charset=utf-8", headers=headers)
