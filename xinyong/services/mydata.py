"""What a data subject may see and take about themselves: their file, who looked at it, their
authorizations, and one download of all of it (PIPL art. 44–45: 查阅、复制). The download is an
export of personal data and is logged like any other query of the file.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from xinyong.catalog import Catalog
from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.services import authorizations, querylog
from xinyong.services.check import Check, Profile
from xinyong.services.events import now
from xinyong.store import Store


def my_file(store: Store, catalog: Catalog, actor: Actor, today: date, lang: str = "zh") -> Profile:
    """The subject's own file: everything recorded about it, with what others see marked."""
    require(actor, "account.my_file")
    return Check(store, catalog, lang, today).profile(actor, actor.subject_id)


def my_queries(store: Store, actor: Actor) -> list[querylog.QueryEntry]:
    require(actor, "account.my_file")
    return querylog.for_subject(store, actor, actor.subject_id)


def export(store: Store, catalog: Catalog, actor: Actor, today: date, lang: str = "zh") -> dict[str, Any]:
    """All the personal information the platform holds on the subject, as one JSON document."""
    profile = my_file(store, catalog, actor, today, lang)
    body = {
        "format": "xinyong-my-data/v1",
        "exported_at": now().isoformat(),
        "account": {"user": actor.user, "role": actor.role.value, "subject_id": actor.subject_id},
        "file": dataclasses.asdict(profile),
        "authorizations": [
            {**dataclasses.asdict(a), "purpose": a.purpose.value}
            for a in authorizations.for_subject(store, actor, actor.subject_id)
        ],
        "queries": [q.as_dict() for q in my_queries(store, actor)],
    }
    querylog.record(store, actor, actor.subject_id, "export", object_id="my-data")
    return body
