from __future__ import annotations

import pytest

from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role
from xinyong.domain.permissions import PERMISSIONS, allowed, require
from xinyong.errors import NotPermitted


def test_unknown_action_is_refused_for_every_role() -> None:
    for role in Role:
        assert not allowed(Actor(role=role), "no.such.action")


def test_catalog_is_public_but_loading_it_is_not() -> None:
    assert allowed(Actor.public(), "catalog.read")
    assert not allowed(Actor.public(), "catalog.load")
    assert allowed(Actor.operator("op"), "catalog.load")


def test_non_public_read_needs_a_purpose() -> None:
    auditor = Actor(role=Role.AUDITOR, user="a")
    with pytest.raises(NotPermitted) as exc:
        require(auditor, "events.read")
    assert exc.value.rule == "permission.purpose_required"
    require(auditor.with_purpose(Purpose.ADMINISTRATION), "events.read")


def test_every_action_names_at_least_one_role() -> None:
    assert all(PERMISSIONS[a] for a in PERMISSIONS)
