"""Helpers for tests of the portal's forms (CSRF tokens), accounts and authorizations."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from ingest_helpers import HOUSING, HUAWEI, PERSON_ID, penalty, person_penalty, write_csv
from sqlalchemy import select

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.services import accounts, ingest
from xinyong.services.platform import Platform
from xinyong.store.tables import records, subjects

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(client: TestClient, page: str) -> str:
    """Open a portal page as a browser would and return the CSRF token its forms carry."""
    r = client.get(page)
    found = TOKEN_FIELD.search(r.text)
    assert found, f"{page} has no form with a CSRF token"
    return found.group(1)


# --- a small town: a company, a person with a current penalty, accounts for every role ------------


TODAY = date(2026, 11, 28)
BANK = "bank_zs"  # a relying party's code (Actor.unit)
PASSWORD = "correct horse battery"
OPERATOR = Actor.operator("test")


@dataclasses.dataclass
class Town:
    platform: Platform
    person: str  # subject id of 张三
    company: str  # subject id of Huawei
    person_record: str
    company_record: str


def make_town(platform: Platform, tmp_path: Path) -> Town:
    platform.settings = dataclasses.replace(
        platform.settings, today=TODAY.isoformat(), rate_limit_per_minute=0
    )
    rows = [
        penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01"),
        person_penalty(
            2, CF_JDRQ="2026-10-01", CF_YXQ="2027-10-01", CF_CFLB="罚款", CF_NR="罚款一千元", CF_NR_FK="0.1"
        ),
    ]
    path = write_csv(tmp_path / "town.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    with platform.store.read() as conn:
        ids = dict(conn.execute(select(subjects.c.id_value, subjects.c.id)).all())
        recs = dict(conn.execute(select(records.c.subject_id, records.c.id)).all())
    person, company = ids[PERSON_ID], ids[HUAWEI]
    return Town(platform, person, company, recs[person], recs[company])


def subject_actor(town: Town) -> Actor:
    return Actor(role=Role.SUBJECT, user="zhangsan", subject_id=town.person)


def bank_actor(purpose: Purpose | None = Purpose.BANK_LOAN, unit: str = BANK) -> Actor:
    found = Actor(role=Role.RELYING_PARTY, user="loan-officer", unit=unit)
    return found.with_purpose(purpose) if purpose else found


def account_key(
    platform: Platform, username: str, role: Role, unit: str = "", subject_id: str | None = None
) -> str:
    """An account with this role and an API key for it (a relying party declares bank_loan)."""
    purposes = ("bank_loan",) if role is Role.RELYING_PARTY else ()
    user = accounts.create_user(
        platform.store, OPERATOR, username, PASSWORD, role, unit, subject_id, purposes
    )
    return accounts.issue_key(platform.store, OPERATOR, user.id, "test")
