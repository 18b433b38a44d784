"""The query log (查询记录): every non-public read recorded with time, querier, unit, authorizer, proof
and purpose, kept five years, each entry also an event of the tamper-evident log; a subject sees who
looked at its file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from access_helpers import BANK, OPERATOR, TODAY, Town, account_key, bank_actor, make_town, subject_actor
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from xinyong import chinatime
from xinyong.api.app import create_app
from xinyong.audit import log
from xinyong.audit.keys import KeyStore
from xinyong.domain import accounts as rules
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.errors import NotPermitted
from xinyong.services import authorizations, querylog
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.store.tables import events, query_log


@pytest.fixture
def town(platform: Platform, tmp_path: Path) -> Town:
    return make_town(platform, tmp_path)


def check(town: Town) -> Check:
    return Check(town.platform.store, town.platform.catalog, "zh", TODAY)


def entries(town: Town) -> list[querylog.QueryEntry]:
    return querylog.for_subject(town.platform.store, subject_actor(town), town.person)


def authorize(town: Town) -> authorizations.Authorization:
    return authorizations.grant(
        town.platform.store,
        town.platform.catalog,
        subject_actor(town),
        subject_id=town.person,
        grantee=BANK,
        purpose="bank_loan",
        scope=["*"],
        expires_on=TODAY + timedelta(days=30),
        proof="授权书 ZS-7",
        today=TODAY,
    )


def test_an_authorized_read_is_logged_with_who_why_and_on_whose_authority(town: Town) -> None:
    found = authorize(town)
    check(town).profile(bank_actor(), town.person)
    check(town).record(bank_actor(), town.person_record)
    got = entries(town)
    assert [e.kind for e in got] == ["record", "profile"]  # newest first
    e = got[1]
    assert (e.querier_role, e.querier_user, e.querier_unit, e.purpose) == (
        "relying_party",
        "loan-officer",
        BANK,
        "bank_loan",
    )
    assert (e.authorization_id, e.proof, e.authorizer) == (found.id, "授权书 ZS-7", "subject:zhangsan")
    assert got[0].object_id == town.person_record
    assert e.retain_until == rules.retain_until(chinatime.day_of(e.occurred_at))  # made now, not on TODAY


def test_the_publics_free_queries_and_the_subjects_own_look_are_not_logged(town: Town) -> None:
    check(town).profile(Actor.public(), town.company)
    check(town).profile(subject_actor(town), town.person)
    assert entries(town) == []
    staff = Actor(role=Role.AUDITOR, user="audit-1").with_purpose(Purpose.ADMINISTRATION)
    check(town).profile(staff, town.person)  # platform staff: a non-public read, logged
    assert [(e.querier_role, e.purpose) for e in entries(town)] == [("auditor", "administration")]


def test_a_refused_read_is_not_logged_as_a_read(town: Town) -> None:
    with pytest.raises(NotPermitted):
        check(town).profile(bank_actor(), town.person)
    assert entries(town) == []


def test_a_subject_sees_only_its_own_query_log(town: Town) -> None:
    other = Actor(role=Role.SUBJECT, user="lisi", subject_id=town.company)
    with pytest.raises(NotPermitted) as exc:
        querylog.for_subject(town.platform.store, other, town.person)
    assert exc.value.rule == "querylog.own_only"
    with pytest.raises(NotPermitted):
        querylog.for_subject(town.platform.store, bank_actor(), town.person)


def test_every_entry_is_an_event_of_the_tamper_evident_log(town: Town, tmp_path: Path) -> None:
    authorize(town)
    check(town).profile(bank_actor(), town.person)
    [entry] = entries(town)
    store = town.platform.store
    with store.read() as conn:
        seq = conn.execute(select(query_log.c.event_seq).where(query_log.c.id == entry.id)).scalar_one()
        ev = conn.execute(select(events).where(events.c.seq == seq)).one()
    assert (ev.action, ev.subject_id, ev.actor_unit, ev.purpose) == (
        "query:profile",
        town.person,
        BANK,
        "bank_loan",
    )
    ring = KeyStore(tmp_path / "keys").key_ring()
    assert log.verify(store, ring).ok
    with store.write() as conn:  # someone erases the trace of the query from the events
        conn.execute(delete(events).where(events.c.seq == seq))
    report = log.verify(store, ring)
    assert not report.ok and seq in report.seqs("deleted")


def test_entries_are_kept_five_years_and_only_then_purged(town: Town) -> None:
    authorize(town)
    check(town).profile(bank_actor(), town.person)
    check(town).record(bank_actor(), town.person_record)
    first, second = entries(town)
    with town.platform.store.write() as conn:  # the older entry was made five years and a day ago
        conn.execute(
            update(query_log)
            .where(query_log.c.id == second.id)
            .values(retain_until=TODAY - timedelta(days=1))
        )
    with pytest.raises(NotPermitted):
        querylog.purge(town.platform.store, bank_actor(), TODAY)
    assert querylog.purge(town.platform.store, OPERATOR, TODAY + timedelta(days=365)) == 1
    assert [e.id for e in entries(town)] == [first.id]
    with town.platform.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(query_log)).scalar_one() == 1


def test_retention_is_at_least_five_years_even_from_a_leap_day() -> None:
    assert rules.retain_until(date(2028, 2, 29)) == date(2033, 3, 1)
    assert rules.retain_until(date(2026, 11, 28)) == date(2031, 11, 28)


def test_a_read_late_in_the_utc_day_is_kept_five_years_from_china_s_next_day(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 20:00 UTC it is 04:00 the next day in China, where the purge counts its days."""
    monkeypatch.setattr(querylog.events, "now", lambda: datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    querylog.record(town.platform.store, bank_actor(), town.person, "profile")
    assert [e.retain_until for e in entries(town)] == [date(2031, 11, 29)]


def test_retention_counts_from_the_query_s_day_in_china() -> None:
    """A query at 20:00 UTC is made on the next day in China, where the purge counts its days: its
    retention starts from that day, not from the UTC date (a day short of five years)."""
    late = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    assert chinatime.day_of(late) == date(2026, 11, 29)
    assert chinatime.day_of(late.replace(tzinfo=None)) == date(2026, 11, 29)  # SQLite's naive UTC
    assert chinatime.day_of(datetime(2026, 11, 28, 15, 59, tzinfo=UTC)) == date(2026, 11, 28)
    assert rules.retain_until(chinatime.day_of(late)) == date(2031, 11, 29)


# --- the subject's view over HTTP ------------------------------------------------------------------
@pytest.fixture
def client(town: Town) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=town.platform)) as c:
        yield c


def test_who_looked_at_my_file_through_the_api_and_the_download_is_logged(
    town: Town, client: TestClient
) -> None:
    authorize(town)
    bank = {
        "x-api-key": account_key(town.platform, "officer", Role.RELYING_PARTY, BANK),
        "x-purpose": "bank_loan",
    }
    me = {"x-api-key": account_key(town.platform, "zhangsan", Role.SUBJECT, subject_id=town.person)}
    assert client.get(f"/api/v1/subjects/{town.person}", headers=bank).status_code == 200
    body = client.get("/api/v1/me/queries", headers=me).json()
    assert body["count"] == 1
    assert body["queries"][0]["querier_unit"] == BANK and body["queries"][0]["purpose"] == "bank_loan"
    data = client.get("/api/v1/me/export", headers=me).json()
    assert data["file"]["subject_id"] == town.person and len(data["queries"]) == 1
    assert data["authorizations"][0]["grantee"] == BANK
    kinds = [q["kind"] for q in client.get("/api/v1/me/queries", headers=me).json()["queries"]]
    assert kinds == ["export", "profile"]  # the download of personal data is itself logged
    staff = {"x-api-key": account_key(town.platform, "auditor", Role.AUDITOR)}
    assert client.get(f"/api/v1/querylog/{town.person}", headers=staff).json()["count"] == 2
    assert client.get(f"/api/v1/querylog/{town.person}", headers=bank).status_code == 403
