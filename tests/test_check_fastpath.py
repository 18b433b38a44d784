"""The short path for the public's search (xinyong.api.fastpath): the route's answers, rate limit and
errors without FastAPI's stack; any request with a credential or unusual parameters goes to the app."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ingest_helpers import HUAWEI, PERSON_ID
from store_helpers import count_app_calls
from test_check import city  # noqa: F401  (the fixture: a small city with penalties)

from xinyong.api import fastpath
from xinyong.api.app import create_app
from xinyong.services.platform import Platform


@pytest.fixture
def app_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The query strings of the HTTP requests that went through FastAPI's own stack."""
    return count_app_calls(monkeypatch, lambda scope: scope["query_string"].decode())


@pytest.fixture
def client(city: Platform) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(platform_obj=city)) as c:
        yield c


def test_the_public_s_search_is_answered_as_the_route_answers_it(
    client: TestClient, app_calls: list[str]
) -> None:
    for q in ("腾讯", "华为", HUAWEI, "19220382-1"):
        for params in ({"q": q}, {"q": q, "page": "1", "lang": "en"}):
            short = client.get("/api/v1/search", params=params)
            # An extra parameter, which the route ignores, sends the request through the whole app.
            route = client.get("/api/v1/search", params={**params, "via": "app"})
            assert short.status_code == route.status_code == 200
            assert short.headers["content-type"] == route.headers["content-type"]
            assert short.content == route.content
    assert len(app_calls) == 8 and all("via=app" in c for c in app_calls)


@pytest.mark.parametrize(
    ("q", "status", "rule"),
    [(PERSON_ID, 403, "check.id_search_not_permitted"), (" ", 422, "check.query_empty")],
)
def test_refusals_have_the_one_error_shape(
    client: TestClient, app_calls: list[str], q: str, status: int, rule: str
) -> None:
    short = client.get("/api/v1/search", params={"q": q})
    route = client.get("/api/v1/search", params={"q": q, "via": "app"})
    assert short.status_code == route.status_code == status
    assert short.json() == route.json() and short.json()["error"]["rule"] == rule
    assert len(app_calls) == 1


def test_the_rate_limit_counts_each_request_once_and_answers_429(
    city: Platform,  # noqa: F811
    app_calls: list[str],
) -> None:
    city.settings = dataclasses.replace(city.settings, rate_limit_per_minute=2, rate_limit_burst=2)
    with TestClient(create_app(platform_obj=city)) as c:
        codes = [c.get("/api/v1/search", params={"q": q}).status_code for q in ("华为", PERSON_ID, "华为")]
        assert codes == [200, 403, 429]  # the refused search used its token, once
        limited = c.get("/api/v1/search", params={"q": "华为"})
        assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1
        offenders = c.app.state.limiter.top_offenders()  # type: ignore[attr-defined]
    assert [(o.client, o.refused) for o in offenders] == [("testclient", 2)]
    assert app_calls == []


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("q=%E5%8D%8E%E4%B8%BA&page=0", {}),
        ("q=%E5%8D%8E%E4%B8%BA&page=26", {}),
        ("q=%E5%8D%8E%E4%B8%BA&page=01", {}),
        ("q=%E5%8D%8E%E4%B8%BA&lang=fr", {}),
        ("q=" + "a" * 101, {}),
        ("q=a&q=b", {}),
        ("page=1", {}),
        ("q=%E5%8D%8E%E4%B8%BA&purpose=credit_check", {}),
        ("q=%E5%8D%8E%E4%B8%BA", {"X-Purpose": "credit_check"}),
        ("q=%E5%8D%8E%E4%B8%BA", {"X-Api-Key": "xyu_nope"}),
        ("q=%E5%8D%8E%E4%B8%BA", {"Authorization": "Bearer nope"}),
        ("q=%E5%8D%8E%E4%B8%BA", {"X-Operator-Token": "nope"}),
        ("q=%E5%8D%8E%E4%B8%BA", {"Cookie": "xinyong_session=nope"}),
    ],
)
def test_anything_unusual_goes_through_the_app(
    client: TestClient, app_calls: list[str], query: str, headers: dict[str, str]
) -> None:
    client.get(f"/api/v1/search?{query}", headers=headers)
    assert app_calls == [query]


def test_only_the_public_search_is_taken() -> None:
    def scope(path: str, query: bytes = b"q=x", method: str = "GET") -> dict[str, Any]:
        return {"type": "http", "path": path, "method": method, "headers": [], "query_string": query}

    assert fastpath.public_search(scope("/api/v1/search")) == ("x", 1, "zh")
    assert fastpath.public_search(scope("/api/v1/search", b"q=x&page=25&lang=en")) == ("x", 25, "en")
    assert fastpath.public_search(scope("/api/v1/search", method="POST")) is None
    assert fastpath.public_search(scope("/search")) is None  # the portal's page
    assert fastpath.public_search(scope("/api/v1/subjects/S1")) is None
