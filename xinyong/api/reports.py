"""Credit report API (信用报告): request, download, verify (by number or upload), statistics.

Reports are free. The platform's public keys are at ``/.well-known/xinyong-keys.json`` (the audit
router); ``python -m xinyong.reports.verify`` checks a report offline against them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from xinyong.api.deps import actor, platform, rate_limited
from xinyong.domain.actor import Actor
from xinyong.errors import InvalidInput
from xinyong.services import reports as svc
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1/reports", tags=["reports 信用报告"])
MAX_PDF_BYTES = 20 * 1024 * 1024


class ReportRequest(BaseModel):
    subject_id: str = Field(..., max_length=24, description="The subject's id (from search).")
    purpose: str = Field(
        ..., description="due_diligence, bank_loan, bidding, government_funding, understanding or other."
    )
    lang: str = Field("zh", pattern="^(zh|en)$")


def issued_json(issued: svc.Issued) -> dict[str, Any]:
    return {
        "number": issued.number,
        "issued_at": issued.issued_at,
        "key_id": issued.key_id,
        "content_sha256": issued.report.content_sha256(),
        "pdf_url": f"/api/v1/reports/{issued.number}.pdf",
        "verify_url": issued.report.verify_url,
        "content": issued.report.body.to_dict(),
    }


def verification_json(v: svc.Verification) -> dict[str, Any]:
    return dataclasses.asdict(v)


@router.post("", summary="Request a credit report 申请信用报告 (free)", dependencies=[Depends(rate_limited)])
def request_report(
    body: ReportRequest, who: Actor = Depends(actor), p: Platform = Depends(platform)
) -> dict[str, Any]:
    return issued_json(svc.request(p, who, body.subject_id, body.purpose, body.lang))


@router.get("/statistics", summary="Reports by purpose, subject kind and month 报告统计")
def statistics(who: Actor = Depends(actor), p: Platform = Depends(platform)) -> dict[str, Any]:
    return dataclasses.asdict(svc.statistics(p, who))


@router.get(
    "/statistics.csv", summary="Report statistics as CSV 报告统计下载", response_class=PlainTextResponse
)
def statistics_csv(who: Actor = Depends(actor), p: Platform = Depends(platform)) -> Response:
    return Response(
        svc.statistics(p, who).csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="report-statistics.csv"'},
    )


@router.post("/verify", summary="Verify an uploaded report PDF 上传报告验真")
async def verify_upload(file: UploadFile = File(...), p: Platform = Depends(platform)) -> dict[str, Any]:
    data = await file.read(MAX_PDF_BYTES + 1)
    if len(data) > MAX_PDF_BYTES:
        raise InvalidInput(
            "a report PDF is at most 20 MiB", message_zh="报告文件不能超过 20 MiB", rule="reports.upload_size"
        )
    return verification_json(svc.verify_pdf(p, data))


@router.get("/{number}.pdf", summary="Download an issued report 下载信用报告", response_class=Response)
def download(number: str, who: Actor = Depends(actor), p: Platform = Depends(platform)) -> Response:
    return Response(
        svc.download(p, who, number),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{number.upper()}.pdf"'},
    )


@router.get("/{number}", summary="Verify a report by its number 按编号验证报告")
def verify_number(number: str, p: Platform = Depends(platform)) -> dict[str, Any]:
    return verification_json(svc.verify_number(p, number))
