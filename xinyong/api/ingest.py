"""Ingestion endpoints: file upload and JSON push by source units, batch reports."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from xinyong.api.deps import platform, source_unit, unit_or_operator
from xinyong.domain.actor import Actor
from xinyong.errors import InvalidInput
from xinyong.services import ingest, rejections
from xinyong.services.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["ingestion 数据归集"])
MAX_PUSH = 100_000


class PushBody(BaseModel):
    item: str | None = Field(None, description="Catalog item code; inferred from the fields when omitted.")
    accept_valid: bool = Field(False, description="Store the valid records and report the rest.")
    records: list[dict[str, Any]] = Field(
        ..., description="Records keyed by field code (e.g. CF_WSH) or header."
    )


def _report_body(report: ingest.BatchReport) -> dict[str, Any]:
    return report.as_dict()


@router.post("/batches", summary="Upload a file (CSV, XLSX, JSON lines) 上传数据文件")
def upload(
    file: UploadFile = File(...),
    item: str | None = Form(None),
    accept_valid: bool = Form(False),
    encoding: str | None = Form(None),
    actor: Actor = Depends(source_unit),
    p: Platform = Depends(platform),
) -> dict[str, Any]:
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="xinyong-upload-") as tmp:
        path = Path(tmp) / name
        _save(file, path, p.settings.max_upload_mb)
        options = ingest.IngestOptions(item=item, accept_valid=accept_valid, encoding=encoding)
        return _report_body(ingest.ingest_file(p.store, p.catalog, path, actor.unit, actor, options))


def _save(file: UploadFile, path: Path, max_mb: int) -> None:
    limit = max_mb * 1024 * 1024
    with path.open("wb") as out:
        written = 0
        while chunk := file.file.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise InvalidInput(
                    f"the file is larger than {max_mb} MiB",
                    message_zh=f"文件超过 {max_mb} MiB",
                    rule="file.too_large",
                )
            out.write(chunk)
    file.file.seek(0)


@router.post("/push", summary="Push records as JSON 接口报送")
def push(
    body: PushBody, actor: Actor = Depends(source_unit), p: Platform = Depends(platform)
) -> dict[str, Any]:
    if len(body.records) > MAX_PUSH:
        raise InvalidInput(
            f"at most {MAX_PUSH} records per push",
            message_zh=f"单次最多报送 {MAX_PUSH} 条",
            rule="push.too_many",
        )
    options = ingest.IngestOptions(item=body.item, accept_valid=body.accept_valid)
    return _report_body(
        ingest.ingest_rows(p.store, p.catalog, "push", body.records, actor.unit, actor, options)
    )


@router.get("/batches", summary="Batches with status, counts and timing 批次列表")
def batches(
    limit: int = 50, actor: Actor = Depends(unit_or_operator), p: Platform = Depends(platform)
) -> dict[str, Any]:
    rows = ingest.list_batches(p.store, actor, limit=limit)
    return {"count": len(rows), "batches": [_batch_summary(b) for b in rows]}


def _batch_summary(b: dict[str, Any]) -> dict[str, Any]:
    return {
        k: b[k]
        for k in (
            "id",
            "unit_code",
            "kind",
            "source_name",
            "status",
            "rows_total",
            "rows_accepted",
            "rows_rejected",
            "started_at",
            "finished_at",
        )
    }


@router.get("/batches/{batch_id}", summary="One batch and its rejection report 批次详情")
def batch(
    batch_id: str, actor: Actor = Depends(unit_or_operator), p: Platform = Depends(platform)
) -> dict[str, Any]:
    b = ingest.get_batch(p.store, actor, batch_id)
    return {**_batch_summary(b), "report": b["report"]}


@router.get("/batches/{batch_id}/report.csv", summary="Rejection report as CSV 退回报告下载")
def batch_report_csv(
    batch_id: str, actor: Actor = Depends(unit_or_operator), p: Platform = Depends(platform)
) -> Response:
    b = ingest.get_batch(p.store, actor, batch_id)
    problems = (b["report"] or {}).get("problem_list", [])
    return Response(
        rejections.to_csv(problems),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="rejections-{batch_id[:12]}.csv"'},
    )
