"""The short path for single screenings (xinyong.api.fastpath): it answers a party's well-formed
request exactly as the route would, records it once, and hands everything else to the whole app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lists_helpers import ADULT, COMPANY, D0, court_listing
from sqlalchemy import func, select
from store_helpers import count_app_calls

from xinyong.api import fastpath
from xinyong.api.app import create_app
from xinyong.domain.actor import Actor
from xinyong.services import screening
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store.tables import screenings

OP = Actor.operator("op")
BODY = {"identifier": ADULT, "measure": "no_flights", "purpose": "ticketing"}


@pytest.fixture
def dated(platform: Platform) -> Platform:
    platform.settings = Settings(data_dir=platform.settings.data_dir, today=D0.isoformat(), jobs_interval_s=0)
    court_listing(platform)
    return platform


@pytest.fixture
def client(dated: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform_obj=dated)) as c:
        yield c


@pytest.fixture
def key(dated: Platform) -> str:
    return screening.add_party(
        dated.store, dated.catalog, OP, code="airline", name="某航空公司", purposes=["ticketing"]
    )[1]


@pytest.fixture
def app_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the HTTP requests that went through FastAPI's own stack."""
    return count_app_calls(monkeypatch, lambda scope: scope["path"])


def _recorded(platform: Platform) -> int:
    with platform.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(screenings)).scalar_one())


def test_a_party_s_screening_is_answered_without_the_app_and_recorded_once(
    dated: Platform, client: TestClient, key: str, app_calls: list[str]
) -> None:
    got = client.post("/api/v1/screen", headers={"X-Api-Key": key}, json=BODY)
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    assert got.json()["restricted"] is True and got.json()["ends_on"] == "2028-03-02"
    assert app_calls == []  # the short path answered
    assert _recorded(dated) == 1


def test_the_short_path_answers_what_the_route_answers(
    dated: Platform, client: TestClient, key: str, app_calls: list[str]
) -> None:
    for identifier in (ADULT, COMPANY):
        body = {**BODY, "identifier": identifier}
        short = client.post("/api/v1/screen", headers={"X-Api-Key": key}, json=body)
        # A bearer token is read by the route only: the same party, through the whole app.
        route = client.post("/api/v1/screen", headers={"Authorization": f"Bearer {key}"}, json=body)
        assert route.status_code == short.status_code == 200
        one, other = short.json(), route.json()
        assert one.pop("screening_id") != other.pop("screening_id")
        assert one == other
    assert app_calls == ["/api/v1/screen", "/api/v1/screen"]
    assert _recorded(dated) == 4


@pytest.mark.parametrize(
    ("content", "status", "rule"),
    [
        (b"{not json", 422, None),
        (json.dumps({"identifier": ADULT, "measure": "no_flights"}).encode(), 422, None),
        (json.dumps({**BODY, "identifier": 42}).encode(), 422, None),
        (json.dumps([BODY]).encode(), 422, None),
        (json.dumps({**BODY, "measure": "no_such_measure"}).encode(), 404, "screen.unknown_measure"),
        (json.dumps({**BODY, "purpose": "procurement"}).encode(), 403, "screen.purpose_not_declared"),
    ],
)
def test_what_the_short_path_does_not_answer_gets_the_app_s_one_error_shape(
    dated: Platform,
    client: TestClient,
    key: str,
    app_calls: list[str],
    content: bytes,
    status: int,
    rule: str | None,
) -> None:
    got = client.post(
        "/api/v1/screen", headers={"X-Api-Key": key, "Content-Type": "application/json"}, content=content
    )
    assert got.status_code == status
    error = got.json()["error"]
    assert {"code", "message", "message_zh", "problems"} <= error.keys()
    if rule is not None:
        assert error["rule"] == rule
    assert app_calls == ["/api/v1/screen"]
    assert _recorded(dated) == 0


def test_unknown_and_revoked_keys_are_refused_by_the_app(
    dated: Platform, client: TestClient, key: str, app_calls: list[str]
) -> None:
    unknown = client.post("/api/v1/screen", headers={"X-Api-Key": "xyp_" + "0" * 40}, json=BODY)
    screening.revoke(dated.store, OP, "airline")
    revoked = client.post("/api/v1/screen", headers={"X-Api-Key": key}, json=BODY)
    for got in (unknown, revoked):
        assert got.status_code == 403 and got.json()["error"]["rule"] == "auth.key_invalid"
    assert len(app_calls) == 2
    assert _recorded(dated) == 0


def test_a_body_longer_than_the_short_path_reads_goes_whole_to_the_route(
    dated: Platform, client: TestClient, key: str, app_calls: list[str]
) -> None:
    padded = {**BODY, "note": "x" * (fastpath.MAX_BODY + 1)}  # unknown fields are ignored by the route
    got = client.post("/api/v1/screen", headers={"X-Api-Key": key}, json=padded)
    assert got.status_code == 200 and got.json()["restricted"] is True
    assert app_calls == ["/api/v1/screen"]
    assert _recorded(dated) == 1


def test_other_requests_are_not_touched(client: TestClient, key: str, app_calls: list[str]) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/screen", headers={"X-Api-Key": key}).status_code == 405
    form = client.post("/api/v1/screen", headers={"X-Api-Key": key}, data=BODY)  # not JSON
    assert form.status_code == 422
    assert app_calls == ["/healthz", "/api/v1/screen", "/api/v1/screen"]


def test_a_body_in_pieces_is_read_whole_and_replayed_in_order() -> None:
    parts = [b'{"identifier": "A', b'BC", "measure": "m",', b' "purpose": "p"}']
    last = len(parts) - 1
    messages = [{"type": "http.request", "body": p, "more_body": i < last} for i, p in enumerate(parts)]

    async def run() -> tuple[bytes | None, list[Any], bytes | None, list[Any]]:
        inbox = list(messages)

        async def receive() -> Any:
            return inbox.pop(0)

        read, body = await fastpath.read_body(receive, 1000)
        again = fastpath.replay(read, receive)
        replayed = [await again() for _ in parts]
        inbox.extend(messages)  # a second request, read with a limit it passes
        read_short, short = await fastpath.read_body(receive, 20)
        rest = fastpath.replay(read_short, receive)
        return body, replayed, short, [await rest() for _ in parts]

    body, replayed, short, rest = asyncio.run(run())
    assert body == b"".join(parts) and replayed == messages
    assert fastpath.screening_fields(body) == ("ABC", "m", "p")
    assert short is None and rest == messages  # over the limit: everything still reaches the app


def test_the_short_path_sends_the_bytes_and_headers_of_starlette_s_json_response() -> None:
    from starlette.responses import JSONResponse

    content = {
        "identifier": ADULT,
        "restricted": True,
        "entry": {"list_name_zh": "失信被执行人名单"},
        "n": None,
    }

    async def sent(respond: Any) -> list[Any]:
        messages: list[Any] = []

        async def send(message: Any) -> None:
            messages.append(message)

        await respond(send)
        return messages

    ours = asyncio.run(sent(lambda send: fastpath.send_json(send, content)))
    theirs = asyncio.run(sent(lambda send: JSONResponse(content)({"type": "http"}, None, send)))
    assert ours == theirs
    assert json.loads(ours[1]["body"]) == content
