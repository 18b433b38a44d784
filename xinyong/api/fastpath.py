"""Short paths through the app for its busiest requests: a relying party's single screening and
the public's search of the one-click check.

``POST /api/v1/screen`` (联合奖惩核查) is sent by ticketing, bidding and hiring systems at high rates,
and each one is small: an indexed lookup and a queued record. ``GET /api/v1/search`` (一键查询) is
what most visitors send. Through FastAPI's full stack (its middleware, routing, dependency solving,
parameter validation and response wrappers) the framework cost more CPU than the screening or the
search itself (bench/screen.py, bench/check.py). The app's ``__call__`` answers the plainly valid
request with the same service call, rate limit and JSON as the route (:func:`xinyong.api.screen.
screen_one`; ``Check.search`` and ``json_response`` of xinyong.api.check). Everything else goes on
to the app unchanged, a screening's body replayed: another path or method, any other credential,
a body or query the route's validation would have to judge, and, for screening, every refusal the
service raises (the route runs it again: nothing was recorded). A search's refusals (and the
limit's 429) are answered here with the API's one error shape (``errors.api_error``), so that the
limiter counts each request once. So a short path only ever answers what the route would have.
"""

from __future__ import annotations

import json
import re
import time
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from xinyong.api import check as check_api
from xinyong.api import deps, errors
from xinyong.api.screen import screen_one
from xinyong.domain.actor import Actor
from xinyong.errors import RateLimited, XinyongError
from xinyong.services.check import check_for
from xinyong.services.screening import KEY_PREFIX

PATH = "/api/v1/screen"
SEARCH_PATH = "/api/v1/search"
MAX_QUERY = 100  # the route's max_length of q
_PAGE = re.compile(r"[1-9]|1[0-9]|2[0-5]")  # the route's page: 1..25
_CREDENTIALS = {b"authorization", b"x-api-key", b"x-operator-token", b"x-purpose"}
_CREDENTIAL_COOKIES = (deps.SESSION_COOKIE.encode(), deps.OPERATOR_COOKIE.encode())
MAX_BODY = 16 * 1024  # a single screening's body is ~100 bytes; larger ones go to the app
FIELDS = ("identifier", "measure", "purpose")


class XinyongApp(FastAPI):
    """The platform's FastAPI app, with short paths for its two busiest requests: a party's
    well-formed single screening, and the public's search of the one-click check.

    The short paths run before the app's middleware (the framework's error, body-limit and
    telemetry layers, routing and dependency solving took more of a request's CPU than the
    screening or the search itself); everything else, and every request a short path does not
    answer, goes through the whole app.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = party_key(scope)
        if key is not None:
            await self._screen(key, scope, receive, send)
            return
        search = public_search(scope)
        if search is not None:
            await self._search(search, scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _screen(self, key: str, scope: Scope, receive: Receive, send: Send) -> None:
        messages, body = await read_body(receive, MAX_BODY)
        content = await self._screening(key, body)
        if content is None:
            await super().__call__(scope, replay(messages, receive), send)
            return
        await send_json(send, content)

    async def _screening(self, key: str, body: bytes | None) -> dict[str, Any] | None:
        values = screening_fields(body)
        if values is None:
            return None
        try:
            return await screen_one(self.state.platform, key, *values)
        except Exception:  # refusals and failures alike: the app answers them
            # Nothing was recorded (a screening is recorded last, once its answer is known), so the
            # route runs it again and the app's error handlers give the one error shape.
            return None

    async def _search(self, search: tuple[str, int, str], scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /api/v1/search`` by the public: the route's rate limit, service call and answer."""
        q, page, lang = search
        client = scope["client"][0] if scope.get("client") else "unknown"  # as deps.client_id
        verdict = self.state.limiter.check(client, time.monotonic())
        response: Response
        if not verdict.allowed:
            response = errors.api_error(RateLimited(verdict.retry_after))
        else:
            p = self.state.platform
            check = check_for(p, lang)
            find = partial(check.search, Actor.public(), q, page)
            # On SQLite the search runs on the event loop when a pooled connection is free (an
            # in-process read of ~1-5 ms): handing it to the thread pool cost a thread switch and
            # the GIL's hand-overs each way, and the pool's threads only took CPU from one another
            # (bench/check.py --quick, 10 connections: name search p99 57 to 25 ms, code 12 to 8 ms).
            # On PostgreSQL a code's lookup (one statement) and a name's search from the pairs table
            # (one to three) are sent from the event loop; any other search goes to the thread pool.
            inline = p.store.reads_inline
            try:
                found = None if inline else await check.search_code_async(Actor.public(), q)
                if found is None and not inline:
                    found = await check.search_name_async(Actor.public(), q, page)
                if found is None:
                    found = find() if inline else await run_in_threadpool(find)
                response = check_api.json_response(found)
            except XinyongError as e:  # counted once by the limiter, as through the route
                response = errors.api_error(e)
        await response(scope, receive, send)


def public_search(scope: Scope) -> tuple[str, int, str] | None:
    """For ``GET /api/v1/search`` by the public with plainly valid parameters: (q, page, lang).

    None for any other request: another path or method; any credential or declared purpose (an API
    key, a bearer token, the operator token, a session or operator cookie, ``X-Purpose``); a query
    with other or repeated parameters, no ``q``, a ``q`` over 100 characters, a ``page`` that is
    not 1–25 written plainly or a ``lang`` other than zh and en. The route then answers (or
    refuses) it, with the same rules.
    """
    if scope["type"] != "http" or scope["path"] != SEARCH_PATH or scope["method"] != "GET":
        return None
    for name, value in scope["headers"]:
        if name in _CREDENTIALS or (name == b"cookie" and any(c in value for c in _CREDENTIAL_COOKIES)):
            return None
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)  # as Starlette
    params = dict(pairs)
    if len(params) != len(pairs) or not params.keys() <= {"q", "page", "lang"} or "q" not in params:
        return None
    q, page, lang = params["q"], params.get("page", "1"), params.get("lang", "zh")
    if len(q) > MAX_QUERY or lang not in ("zh", "en") or not _PAGE.fullmatch(page):
        return None
    return q, int(page), lang


async def send_json(send: Send, content: Any) -> None:
    """A 200 answer of ``content`` as JSON: the bytes and headers Starlette's ``JSONResponse`` sends,
    without building the response object (a tenth of a screening's CPU on the short path)."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": 200, "headers": _json_headers(len(body))})
    await send({"type": "http.response.body", "body": body})


def _json_headers(length: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(length).encode()), (b"content-type", b"application/json")]


def party_key(scope: Scope) -> str | None:
    """For a single screening (``POST /api/v1/screen``) with a JSON body whose only credential is a
    party's screening key: that key. None for any other request."""
    if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
        return None
    key: str | None = None
    is_json = False
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            key = value.decode("latin-1")
        elif name == b"authorization":
            return None  # a bearer token takes precedence over X-Api-Key (xinyong.api.deps.api_key)
        elif name == b"content-type":
            is_json = value.split(b";", 1)[0].strip().lower() == b"application/json"
    if key is None or not is_json or not key.startswith(KEY_PREFIX):
        return None
    return key


async def read_body(receive: Receive, limit: int) -> tuple[list[Message], bytes | None]:
    """The request's messages read so far, and its body (None when longer than ``limit`` bytes,
    or when the client went away: the app then reads the rest itself)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > limit:
            return messages, None
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def screening_fields(body: bytes | None) -> tuple[str, str, str] | None:
    """(identifier, measure, purpose) when the body is a JSON object with those three strings."""
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:  # also bytes that are not UTF-8
        return None
    if not isinstance(data, dict):
        return None
    values = tuple(data.get(name) for name in FIELDS)
    if not all(isinstance(v, str) for v in values):
        return None
    return values  # type: ignore[return-value]  # three str, checked above


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives back ``messages`` first, then reads on from the client."""
    pending = list(messages)

    async def again() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return again
