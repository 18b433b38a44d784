"""Request dependencies: the platform and the current actor."""

from __future__ import annotations

import hmac
import time

from fastapi import Request

from xinyong.domain.actor import Actor
from xinyong.domain.ratelimit import RateLimiter
from xinyong.errors import NotPermitted, RateLimited
from xinyong.services import units
from xinyong.services.platform import Platform

OPERATOR_COOKIE = "xinyong_operator"


def platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]  # set by create_app


def actor(request: Request) -> Actor:
    """Anonymous public actor until accounts exist (issue: access control)."""
    return Actor.public()


def limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter  # type: ignore[no-any-return]  # set by create_app


def client_id(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limited(request: Request) -> None:
    """Throttle the public check per client; operators are not throttled."""
    if is_operator(request):
        return
    verdict = limiter(request).check(client_id(request), time.monotonic())
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def _operator_token(request: Request) -> str | None:
    return request.headers.get("x-operator-token") or request.cookies.get(OPERATOR_COOKIE)


def is_operator(request: Request) -> bool:
    expected = platform(request).settings.operator_token
    given = _operator_token(request)
    return bool(expected and given and hmac.compare_digest(expected, given))


def unit_or_operator(request: Request) -> Actor:
    """A source unit (by its X-Api-Key) or the operator (by the operator token)."""
    if is_operator(request):
        return Actor.operator("token")
    return units.authenticate(platform(request).store, request.headers.get("x-api-key"))


def source_unit(request: Request) -> Actor:
    return units.authenticate(platform(request).store, request.headers.get("x-api-key"))


def operator(request: Request) -> Actor:
    if not is_operator(request):
        raise NotPermitted(
            "operator pages need the operator token",
            message_zh="需要平台运营者身份",
            rule="auth.operator_required",
        )
    return Actor.operator("token")
