"""Benchmark: producing and verifying a signed credit report (信用报告) for a subject with 200 records.

    .venv/bin/python bench/report.py            # 50 timed runs of each step
    .venv/bin/python bench/report.py --quick    # 15 runs (well under a minute)

Store: a fresh SQLite file migrated and opened as the platform does (``Platform.open``), into which
200 administrative penalty decisions (双公示, 2026 decision dates, all within publicity) on one
enterprise are ingested through the ordinary ingestion service (``xinyong.services.ingest``).

Timed apart, each as the median of the runs (ms):

* ``assemble``  the content: every record through the disclosure decision for the requester;
* ``render``    the A4 PDF (reportlab, CID font STSong-Light, QR code via segno);
* ``sign``      SHA-256 of the PDF and the Ed25519 signature;
* ``produce``   the whole request as the API serves it: the above plus the report row and its event in
  the tamper-evident log (``xinyong.services.reports.request``);
* ``verify``    the offline check of an uploaded PDF (digest + signature against the key ring,
  ``xinyong.reports.verify.check``);
* ``verify_full`` the platform's answer to an upload: the same plus the issued-report row and the
  "still current?" re-assembly.

Baseline, measured in the same run: ``plain``, the same 200 rows drawn as a bare reportlab table of
plain strings (no styles, wrapping, QR or signature). Targets: produce < 500 ms, verify < 5 ms.
The last line is ``RESULT …``.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.platypus import SimpleDocTemplate, Table  # noqa: E402

from xinyong.domain.actor import Actor  # noqa: E402
from xinyong.domain.enums import Purpose, Role  # noqa: E402
from xinyong.reports import content, pdf, signing, verify  # noqa: E402
from xinyong.services import ingest  # noqa: E402
from xinyong.services import reports as svc  # noqa: E402
from xinyong.services.platform import Platform  # noqa: E402
from xinyong.settings import Settings  # noqa: E402

TODAY = date(2026, 11, 28)
USCC = "914403001922038216"
UNIT = "sz_housing"
UNIT_USCC = "11440300015188448M"
RECORDS = 200


def _row(n: int) -> dict[str, str]:
    day = date(2026, 1, 5) + timedelta(days=n * 300 // RECORDS)
    return {
        "CF_XDR_MC": "华为技术有限公司",
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": USCC,
        "CF_FRDB": "赵明路",
        "CF_WSH": f"深建罚〔2026〕{n + 1}号",
        "CF_WFXW": "未取得施工许可证擅自施工，违反建筑工程施工许可管理规定",
        "CF_SY": "经查，当事人在未取得施工许可证的情况下擅自开工建设。",
        "CF_YJ": "《建筑工程施工许可管理办法》第十二条",
        "CF_CFLB": "罚款",
        "CF_NR": f"罚款人民币{n % 9 + 1}万元整",
        "CF_NR_FK": str(n % 9 + 1),
        "CF_JDRQ": day.isoformat(),
        "CF_YXQ": (day + timedelta(days=365)).isoformat(),
        "CF_CFJG": "深圳市住房和建设局",
        "CF_CFJGDM": UNIT_USCC,
        "CF_SJLY": "深圳市住房和建设局",
        "CF_SJLYDM": UNIT_USCC,
    }


def build(tmp: Path) -> tuple[Platform, str]:
    settings = Settings(data_dir=tmp, today=TODAY.isoformat(), public_url="https://credit.example.cn")
    platform = Platform.open(settings)
    fields = platform.catalog.schemas["administrative_penalty"].fields
    path = tmp / "penalties.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([f.zh for f in fields])
        for n in range(RECORDS):
            row = _row(n)
            writer.writerow([row.get(f.code, "") for f in fields])
    result = ingest.ingest_file(
        platform.store, platform.catalog, path, UNIT, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    if result.status != "accepted":
        raise SystemExit(f"ingestion failed: {result.problems[:3]}")
    with platform.store.read() as conn:
        from sqlalchemy import select

        from xinyong.store.tables import subjects

        subject_id = conn.execute(select(subjects.c.id).where(subjects.c.id_value == USCC)).scalar_one()
    return platform, str(subject_id)


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    fn()  # warm-up (font registration, caches)
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def plain_render(report: content.Report) -> bytes:
    """The baseline: the same rows as a bare table of plain strings."""
    pdf._font()
    rows = [
        [str(n), i.item_name, i.document_number or "", str(i.decision_date), i.unit_name]
        for n, i in enumerate(report.body.items(), 1)
    ]
    buf = io.BytesIO()
    table = Table(rows, style=[("FONT", (0, 0), (-1, -1), pdf.FONT, 8)])
    SimpleDocTemplate(buf, pagesize=A4).build([table])
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="15 runs of each step instead of 50")
    parser.add_argument("--runs", type=int, default=0)
    args = parser.parse_args()
    runs = args.runs or (15 if args.quick else 50)
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-report-") as tmp:
        t0 = time.perf_counter()
        platform, subject_id = build(Path(tmp))
        print(f"store: {RECORDS} penalty records ingested in {time.perf_counter() - t0:.1f} s")
        who = Actor(Role.RELYING_PARTY, user="bench", unit="bank")
        requester = content.Requester(who.with_purpose(Purpose.BANK_LOAN), Purpose.BANK_LOAN, False, False)
        key = svc.keystore(platform).signing_key()
        ring = svc.keystore(platform).key_ring()

        t_assemble, assembly = timed(
            lambda: content.assemble(platform.store, platform.catalog, requester, subject_id, TODAY), runs
        )
        items = len(assembly.body.items())
        report = content.Report("XY20261128-BENCHBENCH", datetime.now(UTC), "https://x/v", assembly.body)
        t_plain, _ = timed(lambda: plain_render(report), runs)
        t_render, body = timed(lambda: pdf.render(report), runs)
        digest = report.content_sha256()
        t_sign, _ = timed(lambda: signing.sign(body, report.number, 0, digest, key), runs)
        t_produce, issued = timed(lambda: svc.request(platform, who, subject_id, "bank_loan"), runs)
        t_verify, _ = timed(lambda: verify.check(issued.pdf, ring), runs)
        t_full, result = timed(lambda: svc.verify_pdf(platform, issued.pdf), runs)
        assert result.genuine and result.current, result
        platform.close()
    print(f"items in report: {items}; PDF {len(issued.pdf) / 1024:.0f} KiB; {runs} runs, medians in ms")
    for name, value in (
        ("plain rendering (baseline)", t_plain),
        ("assemble", t_assemble),
        ("render", t_render),
        ("sign", t_sign),
        ("produce (request end to end)", t_produce),
        ("verify (signature, offline)", t_verify),
        ("verify_full (upload + still current?)", t_full),
    ):
        print(f"  {name:40s} {value:8.2f}")
    print(
        f"RESULT produce_ms={t_produce:.1f} assemble_ms={t_assemble:.1f} render_ms={t_render:.1f} "
        f"sign_ms={t_sign:.2f} verify_ms={t_verify:.2f} verify_full_ms={t_full:.1f} "
        f"plain_render_ms={t_plain:.1f} produce_vs_plain={t_produce / t_plain:.2f} items={items} "
        f"produce_target_met={t_produce < 500} verify_target_met={t_verify < 5}"
    )


if __name__ == "__main__":
    main()
