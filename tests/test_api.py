from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from xinyong.api.app import create_app
from xinyong.services.platform import Platform


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=platform)) as c:
        yield c


def test_healthz_reports_store_and_catalog(client: TestClient, platform: Platform) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["catalog_version"] == platform.catalog.version
    assert body["database"] in ("sqlite", "postgresql")


def test_catalog_api_lists_items_with_legal_basis(client: TestClient, platform: Platform) -> None:
    body = client.get("/api/v1/catalog").json()
    assert body["count"] == len(platform.catalog.items) >= 12
    for item in body["items"]:
        assert item["legal_basis"], item["code"]
        assert item["legal_basis"][0]["instrument"]


def test_catalog_item_api(client: TestClient) -> None:
    body = client.get("/api/v1/catalog/items/administrative_penalty").json()
    assert body["code"] == "administrative_penalty" and body["schema"] == "administrative_penalty"


def test_unknown_item_gets_the_one_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/catalog/items/nope")
    assert r.status_code == 404
    err = r.json()["error"]
    assert set(err) >= {"code", "message", "problems"}
    assert err["code"] == "not_found" and "nope" in err["message"] and err["rule"] == "catalog.item"


def test_unknown_route_gets_the_one_error_shape(client: TestClient) -> None:
    r = client.get("/api/v1/does-not-exist")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_units_api_names_what_each_unit_may_supply(client: TestClient) -> None:
    units = {u["code"]: u for u in client.get("/api/v1/catalog/units").json()["units"]}
    assert len(units) >= 20
    assert "market_regulation_penalty" in units["sz_samr"]["items"]


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/catalog" in spec["paths"] and "/healthz" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_home_page_is_chinese_first_with_english_switch(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text and "一键查询" in r.text
    assert "lang=en" in r.text
    en = client.get("/?lang=en")
    assert 'lang="en"' in en.text and "One-click check" in en.text
    # the choice sticks through a cookie
    assert 'lang="en"' in client.get("/").text


def test_catalog_page_shows_items_basis_and_disclosure(client: TestClient, platform: Platform) -> None:
    r = client.get("/catalog?lang=zh")
    assert r.status_code == 200
    item = platform.catalog.items["administrative_penalty"]
    assert item.name_zh in r.text
    assert item.legal_basis[0].instrument in r.text
    assert "社会公开" in r.text  # disclosure attribute, in Chinese
    assert r.text.count("<tr id=") == len(platform.catalog.items)


def test_catalog_item_page_lists_fields(client: TestClient) -> None:
    r = client.get("/catalog/administrative_penalty?lang=zh")
    assert r.status_code == 200 and "CF_WSH" in r.text and "行政处罚决定书文号" in r.text


def test_unknown_catalog_page_is_an_html_error(client: TestClient) -> None:
    r = client.get("/catalog/nope", headers={"accept": "text/html"})
    assert r.status_code == 404 and "目录中没有信息项" in r.text


def test_text_from_data_is_escaped(client: TestClient) -> None:
    r = client.get("/catalog/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"accept": "text/html"})
    assert r.status_code == 404
    assert "<script>alert(1)</script>" not in r.text
