"""The lists API: due-process steps by the deciding unit's key, errors in the one JSON shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from lists_helpers import ADULT, COMPANY, D0, resident_id

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.services import units
from xinyong.services.platform import Platform
from xinyong.settings import Settings


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    platform.settings = Settings(data_dir=platform.settings.data_dir, today=D0.isoformat(), jobs_interval_s=0)
    with TestClient(create_app(platform_obj=platform)) as c:
        yield c


def _key(platform: Platform, unit: str) -> dict[str, str]:
    return {"X-Api-Key": units.issue_key(platform.store, Actor.operator("op"), unit)}


def test_court_workflow_over_http(platform: Platform, client: TestClient) -> None:
    court = _key(platform, "sz_court")
    made = client.post(
        "/api/v1/lists/entries",
        headers=court,
        json={
            "list_type": "court_dishonest_debtor",
            "identifier": COMPANY,
            "ground": "refuses_settlement",
            "basis_document": "(2025)粤0304民初1号",
            "facts": "拒不履行和解协议",
            "subject_name": "某公司",
        },
    )
    assert made.status_code == 201
    entry_id = made.json()["id"]
    rep = resident_id(date(1970, 2, 2))
    decided = client.post(
        f"/api/v1/lists/entries/{entry_id}/decide",
        headers=court,
        json={
            "decision_document": "(2026)粤0304执1号",
            "named_persons": [{"role": "actual_controller", "id_number": rep, "name": "钱实控"}],
        },
    )
    assert decided.json()["state"] == "decided" and decided.json()["ends_on"] == "2028-03-02"
    assert (
        client.post(f"/api/v1/lists/entries/{entry_id}/publish", headers=court).json()["state"] == "published"
    )
    again = client.post(f"/api/v1/lists/entries/{entry_id}/publish", headers=court)
    assert again.status_code == 409 and again.json()["error"]["rule"] == "lists.transition.publish"
    shown = client.get(f"/api/v1/lists/entries/{entry_id}", headers=court).json()
    assert [h["action"] for h in shown["history"]] == ["propose", "decide", "publish"]
    samr = _key(platform, "sz_samr")
    assert client.get(f"/api/v1/lists/entries/{entry_id}", headers=samr).status_code == 403
    removed = client.post(
        f"/api/v1/lists/entries/{entry_id}/remove",
        headers=samr,
        json={"reason": "performed", "document": "x"},
    )
    assert removed.status_code == 403 and removed.json()["error"]["rule"] == "lists.not_deciding_unit"
    anonymous = client.post("/api/v1/lists/entries", json={})
    assert anonymous.status_code == 403 and anonymous.json()["error"]["rule"] == "auth.key_required"


def test_refusal_is_one_json_shape_naming_every_problem(platform: Platform, client: TestClient) -> None:
    tax = _key(platform, "sz_tax")
    got = client.post(
        "/api/v1/lists/entries",
        headers=tax,
        json={
            "list_type": "court_dishonest_debtor",
            "identifier": ADULT,
            "ground": "owes",
            "basis_document": "",
            "facts": "x",
            "subject_name": "张三",
        },
    )
    assert got.status_code == 422
    rules = {p["rule"] for p in got.json()["error"]["problems"]}
    assert rules == {"lists.unit_without_power", "lists.outside_criteria", "lists.no_effective_document"}


def test_court_file_upload(platform: Platform, client: TestClient) -> None:
    court = _key(platform, "sz_court")
    record = {
        "iname": "赵六",
        "caseCode": "(2026)粤0304执7号",
        "cardNum": ADULT,
        "gistId": "(2025)粤0304民初9号",
        "regDate": "20260105",
        "duty": "支付货款",
        "disruptTypeName": "违反限制消费令",
        "publishDate": "2026-02-10",
        "courtName": "福田区人民法院",
    }
    files = {"file": ("shixin.json", json.dumps([record], ensure_ascii=False).encode())}
    got = client.post("/api/v1/lists/court-import", headers=court, files=files)
    assert got.json() == {"imported": 1, "already": 0}
    page = client.get("/api/v1/lists/court_dishonest_debtor/entries").json()
    assert page["total"] == 1 and page["entries"][0]["decision_document"] == "(2026)粤0304执7号"
    types = client.get("/api/v1/lists").json()
    assert {t["code"] for t in types} >= {"court_dishonest_debtor", "samr_serious_illegal"}
