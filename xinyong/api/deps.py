"""Request dependencies: the platform and the current actor."""

from __future__ import annotations

from fastapi import Request

from xinyong.domain.actor import Actor
from xinyong.services.platform import Platform


def platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]  # set by create_app


def actor(request: Request) -> Actor:
    """Anonymous public actor until accounts exist (issue: access control)."""
    return Actor.public()
