"""Credit reports over HTTP: the API, the portal pages and the operator dashboard."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from access_helpers import form_token
from fastapi.testclient import TestClient
from ingest_helpers import HUAWEI, PERSON_ID
from sqlalchemy import func, select
from test_reports import city, sid  # noqa: F401  (the city fixture)

from xinyong.api import deps
from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.services.platform import Platform
from xinyong.store.tables import reports


@pytest.fixture
def client(city: Platform) -> Iterator[TestClient]:  # noqa: F811
    city.settings = dataclasses.replace(city.settings, operator_token="tok")
    with TestClient(create_app(platform_obj=city)) as c:
        yield c


def test_api_request_download_and_verify(client: TestClient, city: Platform) -> None:  # noqa: F811
    huawei = sid(city, HUAWEI)
    made = client.post("/api/v1/reports", json={"subject_id": huawei, "purpose": "bank_loan"})
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["content"]["subject"]["name"] == "华为技术有限公司"
    pdf = client.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    by_number = client.get(f"/api/v1/reports/{body['number']}").json()
    assert by_number["genuine"] and by_number["current"] and by_number["issued_at"] == body["issued_at"]
    upload = client.post("/api/v1/reports/verify", files={"file": ("r.pdf", pdf.content, "application/pdf")})
    assert upload.json()["genuine"] is True
    bad = bytearray(pdf.content)
    bad[100] ^= 1
    upload = client.post("/api/v1/reports/verify", files={"file": ("r.pdf", bytes(bad), "application/pdf")})
    assert upload.json()["genuine"] is False and upload.json()["code"] == "modified"
    keys = client.get("/.well-known/xinyong-keys.json").json()
    assert body["key_id"] in {k["key_id"] for k in keys["keys"]}


def test_api_errors_have_the_one_shape_and_change_nothing(client: TestClient, city: Platform) -> None:  # noqa: F811
    def stored() -> int:
        with city.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(reports)).scalar_one())

    bad = client.post("/api/v1/reports", json={"subject_id": sid(city, HUAWEI), "purpose": "curiosity"})
    assert bad.status_code == 422 and bad.json()["error"]["rule"] == "reports.purpose"
    person = client.post("/api/v1/reports", json={"subject_id": sid(city, PERSON_ID), "purpose": "bank_loan"})
    assert person.status_code == 403
    assert person.json()["error"]["rule"] == "reports.personal_authorization_required"
    assert client.get("/api/v1/reports/XY20990101-NOSUCHONE1.pdf").status_code == 404
    assert stored() == 0


def test_personal_report_for_the_individual_through_the_actor_dependency(
    client: TestClient,
    city: Platform,  # noqa: F811
) -> None:
    person = sid(city, PERSON_ID)
    client.app.dependency_overrides[deps.actor] = lambda: Actor(role=Role.SUBJECT, subject_id=person)  # type: ignore[attr-defined]
    made = client.post("/api/v1/reports", json={"subject_id": person, "purpose": "bank_loan"})
    assert made.status_code == 200 and made.json()["content"]["personal"] is True
    assert client.get(made.json()["pdf_url"]).status_code == 200
    client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert client.get(made.json()["pdf_url"]).status_code == 403
    verified = client.get(f"/api/v1/reports/{made.json()['number']}").json()
    assert verified["genuine"] and verified["subject_name"] == "张*"  # masked to whoever holds the number


def test_portal_request_view_and_verify_pages(client: TestClient, city: Platform) -> None:  # noqa: F811
    huawei = sid(city, HUAWEI)
    form = client.get(f"/reports/request?subject_id={huawei}")
    assert form.status_code == 200 and "报告用途" in form.text and "尽职调查" in form.text
    token = form_token(client, f"/reports/request?subject_id={huawei}")
    data = {"subject_id": huawei, "purpose": "bidding", "csrf_token": token}
    page = client.post("/reports/request", data=data)
    assert page.status_code == 200 and "公共信用信息报告" in page.text and "深建罚〔2025〕1号" in page.text
    assert "深建罚〔2025〕2号" not in page.text  # the expired penalty
    found = re.search(r'href="/reports/(XY[0-9]{8}-[A-Z0-9]{10})\.pdf"', page.text)
    assert found is not None
    number = found.group(1)
    verify = client.get(f"/reports/verify?number={number}")
    assert "报告真实有效，内容仍为最新" in verify.text
    english = client.get(f"/reports/verify?number={number}&lang=en")
    assert "genuine, and its content is still current" in english.text
    pdf = client.get(f"/reports/{number}.pdf").content
    upload = client.post(
        "/reports/verify?lang=zh",
        files={"file": ("r.pdf", pdf[:-30], "application/pdf")},
        data={"csrf_token": form_token(client, "/reports/verify")},
    )
    assert "没有本平台的报告签名" in upload.text or "签名信息格式错误" in upload.text
    missing = client.post("/reports/request?lang=zh", data={"subject_id": huawei, "csrf_token": token})
    assert missing.status_code == 422 and "请选择报告用途" in missing.text


def test_operator_dashboard_charts_and_csv(client: TestClient, city: Platform) -> None:  # noqa: F811
    huawei = sid(city, HUAWEI)
    numbers = [
        client.post("/api/v1/reports", json={"subject_id": huawei, "purpose": purpose}).json()["number"]
        for purpose in ("due_diligence", "due_diligence", "bidding")
    ]
    months = {f"{n[2:6]}-{n[6:8]}" for n in numbers}  # issued now: the month in China its number says
    assert len(months) == 1  # (not across a month's end)
    month = months.pop()
    assert client.get("/operator/reports").status_code == 403
    assert client.get("/api/v1/reports/statistics").status_code == 403
    headers = {"x-operator-token": "tok"}
    page = client.get("/operator/reports", headers=headers)
    assert page.status_code == 200 and page.text.count("<svg") == 3
    assert "尽职调查" in page.text and "2 (67%)" in page.text
    csv_text = client.get("/operator/reports.csv", headers=headers).text
    expected = [f"{month},bidding,enterprise,1", f"{month},due_diligence,enterprise,2"]
    assert csv_text.splitlines()[1:] == expected
    api = client.get("/api/v1/reports/statistics", headers=headers).json()
    assert api["total"] == 3 and api["by_purpose"][0] == ["due_diligence", 2]


def test_profile_page_links_to_the_report_request(client: TestClient, city: Platform) -> None:  # noqa: F811
    huawei = sid(city, HUAWEI)
    page = client.get(f"/subjects/{huawei}?lang=zh")
    assert page.status_code == 200
    assert (
        f'href="/reports/request?subject_id={huawei}&amp;lang=zh"' in page.text
        and "申请信用报告" in page.text
    )


def test_report_requests_are_rate_limited_per_client(city: Platform) -> None:  # noqa: F811
    city.settings = dataclasses.replace(city.settings, rate_limit_per_minute=1, rate_limit_burst=1)
    huawei = sid(city, HUAWEI)
    with TestClient(create_app(platform_obj=city)) as c:
        assert c.post("/api/v1/reports", json={"subject_id": huawei, "purpose": "bidding"}).status_code == 200
        again = c.post("/api/v1/reports", json={"subject_id": huawei, "purpose": "bidding"})
        assert again.status_code == 429 and again.headers["retry-after"]
    with city.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == 1
