"""Request dependencies: the platform and the current actor.

``actor`` authenticates (who is asking); the services authorize (``permissions.require``). It tries,
in order: the operator token (bootstrap, ``XINYONG_OPERATOR_TOKEN``), an API key (``Authorization:
Bearer <key>`` or ``X-Api-Key``: accounts' keys ``xyu_…``, source units' keys ``xyk_…``, and any
prefix registered in ``KEY_AUTHENTICATORS``), the portal session cookie; otherwise the public.
A declared purpose (``X-Purpose`` header or ``purpose`` query parameter) is attached to the actor.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from fastapi import Request

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.domain.ratelimit import RateLimiter
from xinyong.errors import InvalidInput, NotPermitted, Problem, RateLimited
from xinyong.services import accounts, screening, units
from xinyong.services.platform import Platform
from xinyong.store import Store

OPERATOR_COOKIE = "xinyong_operator"
SESSION_COOKIE = "xinyong_session"


# API key prefix -> who the key belongs to (accounts' keys, ``xyu_``, are handled apart: their
# declared purposes are checked). Relying parties' screening keys plug in here.
KEY_AUTHENTICATORS: dict[str, Callable[[Store, str], Actor]] = {
    units.KEY_PREFIX: units.authenticate,
    screening.KEY_PREFIX: lambda store, key: screening.authenticate(store, key).actor(),
}


def platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]  # set by create_app


def actor(request: Request) -> Actor:
    """The authenticated actor of this request (resolved once), with its declared purpose."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    found = _authenticated(request, declared_purpose(request))
    request.state.actor = found
    return found


def _authenticated(request: Request, purpose: Purpose | None) -> Actor:
    store = platform(request).store
    key = api_key(request)
    found: Actor | None = None
    if is_operator(request):
        found = Actor.operator("token")
    elif key and accounts.is_user_key(key):
        return accounts.acting(accounts.authenticate_key(store, key), purpose)
    elif key:
        authenticate = next((f for p, f in KEY_AUTHENTICATORS.items() if key.startswith(p)), None)
        if authenticate is None:
            raise NotPermitted(
                "unknown or revoked API key", message_zh="接口密钥无效或已停用", rule="auth.key_invalid"
            )
        found = authenticate(store, key)
    else:
        user = accounts.session_user(store, request.cookies.get(SESSION_COOKIE))
        if user is not None:
            return accounts.acting(user, purpose)
        found = Actor.public()
    return found.with_purpose(purpose) if purpose else found


def api_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("x-api-key") or None


def declared_purpose(request: Request) -> Purpose | None:
    """The purpose stated for this request (查询用途), from the fixed list, or None."""
    given = request.headers.get("x-purpose") or request.query_params.get("purpose")
    if not given:
        return None
    try:
        return Purpose(given)
    except ValueError:
        allowed = ", ".join(p.value for p in Purpose)
        raise InvalidInput(
            f"unknown purpose {given!r}; one of: {allowed}",
            message_zh="查询用途不在规定列表中",
            problems=[Problem("purpose.unknown", f"one of: {allowed}", {"field": "purpose"}, value=given)],
        ) from None


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


def signed_in(request: Request) -> Actor:
    """Any authenticated actor (the service decides what it may do); the public is refused."""
    found = actor(request)
    if found.role is Role.PUBLIC:
        raise NotPermitted(
            "this endpoint needs an account: log in, or send an API key (X-Api-Key or Authorization: Bearer)",
            message_zh="请先登录或提供接口密钥",
            rule="auth.key_required",
        )
    return found


def unit_or_operator(request: Request) -> Actor:
    """A source unit (by its X-Api-Key), the operator, or another account the service may allow."""
    return signed_in(request)


def source_unit(request: Request) -> Actor:
    found = signed_in(request)
    if found.role is not Role.SOURCE_UNIT:
        raise NotPermitted(
            "this endpoint needs a source unit's API key (X-Api-Key)",
            message_zh="需要单位接口密钥",
            rule="auth.key_required",
        )
    return found


def operator(request: Request) -> Actor:
    """The platform operator: by the operator token (bootstrap) or an operator account."""
    found = actor(request)
    if found.role is not Role.OPERATOR:
        raise NotPermitted(
            "operator pages need the operator token or an operator account",
            message_zh="需要平台运营者身份",
            rule="auth.operator_required",
        )
    return found
