"""The query log (查询记录): every non-public read, report, screening and export of a subject's file.

Each entry says when, who (role, user, unit), why (the declared purpose), on whose authority (the
authorization's id, who granted it and its proof) and what was read. Every entry is also an event
(``query:<kind>``) in the tamper-evident log, so a deleted or altered entry is found by
``xinyong audit verify``. Entries are kept at least five years (``retain_until``); ``purge`` removes
only those past it. A subject reads "who looked at my file" through ``for_subject``.

Services call ``record`` (or ``record_in`` inside their own write transaction) after the read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from xinyong import chinatime
from xinyong.domain import accounts as rules
from xinyong.domain.accounts import Authorization
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Role
from xinyong.domain.permissions import require
from xinyong.errors import NotPermitted
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import query_log

KINDS = frozenset({"profile", "record", "report", "screening", "export", "search"})


@dataclass(frozen=True)
class QueryEntry:
    id: int
    occurred_at: datetime
    kind: str
    subject_id: str
    object_id: str
    querier_role: str
    querier_user: str
    querier_unit: str
    purpose: str | None
    authorization_id: str | None
    authorizer: str | None
    proof: str | None
    retain_until: date

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in self.__dict__.items()}


def record(
    store: Store,
    actor: Actor,
    subject_id: str,
    kind: str,
    *,
    object_id: str = "",
    authorization: Authorization | None = None,
) -> int:
    """Log one non-public read in its own transaction; returns the entry's id."""
    with store.write() as conn:
        return record_in(conn, actor, subject_id, kind, object_id=object_id, authorization=authorization)


def record_in(
    conn: Connection,
    actor: Actor,
    subject_id: str,
    kind: str,
    *,
    object_id: str = "",
    authorization: Authorization | None = None,
) -> int:
    """Log one non-public read inside the caller's write transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown query kind {kind!r}")  # a programming error, not user input
    when = events.now()
    auth = authorization
    payload = {"kind": kind, "object_id": object_id, "authorization_id": auth.id if auth else None}
    seq = events.append(conn, actor, f"query:{kind}", "subject", subject_id, payload, subject_id=subject_id)
    return int(
        conn.execute(
            insert(query_log)
            .values(
                occurred_at=when,
                kind=kind,
                subject_id=subject_id,
                object_id=object_id,
                querier_role=actor.role.value,
                querier_user=actor.user,
                querier_unit=actor.unit,
                purpose=actor.purpose.value if actor.purpose else None,
                authorization_id=auth.id if auth else None,
                authorizer=auth.granted_by if auth else None,
                proof=auth.proof if auth else None,
                event_seq=seq,
                retain_until=rules.retain_until(chinatime.day_of(when)),  # China's day, as the purge's
            )
            .returning(query_log.c.id)
        ).scalar_one()
    )


def record_if_needed(
    store: Store,
    actor: Actor,
    subject_id: str,
    kind: str,
    *,
    object_id: str = "",
    authorization: Authorization | None = None,
) -> int | None:
    """Log the read when it is a non-public one (``domain.accounts.logs_query``); the public's free
    queries and a subject's look at its own file are not logged."""
    if not rules.logs_query(actor, subject_id):
        return None
    return record(store, actor, subject_id, kind, object_id=object_id, authorization=authorization)


def for_subject(store: Store, actor: Actor, subject_id: str, limit: int = 500) -> list[QueryEntry]:
    """Who looked at this subject's file, when and why, newest first ("谁查询了我的信用信息")."""
    require(actor, "querylog.read")
    if actor.role is Role.SUBJECT and actor.subject_id != subject_id:
        raise NotPermitted(
            "a subject sees only the queries of its own file",
            message_zh="只能查看本人的被查询记录",
            rule="querylog.own_only",
        )
    with store.read() as conn:
        rows = conn.execute(
            select(query_log)
            .where(query_log.c.subject_id == subject_id)
            .order_by(query_log.c.id.desc())
            .limit(limit)
        ).all()
    return [QueryEntry(**{c: getattr(r, c) for c in QueryEntry.__dataclass_fields__}) for r in rows]


def purge(store: Store, actor: Actor, today: date) -> int:
    """Delete the entries whose five-year retention has passed; returns how many (an event says so)."""
    require(actor, "querylog.purge")
    with store.write() as conn:
        gone = conn.execute(delete(query_log).where(query_log.c.retain_until <= today)).rowcount
        events.append(conn, actor, "querylog:purge", "query_log", str(today), {"deleted": gone})
    return int(gone)
