"""CSRF protection for every portal form (and cookie-authenticated API call).

Double-submit token: the browser holds a random token in an HttpOnly cookie, and every POST form
carries the same token in a hidden field (``{{ csrf_input }}``, filled by ``xinyong.web.pages``). A
cross-site page can make the browser send the cookie but can neither read it nor set it, so it
cannot produce the matching field. Over https the cookie is named ``__Host-xinyong_csrf``: Secure,
Path=/ and no Domain, so a sibling subdomain cannot plant one either.

``CSRFMiddleware`` checks every unsafe request (POST, PUT, PATCH, DELETE) except API calls that
carry no cookie credentials (an API key or token header cannot be sent cross-site without CORS).
The token may come as the form field ``csrf_token`` or the header ``X-CSRF-Token``. A refused
request gets 403 with rule ``csrf.token_invalid``, before any handler runs.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.errors import NotPermitted

FIELD = "csrf_token"
HEADER = "x-csrf-token"
PLAIN_COOKIE = "xinyong_csrf"
SECURE_COOKIE = "__Host-xinyong_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Cookies that authenticate a browser: a request carrying one is checked even under /api/.
CREDENTIAL_COOKIES = ("xinyong_session", "xinyong_operator")
# Headers a cross-site form cannot send: a request authenticated by one is not a CSRF risk.
CREDENTIAL_HEADERS = (b"authorization", b"x-api-key", b"x-operator-token")


def cookie_name(scope: Scope) -> str:
    return SECURE_COOKIE if scope.get("scheme") == "https" else PLAIN_COOKIE


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def token(request: Request) -> str:
    """This visitor's token: from its cookie, or a new one that the middleware will set."""
    state = request.scope.setdefault("state", {})
    found = state.get("csrf_token") or request.cookies.get(cookie_name(request.scope))
    if not found:
        found = secrets.token_urlsafe(32)
        state["csrf_new"] = found
    state["csrf_token"] = found
    return str(found)


def needs_check(scope: Scope, cookies: dict[str, str]) -> bool:
    if scope["method"] not in UNSAFE:
        return False
    headers = {k for k, _ in scope["headers"]}
    if any(h in headers for h in CREDENTIAL_HEADERS):
        return False
    path: str = scope["path"]
    return not path.startswith("/api/") or any(c in cookies for c in CREDENTIAL_COOKIES)


def refusal() -> NotPermitted:
    return NotPermitted(
        "the form's security token is missing or does not match: reload the page and submit it again",
        message_zh="表单安全令牌缺失或不匹配，请刷新页面后重新提交",
        rule="csrf.token_invalid",
    )


class CSRFMiddleware:
    """Pure ASGI middleware: checks the token of unsafe requests; sets the cookie when a page made one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if needs_check(scope, request.cookies):
            receive, ok = await self._check(scope, receive, request)
            if not ok:
                await self._refuse(scope, receive, send)
                return
        await self.app(scope, receive, self._with_cookie(scope, send))

    async def _check(self, scope: Scope, receive: Receive, request: Request) -> tuple[Receive, bool]:
        expected = request.cookies.get(cookie_name(scope), "")
        given = request.headers.get(HEADER, "")
        if not given and _is_form(request):
            messages = await _drain(receive)
            receive = _replay(messages)
            form = await Request(scope, _replay(messages)).form()
            given = str(form.get(FIELD) or "")
            await form.close()
        ok = bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
        return receive, ok

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        err = refusal()
        request = Request(scope, receive)
        response: Response
        if scope["path"].startswith("/api/"):
            response = JSONResponse({"error": err.as_dict()}, status_code=err.status)
        else:
            from xinyong.web.pages import render_error  # the portal's error page (late: pages imports us)

            response = render_error(request, err, err.status)
        await response(scope, receive, _CookieSender(scope, send))

    def _with_cookie(self, scope: Scope, send: Send) -> Send:
        return _CookieSender(scope, send)


class _CookieSender:
    """Wraps ``send``: adds the Set-Cookie of a token made while rendering this response."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope, self.send = scope, send

    async def __call__(self, message: Message) -> None:
        new = self.scope.get("state", {}).get("csrf_new")
        if message["type"] == "http.response.start" and new:
            response = Response()
            response.set_cookie(
                cookie_name(self.scope),
                new,
                httponly=True,
                samesite="lax",
                secure=self.scope.get("scheme") == "https",
                path="/",
            )
            cookie = response.headers["set-cookie"].encode("latin-1")
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
        await self.send(message)


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith("application/x-www-form-urlencoded") or kind.startswith("multipart/form-data")


async def _drain(receive: Receive) -> list[Message]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message]) -> Receive:
    queue: list[Message] = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return {"type": "http.disconnect"}

    return receive
