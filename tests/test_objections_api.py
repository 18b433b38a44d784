"""Remedies over HTTP: the JSON API and the portal pages (subject, source unit, operator)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from remedy_helpers import HOUSING_STAFF, OPERATOR, huawei, seed

from xinyong.api import deps
from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.services.platform import Platform


class Who:
    actor: Actor = Actor.public()


@pytest.fixture
def client(platform: Platform, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], type[Who]]]:
    ids = seed(platform, tmp_path)
    app = create_app(platform_obj=platform)
    app.dependency_overrides[deps.actor] = lambda: Who.actor
    with TestClient(app) as c:
        c.cookies.set("xinyong_csrf", "remedies-test")  # the double-submit CSRF token a browser holds
        c.headers["x-csrf-token"] = "remedies-test"
        yield c, ids, Who
    Who.actor = Actor.public()


def test_objection_over_the_api(
    client: tuple[TestClient, dict[str, str], type[Who]], platform: Platform
) -> None:
    c, ids, who = client
    who.actor = huawei(platform)
    r = c.post(
        "/api/v1/objections",
        data={"target_id": ids["huawei"], "grounds": "wrong_or_missing", "statement": "wrong amount"},
        files=[("files", ("e.txt", b"bank slip", "text/plain"))],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "platform_check" and body["due_on"] == "2026-11-30"
    assert body["files"][0]["sha256"] == hashlib.sha256(b"bank slip").hexdigest()
    bad = c.post("/api/v1/objections", data={"target_id": ids["huawei"], "grounds": "nope", "statement": ""})
    assert bad.status_code == 422 and {p["rule"] for p in bad.json()["error"]["problems"]} == {
        "objection.grounds",
        "objection.statement",
    }
    who.actor = OPERATOR
    fwd = c.post(f"/api/v1/objections/{body['id']}/verify", json={"matches_source": True, "note": "same"})
    assert fwd.json()["state"] == "source_review"
    who.actor = HOUSING_STAFF
    done = c.post(
        f"/api/v1/objections/{body['id']}/decide", json={"outcome": "rejected", "reason": "file is right"}
    )
    assert done.status_code == 200 and done.json()["history"][-1]["outcome"] == "rejected"
    who.actor = Actor.public()
    assert c.get(f"/api/v1/remedies/cases/{body['id']}").status_code == 403


def test_repair_over_the_api_and_the_queue(
    client: tuple[TestClient, dict[str, str], type[Who]], platform: Platform
) -> None:
    c, ids, who = client
    who.actor = huawei(platform)
    e = c.get("/api/v1/repair/eligibility", params={"target_id": ids["huawei"]}).json()
    assert e["eligible"] and e["regime"] == "ndrc_order_36" and e["fee"] == 0
    missing = c.post(
        "/api/v1/repairs",
        data={"target_id": ids["huawei"], "roles": ["proof"]},
        files=[("files", ("p.pdf", b"paid", "application/pdf"))],
    )
    assert missing.status_code == 422 and missing.json()["error"]["rule"] == "repair.materials_missing"
    ok = c.post(
        "/api/v1/repairs",
        data={"target_id": ids["huawei"], "roles": ["proof", "commitment"]},
        files=[
            ("files", ("p.pdf", b"paid", "application/pdf")),
            ("files", ("c.pdf", b"promise", "application/pdf")),
        ],
    )
    assert ok.status_code == 200, ok.text
    case = ok.json()
    proof = next(f for f in case["files"] if f["role"] == "proof")
    url = f"/api/v1/remedies/cases/{case['id']}/files/{proof['sha256']}"
    who.actor = HOUSING_STAFF  # the deciding unit reads the materials
    got = c.get(url)
    assert (
        got.status_code == 200
        and got.content == b"paid"
        and "attachment" in got.headers["content-disposition"]
    )
    assert c.get(url.replace(proof["sha256"], "0" * 64)).status_code == 404
    who.actor = Actor.public()
    assert c.get(url).status_code == 403
    who.actor = OPERATOR
    queue = c.get("/api/v1/remedies/queue").json()
    assert [q["id"] for q in queue["cases"]] == [ok.json()["id"]] and queue["cases"][0][
        "responsible"
    ] == "unit:sz_housing"
    assert c.post("/api/v1/remedies/jobs/run").json()["open"] == 1


def test_portal_pages_for_subject_unit_and_operator(
    client: tuple[TestClient, dict[str, str], type[Who]], platform: Platform
) -> None:
    c, ids, who = client
    who.actor = huawei(platform)
    page = c.get(f"/remedies/records/{ids['huawei']}")
    assert page.status_code == 200 and "符合申请条件" in page.text and "信用承诺书" in page.text
    r = c.post(
        "/remedies/objections",
        data={"target_id": ids["huawei"], "grounds": "unlawful", "statement": "x"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    case_url = r.headers["location"]
    assert "平台核查中" in c.get(case_url).text
    who.actor = OPERATOR
    assert "异议与修复办理队列" in c.get("/remedies/queue").text
    assert (
        c.post(
            case_url.split("?")[0] + "/verify",
            data={"matches_source": "yes", "note": "ok"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    who.actor = HOUSING_STAFF
    unit_page = c.get(case_url + "&lang=en")
    assert "Decide" in unit_page.text and "With the source unit" in unit_page.text
    inbox = c.get("/remedies/queue?lang=zh").text
    assert "待本单位处理的事项" in inbox and case_url.split("/")[-1].split("?")[0] in inbox


def test_repair_feed_for_other_platforms(
    client: tuple[TestClient, dict[str, str], type[Who]], platform: Platform
) -> None:
    from remedy_helpers import COMMITMENT, PROOF

    from xinyong.services import repair

    c, ids, _ = client
    assert c.get("/api/v1/repairs/published").json() == {"items": [], "next": 0}
    case = repair.apply(platform, huawei(platform), "record", ids["huawei"], [PROOF, COMMITMENT])
    repair.decide(platform, HOUSING_STAFF, case.id, approve=True)
    feed = c.get("/api/v1/repairs/published").json()  # public: no actor needed
    assert [(i["target_id"], i["repaired_on"]) for i in feed["items"]] == [(ids["huawei"], "2026-11-28")]
    assert c.get("/api/v1/repairs/published", params={"since": feed["next"]}).json()["items"] == []
