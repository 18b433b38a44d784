from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ingest_helpers import HOUSING, HUAWEI, PERSON_ID, TENCENT, penalty, person_penalty, write_csv
from sqlalchemy import select

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.errors import NotFound, NotPermitted
from xinyong.services import ingest
from xinyong.services.check import Check
from xinyong.services.platform import Platform
from xinyong.store.tables import subjects

TODAY = date(2026, 11, 28)


@pytest.fixture
def city(platform: Platform, tmp_path: Path) -> Platform:
    """Huawei with a current and an expired penalty, Tencent with one penalty, a person with a warning."""
    platform.settings = dataclasses.replace(platform.settings, today=TODAY.isoformat())
    rows = [
        penalty(1, CF_JDRQ="2026-06-01", CF_YXQ="2026-12-01", CF_FR_ZJLX="身份证", CF_FR_ZJHM=PERSON_ID),
        penalty(2, CF_JDRQ="2020-01-10", CF_YXQ="2020-06-01"),
        penalty(
            3,
            CF_XDR_MC="腾讯科技（深圳）有限公司",
            CF_XDR_SHXYM=TENCENT,
            CF_JDRQ="2026-09-01",
            CF_YXQ="2027-01-01",
        ),
        person_penalty(
            4, CF_JDRQ="2026-05-01", CF_YXQ="2026-11-01", CF_CFLB="罚款", CF_NR="罚款一万元", CF_NR_FK="1"
        ),
        person_penalty(
            5, CF_XDR_MC="李四", CF_XDR_ZJHM="440524188001010014", CF_JDRQ="2026-05-01", CF_YXQ="2026-11-01"
        ),
    ]
    path = write_csv(tmp_path / "p.csv", platform.catalog, rows)
    report = ingest.ingest_file(
        platform.store, platform.catalog, path, HOUSING, Actor.system(), ingest.IngestOptions(today=TODAY)
    )
    assert report.status == "accepted", report.problems
    return platform


def subject_id(platform: Platform, value: str) -> str:
    with platform.store.read() as conn:
        return str(conn.execute(select(subjects.c.id).where(subjects.c.id_value == value)).scalar_one())


def check(platform: Platform, lang: str = "zh") -> Check:
    return Check(platform.store, platform.catalog, lang, TODAY)


def test_two_character_fragment_finds_the_company(city: Platform) -> None:
    result = check(city).search(Actor.public(), "腾讯")
    assert [h["name"] for h in result.hits] == ["腾讯科技（深圳）有限公司"]
    assert result.hits[0]["identifier"] == TENCENT


def test_search_by_uscc_and_organisation_code(city: Platform) -> None:
    assert check(city).search(Actor.public(), HUAWEI).hits[0]["name"] == "华为技术有限公司"
    assert check(city).search(Actor.public(), "19220382-1").hits[0]["identifier"] == HUAWEI


def test_public_search_excludes_persons_and_id_numbers(city: Platform) -> None:
    assert check(city).search(Actor.public(), "张三").hits == []
    with pytest.raises(NotPermitted) as exc:
        check(city).search(Actor.public(), PERSON_ID)
    assert exc.value.rule == "check.id_search_not_permitted"
    operator = check(city).search(Actor.operator("op"), PERSON_ID)
    assert operator.hits and operator.hits[0]["name"] == "张*"
    me = Actor(role=Role.SUBJECT, subject_id=subject_id(city, PERSON_ID))
    assert len(check(city).search(me, PERSON_ID).hits) == 1
    someone_else = Actor(role=Role.SUBJECT, subject_id=subject_id(city, HUAWEI))
    assert check(city).search(someone_else, PERSON_ID).hits == []
    bank = Actor(role=Role.RELYING_PARTY, unit="bank")
    assert check(city).search(bank, PERSON_ID).hits == []


def test_public_profile_shows_current_penalty_with_basis_and_period(city: Platform) -> None:
    prof = check(city).profile(Actor.public(), subject_id(city, HUAWEI))
    records = [r for _, views in prof.groups for r in views]
    assert [r.document_number for r in records] == ["深建罚〔2025〕1号"]  # the 2020 penalty has expired
    r = records[0]
    assert r.legal_basis and "行政处罚法" in r.legal_basis[0]
    assert r.publicity_ends is not None and r.publicity_ends > TODAY
    assert r.earliest_repair is not None
    assert prof.hidden == [] and prof.hidden_count == 0


def test_the_subject_sees_what_others_do_not(city: Platform) -> None:
    sid = subject_id(city, HUAWEI)
    me = Actor(role=Role.SUBJECT, subject_id=sid, user="huawei-agent")
    prof = check(city).profile(me, sid)
    assert prof.hidden_count == 1
    assert prof.hidden[0].document_number == "深建罚〔2025〕2号" and prof.hidden[0].reason_text


def test_legal_representative_id_is_masked_in_public_record(city: Platform) -> None:
    sid = subject_id(city, HUAWEI)
    rid = next(r for _, v in check(city).profile(Actor.public(), sid).groups for r in v).id
    fields = {code: value for code, _, value in check(city).record(Actor.public(), rid).fields}
    assert fields["CF_FR_ZJHM"] != PERSON_ID and "****" in fields["CF_FR_ZJHM"]


def test_person_with_public_record_is_de_identified(city: Platform) -> None:
    sid = subject_id(city, PERSON_ID)
    prof = check(city).profile(Actor.public(), sid)
    assert prof.name == "张*" and PERSON_ID not in prof.identifier and "****" in prof.identifier
    shown = [r for _, v in prof.groups for r in v]
    assert [r.document_number for r in shown] == ["深建罚〔2025〕4号"]
    fields = {code: value for code, _, value in check(city).record(Actor.public(), shown[0].id).fields}
    assert fields["CF_XDR_MC"] == "张*" and PERSON_ID not in fields["CF_XDR_ZJHM"]


def test_person_with_only_a_minor_warning_is_invisible_to_the_public(city: Platform) -> None:
    # NDRC Order 36: minor information is not published in principle
    sid = subject_id(city, "440524188001010014")
    with pytest.raises(NotFound):
        check(city).profile(Actor.public(), sid)
    me = Actor(role=Role.SUBJECT, subject_id=sid)
    assert check(city).profile(me, sid).hidden_count == 1


def test_expired_record_is_not_found_by_the_public(city: Platform) -> None:
    sid = subject_id(city, HUAWEI)
    me = Actor(role=Role.SUBJECT, subject_id=sid)
    hidden_id = check(city).profile(me, sid).hidden[0].id
    with pytest.raises(NotFound):
        check(city).record(Actor.public(), hidden_id)
    assert check(city).record(me, hidden_id).reason == "publicity_ended"


@pytest.fixture
def client(city: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=city)) as c:
        yield c


def test_portal_search_profile_and_record_pages(client: TestClient, city: Platform) -> None:
    page = client.get("/search", params={"q": "华为"})
    assert page.status_code == 200 and "华为技术有限公司" in page.text
    sid = subject_id(city, HUAWEI)
    assert f"/subjects/{sid}" in page.text
    prof = client.get(f"/subjects/{sid}")
    assert prof.status_code == 200 and "行政处罚信息" in prof.text and "如何阅读本页" in prof.text
    assert "公示截至" in prof.text and "深建罚〔2025〕2号" not in prof.text
    en = client.get(f"/subjects/{sid}?lang=en")
    assert "How to read this page" in en.text and "Public until" in en.text


def test_api_search_and_profile(client: TestClient, city: Platform) -> None:
    body = client.get("/api/v1/search", params={"q": "腾讯"}).json()
    assert body["total"] == 1 and body["hits"][0]["identifier"] == TENCENT
    sid = body["hits"][0]["subject_id"]
    prof = client.get(f"/api/v1/subjects/{sid}").json()
    assert prof["name"] == "腾讯科技（深圳）有限公司" and prof["groups"]
    assert client.get("/api/v1/search", params={"q": " "}).json()["error"]["rule"] == "check.query_empty"
    assert client.get("/api/v1/subjects/nope").status_code == 404


def test_rate_limit_answers_429_with_retry_after(city: Platform) -> None:
    city.settings = dataclasses.replace(city.settings, rate_limit_per_minute=2, rate_limit_burst=2)
    with TestClient(create_app(platform_obj=city)) as c:
        codes = [c.get("/api/v1/search", params={"q": "华为"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = c.get("/search", params={"q": "华为"}, headers={"accept": "text/html"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert c.get("/api/v1/search", params={"q": "华为"}).json()["error"]["code"] == "rate_limited"


def test_operator_sees_who_hits_the_limits(city: Platform) -> None:
    city.settings = dataclasses.replace(
        city.settings, rate_limit_per_minute=1, rate_limit_burst=1, operator_token="tok"
    )
    with TestClient(create_app(platform_obj=city)) as c:
        c.get("/api/v1/search", params={"q": "华为"})
        c.get("/api/v1/search", params={"q": "华为"})
        page = c.get("/operator/limits", headers={"x-operator-token": "tok"})
        assert page.status_code == 200 and "testclient" in page.text
        assert c.get("/operator/limits", headers={"accept": "text/html"}).status_code == 403
