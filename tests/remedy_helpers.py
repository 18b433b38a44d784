"""A small city for the remedies tests: penalties of several kinds, their record ids, and actors."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from ingest_helpers import HOUSING, HUAWEI, TENCENT, penalty, write_csv
from sqlalchemy import select

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services import ingest
from xinyong.services.notify import MemorySender
from xinyong.services.platform import Platform
from xinyong.services.remedy_store import Attachment
from xinyong.store.tables import records, subjects

TODAY = date(2026, 11, 28)  # a Saturday; the platform works on any day, deadlines count working days
HOUSING_STAFF = Actor(role=Role.SOURCE_UNIT, unit=HOUSING, user="clerk")
SAMR_STAFF = Actor(role=Role.SOURCE_UNIT, unit="sz_samr", user="clerk")
OPERATOR = Actor.operator("op")

PROOF = Attachment("proof", "receipt.pdf", b"%PDF-1.4 fine paid", "application/pdf")
COMMITMENT = Attachment("commitment", "commitment.pdf", b"%PDF-1.4 I promise", "application/pdf")
EVIDENCE = Attachment("evidence", "evidence.png", b"\x89PNG evidence", "image/png")


def seed(platform: Platform, tmp_path: Path) -> dict[str, str]:
    """Ingest the penalties; returns {name: record id}."""
    platform.settings = dataclasses.replace(platform.settings, today=TODAY.isoformat())
    platform.notifier = MemorySender()  # type: ignore[attr-defined]  # tests read the notices sent
    rows = [
        penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01"),  # general, Order 36: repair from 2026-09-02
        penalty(
            2,
            CF_XDR_MC="腾讯科技（深圳）有限公司",
            CF_XDR_SHXYM=TENCENT,
            CF_JDRQ="2026-09-01",
            CF_YXQ="2027-01-01",
        ),  # general: repair from 2026-12-02
        penalty(
            3,
            CF_JDRQ="2026-05-10",
            CF_CFLB="吊销许可证件",
            CF_NR="吊销资质证书",
            CF_NR_FK="<drop>",
            CF_NR_ZKDX="建筑业企业资质证书 D244000001",
        ),  # licence revocation: no early repair
    ]
    path = write_csv(tmp_path / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    samr = [penalty(9, CF_JDRQ="2025-03-01", CF_YXQ="2025-06-01", CF_NR_FK="50")]  # general: 500,000 yuan
    path = write_csv(tmp_path / "s.csv", platform.catalog, samr)
    report = ingest.ingest_file(
        platform.store,
        platform.catalog,
        path,
        "sz_samr",
        Actor.system(),
        ingest.IngestOptions(today=TODAY, item="market_regulation_penalty"),
    )
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        found = {
            r.document_number: r.id for r in conn.execute(select(records.c.document_number, records.c.id))
        }
    return {
        "huawei": found["深建罚〔2025〕1号"],
        "tencent": found["深建罚〔2025〕2号"],
        "revoked_licence": found["深建罚〔2025〕3号"],
        "samr": found["深建罚〔2025〕9号"],
    }


def subject_of(platform: Platform, uscc: str) -> Actor:
    with platform.store.read() as conn:
        sid = conn.execute(select(subjects.c.id).where(subjects.c.id_value == uscc)).scalar_one()
    return Actor(role=Role.SUBJECT, subject_id=str(sid), user="applicant")


def huawei(platform: Platform) -> Actor:
    return subject_of(platform, HUAWEI)


def tencent(platform: Platform) -> Actor:
    return subject_of(platform, TENCENT)
