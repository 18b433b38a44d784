"""The subject's authorization (授权): a third party reads an individual's non-public information only
with a current authorization covering its purpose, and never without one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from access_helpers import BANK, OPERATOR, TODAY, Town, account_key, bank_actor, make_town, subject_actor
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xinyong.api.app import create_app
from xinyong.audit import log
from xinyong.audit.keys import KeyStore
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.errors import InvalidInput, NotPermitted
from xinyong.services import authorizations
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.store.tables import authorizations as authorizations_table
from xinyong.store.tables import events


@pytest.fixture
def town(platform: Platform, tmp_path: Path) -> Town:
    return make_town(platform, tmp_path)


def check(town: Town) -> Check:
    return Check(town.platform.store, town.platform.catalog, "zh", TODAY)


def grant(town: Town, **over: object) -> authorizations.Authorization:
    args: dict[str, object] = {
        "subject_id": town.person,
        "grantee": BANK,
        "purpose": "bank_loan",
        "scope": ["*"],
        "expires_on": TODAY + timedelta(days=30),
        "proof": "授权书 ZS-2026-0001",
        "today": TODAY,
    }
    args.update(over)
    return authorizations.grant(
        town.platform.store,
        town.platform.catalog,
        subject_actor(town),
        **args,  # type: ignore[arg-type]  # the keyword arguments of grant
    )


def refused_rule(town: Town, actor: Actor, today: date = TODAY) -> str:
    with pytest.raises(NotPermitted) as exc:
        Check(town.platform.store, town.platform.catalog, "zh", today).profile(actor, town.person)
    return exc.value.rule or ""


def test_a_third_party_cannot_read_a_person_without_an_authorization_and_can_with_one(town: Town) -> None:
    assert refused_rule(town, bank_actor()) == "authorization.required"
    with pytest.raises(NotPermitted):
        check(town).record(bank_actor(), town.person_record)
    grant(town)
    profile = check(town).profile(bank_actor(), town.person)
    views = [v for _, group in profile.groups for v in group]
    assert [v.id for v in views] == [town.person_record]
    assert views[0].visibility == "shown" and views[0].reason == "authorized_query"  # unmasked, by consent
    assert profile.name == "张三"  # the public sees 张*
    assert check(town).record(bank_actor(), town.person_record).reason == "authorized_query"


def test_the_authorization_covers_only_its_grantee_purpose_and_period(town: Town) -> None:
    grant(town, expires_on=TODAY + timedelta(days=10))
    assert refused_rule(town, bank_actor(Purpose.EMPLOYMENT)) == "authorization.required"
    assert refused_rule(town, bank_actor(unit="bank_other")) == "authorization.required"
    assert refused_rule(town, bank_actor(None)) == "permission.purpose_required"
    assert refused_rule(town, bank_actor(), TODAY + timedelta(days=11)) == "authorization.required"
    assert refused_rule(town, bank_actor(), TODAY - timedelta(days=1)) == "authorization.required"
    check(town).profile(bank_actor(), town.person)  # within the period, for its purpose: allowed


def test_a_withdrawn_authorization_covers_nothing(town: Town) -> None:
    found = grant(town)
    check(town).profile(bank_actor(), town.person)
    withdrawn = authorizations.revoke(town.platform.store, subject_actor(town), found.id)
    assert withdrawn.revoked
    assert refused_rule(town, bank_actor()) == "authorization.required"


def test_a_scope_limited_to_other_items_opens_nothing_more(town: Town) -> None:
    grant(town, scope=["administrative_licensing"])
    profile = check(town).profile(bank_actor(), town.person)
    views = [v for _, group in profile.groups for v in group]
    assert all(v.reason != "authorized_query" for v in views)


def test_bad_authorizations_are_refused_with_every_problem_and_nothing_stored(town: Town) -> None:
    with pytest.raises(InvalidInput) as exc:
        grant(
            town,
            grantee=" ",
            purpose="gossip",
            scope=["no_such_item"],
            expires_on=TODAY - timedelta(1),
            proof="",
        )
    rules = {p.rule for p in exc.value.problems}
    assert rules == {
        "authorization.grantee",
        "authorization.purpose",
        "authorization.scope",
        "authorization.expiry",
        "authorization.proof",
    }
    with town.platform.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(authorizations_table)).scalar_one() == 0


def test_a_subject_authorizes_only_for_itself(town: Town) -> None:
    other = Actor(role=Role.SUBJECT, user="lisi", subject_id=town.company)
    with pytest.raises(NotPermitted) as exc:
        authorizations.grant(
            town.platform.store,
            town.platform.catalog,
            other,
            subject_id=town.person,
            grantee=BANK,
            purpose="bank_loan",
            scope=["*"],
            expires_on=TODAY + timedelta(days=3),
            proof="x",
            today=TODAY,
        )
    assert exc.value.rule == "authorization.own_only"
    with pytest.raises(NotPermitted):
        grant_by_bank = bank_actor()
        authorizations.grant(
            town.platform.store,
            town.platform.catalog,
            grant_by_bank,
            subject_id=town.person,
            grantee=BANK,
            purpose="bank_loan",
            scope=["*"],
            expires_on=TODAY + timedelta(days=3),
            proof="x",
            today=TODAY,
        )


def test_grants_and_withdrawals_are_in_the_tamper_evident_log(town: Town, tmp_path: Path) -> None:
    found = grant(town)
    authorizations.revoke(town.platform.store, OPERATOR, found.id)
    with town.platform.store.read() as conn:
        actions = [
            r.action
            for r in conn.execute(
                select(events.c.action).where(events.c.object_id == found.id).order_by(events.c.seq)
            )
        ]
    assert actions == ["authorization:grant", "authorization:revoke"]
    assert log.verify(town.platform.store, KeyStore(tmp_path / "keys").key_ring()).ok


def test_an_organisation_file_read_by_a_third_party_needs_no_authorization(town: Town) -> None:
    profile = check(town).profile(bank_actor(), town.company)
    assert profile.groups  # the company's public information


# --- over HTTP ------------------------------------------------------------------------------------
@pytest.fixture
def client(town: Town) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=town.platform)) as c:
        yield c


def test_over_the_api_a_bank_needs_the_subjects_authorization(town: Town, client: TestClient) -> None:
    bank = {"authorization": "Bearer " + account_key(town.platform, "officer", Role.RELYING_PARTY, BANK)}
    me = {"x-api-key": account_key(town.platform, "zhangsan", Role.SUBJECT, subject_id=town.person)}
    url = f"/api/v1/subjects/{town.person}"
    r = client.get(url, headers={**bank, "x-purpose": "bank_loan"})
    assert r.status_code == 403 and r.json()["error"]["rule"] == "authorization.required"
    assert client.get(url, headers={**bank, "x-purpose": "gossip"}).status_code == 422
    r = client.get(url, headers={**bank, "x-purpose": "employment"})  # not among the bank's declared purposes
    assert r.status_code == 403 and r.json()["error"]["rule"] == "purpose.not_declared"
    body = {
        "grantee": BANK,
        "purpose": "bank_loan",
        "expires_on": str(TODAY + timedelta(days=5)),
        "proof": "e-sign 42",
    }
    r = client.post("/api/v1/me/authorizations", json=body, headers=me)
    assert r.status_code == 200, r.text
    auth_id = r.json()["id"]
    held = client.get("/api/v1/me/authorizations/held", headers=bank).json()
    assert [a["subject_id"] for a in held["authorizations"]] == [town.person]
    r = client.get(url, headers={**bank, "x-purpose": "bank_loan"})
    assert r.status_code == 200 and r.json()["name"] == "张三"
    assert client.delete(f"/api/v1/me/authorizations/{auth_id}", headers=me).json()["revoked"] is True
    assert client.get(url, headers={**bank, "x-purpose": "bank_loan"}).status_code == 403
