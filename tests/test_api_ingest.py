from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_helpers import form_token
from fastapi.testclient import TestClient
from ingest_helpers import HOUSING, penalty, write_csv

from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.services import units
from xinyong.services.platform import Platform

TOKEN = "op-secret-token"


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    platform.settings = dataclasses.replace(platform.settings, operator_token=TOKEN)
    with TestClient(create_app(platform_obj=platform)) as c:
        yield c


@pytest.fixture
def key(platform: Platform) -> str:
    return units.issue_key(platform.store, Actor.operator("test"), HOUSING)


def test_upload_needs_a_unit_key(client: TestClient, platform: Platform, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)])
    r = client.post("/api/v1/batches", files={"file": ("p.csv", path.read_bytes())})
    assert r.status_code == 403 and r.json()["error"]["rule"] == "auth.key_required"
    r = client.post(
        "/api/v1/batches", files={"file": ("p.csv", path.read_bytes())}, headers={"x-api-key": "nope"}
    )
    assert r.status_code == 403 and r.json()["error"]["rule"] == "auth.key_invalid"


def test_upload_ingests_for_the_keys_unit(
    client: TestClient, platform: Platform, key: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1), penalty(2)])
    r = client.post(
        "/api/v1/batches", files={"file": ("p.csv", path.read_bytes())}, headers={"x-api-key": key}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "accepted" and body["added"] == 2 and body["unit"] == HOUSING


def test_rejected_upload_report_as_json_and_csv(
    client: TestClient, platform: Platform, key: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1, CF_XDR_LB="外星人")])
    body = client.post(
        "/api/v1/batches", files={"file": ("p.csv", path.read_bytes())}, headers={"x-api-key": key}
    ).json()
    assert body["status"] == "rejected"
    assert body["problem_list"][0]["rule"] == "field.enum" and body["problem_list"][0]["where"]["row"] == 2
    detail = client.get(f"/api/v1/batches/{body['batch']}", headers={"x-api-key": key}).json()
    assert detail["status"] == "rejected" and detail["report"]["problem_list"]
    csv = client.get(f"/api/v1/batches/{body['batch']}/report.csv", headers={"x-api-key": key})
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert "field.enum" in csv.content.decode("utf-8-sig")


def test_units_see_only_their_own_batches(
    client: TestClient, platform: Platform, key: str, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1)])
    body = client.post(
        "/api/v1/batches", files={"file": ("p.csv", path.read_bytes())}, headers={"x-api-key": key}
    ).json()
    other = units.issue_key(platform.store, Actor.operator("test"), "sz_tax")
    assert client.get(f"/api/v1/batches/{body['batch']}", headers={"x-api-key": other}).status_code == 404
    listed = client.get("/api/v1/batches", headers={"x-api-key": other}).json()
    assert all(b["unit_code"] == "sz_tax" for b in listed["batches"])
    assert client.get("/api/v1/batches", headers={"x-operator-token": TOKEN}).json()["count"] >= 1


def test_push_json_records(client: TestClient, key: str) -> None:
    r = client.post("/api/v1/push", json={"records": [penalty(1), penalty(2)]}, headers={"x-api-key": key})
    assert r.status_code == 200 and r.json()["added"] == 2
    again = client.post("/api/v1/push", json={"records": [penalty(1)]}, headers={"x-api-key": key}).json()
    assert again["added"] == 0 and again["duplicates"] == 1


def test_push_body_errors_use_the_error_shape(client: TestClient, key: str) -> None:
    r = client.post("/api/v1/push", json={"rows": []}, headers={"x-api-key": key})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_input" and err["problems"][0]["where"]["location"].endswith("records")


def test_operator_pages_need_the_token(
    client: TestClient, platform: Platform, key: str, tmp_path: Path
) -> None:
    assert client.get("/operator/batches", headers={"accept": "text/html"}).status_code == 403
    token = form_token(client, "/operator")  # every portal form carries its CSRF token
    assert client.post("/operator/login", data={"token": "wrong", "csrf_token": token}).status_code == 403
    path = write_csv(tmp_path / "p.csv", platform.catalog, [penalty(1, CF_XDR_LB="<b>x</b>")])
    body = client.post(
        "/api/v1/batches", files={"file": ("p.csv", path.read_bytes())}, headers={"x-api-key": key}
    ).json()
    r = client.post("/operator/login", data={"token": TOKEN, "csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "p.csv" in r.text and "数据归集批次" in r.text
    page = client.get(f"/operator/batches/{body['batch']}")
    assert page.status_code == 200 and "field.enum" in page.text
    assert "<b>x</b>" not in page.text and "&lt;b&gt;x&lt;/b&gt;" in page.text
