"""The subject's authorization (授权): a subject lets one third party query its non-public information.

An authorization names the third party by its code (``Actor.unit``: a relying party such as a
bank), one purpose from the fixed list, a scope (catalog items, or ``*`` for the whole file), a
period and the proof of consent (the signed form's number, an e-signature id …). The subject
records it on the portal or through the API (an operator may record a paper form on its behalf),
and may revoke it at any time. Grants and revocations are events in the tamper-evident log.

``require_authorization`` is what a service calls before a third party reads an individual's
non-public information: it needs a declared purpose and a current authorization covering it.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, update

from xinyong.catalog import Catalog
from xinyong.domain import accounts as rules
from xinyong.domain.accounts import Authorization
from xinyong.domain.actor import Actor
from xinyong.domain.enums import Purpose, Role, SubjectKind
from xinyong.domain.permissions import require
from xinyong.errors import InvalidInput, NotFound, NotPermitted
from xinyong.services import events
from xinyong.store import Store
from xinyong.store.tables import authorizations, subjects


def _authorization(r: Any) -> Authorization:
    return Authorization(
        id=r.id,
        subject_id=r.subject_id,
        grantee=r.grantee,
        purpose=Purpose(r.purpose),
        scope=tuple(r.scope),
        valid_from=r.valid_from,
        expires_on=r.expires_on,
        proof=r.proof,
        granted_by=r.granted_by,
        revoked=r.revoked_at is not None,
    )


def _require_for_subject(actor: Actor, subject_id: str, action: str) -> None:
    """The subject acts for itself only; the platform's staff for anyone."""
    require(actor, action)
    if actor.role is Role.SUBJECT and actor.subject_id != subject_id:
        raise NotPermitted(
            "a subject manages only its own authorizations",
            message_zh="只能管理本人的授权",
            rule="authorization.own_only",
        )


def grant(
    store: Store,
    catalog: Catalog,
    actor: Actor,
    *,
    subject_id: str,
    grantee: str,
    purpose: str,
    scope: list[str],
    expires_on: date,
    proof: str,
    today: date,
    valid_from: date | None = None,
) -> Authorization:
    """Record the subject's authorization of ``grantee``; all problems with it are reported at once."""
    _require_for_subject(actor, subject_id, "authorizations.grant")
    start = valid_from or today
    grantee = grantee.strip()
    problems = rules.authorization_problems(
        grantee, purpose, scope, start, expires_on, proof, frozenset(catalog.items), today
    )
    if problems:
        raise InvalidInput(
            "the authorization cannot be recorded", message_zh="无法登记该授权", problems=problems
        )
    auth_id = uuid.uuid4().hex
    row = {
        "id": auth_id,
        "subject_id": subject_id,
        "grantee": grantee,
        "purpose": purpose,
        "scope": sorted(set(scope)),
        "valid_from": start,
        "expires_on": expires_on,
        "proof": proof.strip(),
        "granted_by": actor.label(),
        "granted_at": events.now(),
    }
    with store.write() as conn:
        if conn.execute(select(subjects.c.id).where(subjects.c.id == subject_id)).first() is None:
            raise NotFound(
                f"no subject {subject_id!r}", message_zh="没有该信用主体", rule="authorization.subject"
            )
        conn.execute(authorizations.insert().values(**row))
        payload = {
            k: str(v) if isinstance(v, date) else v for k, v in row.items() if k not in ("id", "granted_at")
        }
        events.append(
            conn, actor, "authorization:grant", "authorization", auth_id, payload, subject_id=subject_id
        )
    return get(store, auth_id)


def get(store: Store, auth_id: str) -> Authorization:
    with store.read() as conn:
        row = conn.execute(select(authorizations).where(authorizations.c.id == auth_id)).first()
    if row is None:
        raise NotFound(f"no authorization {auth_id!r}", message_zh="没有该授权", rule="authorization.id")
    return _authorization(row)


def revoke(store: Store, actor: Actor, auth_id: str) -> Authorization:
    """Withdraw an authorization: from now on it covers no query (earlier queries stay logged)."""
    found = get(store, auth_id)
    _require_for_subject(actor, found.subject_id, "authorizations.grant")
    with store.write() as conn:
        conn.execute(
            update(authorizations)
            .where(authorizations.c.id == auth_id, authorizations.c.revoked_at.is_(None))
            .values(revoked_at=events.now(), revoked_by=actor.label())
        )
        events.append(
            conn, actor, "authorization:revoke", "authorization", auth_id, {}, subject_id=found.subject_id
        )
    return get(store, auth_id)


def for_subject(store: Store, actor: Actor, subject_id: str) -> list[Authorization]:
    _require_for_subject(actor, subject_id, "authorizations.read")
    with store.read() as conn:
        rows = conn.execute(
            select(authorizations)
            .where(authorizations.c.subject_id == subject_id)
            .order_by(authorizations.c.granted_at.desc())
        ).all()
    return [_authorization(r) for r in rows]


def for_grantee(store: Store, actor: Actor) -> list[Authorization]:
    """The authorizations a third party holds (its own unit's)."""
    require(actor, "authorizations.held")
    with store.read() as conn:
        rows = conn.execute(
            select(authorizations)
            .where(authorizations.c.grantee == actor.unit)
            .order_by(authorizations.c.granted_at.desc())
        ).all()
    return [_authorization(r) for r in rows]


def current(conn: Connection, actor: Actor, subject_id: str, today: date) -> Authorization | None:
    """The authorization of ``subject_id`` that lets ``actor`` read today for its declared purpose."""
    if not actor.unit or actor.purpose is None:
        return None
    rows = conn.execute(
        select(authorizations).where(
            authorizations.c.grantee == actor.unit,
            authorizations.c.subject_id == subject_id,
            authorizations.c.purpose == actor.purpose.value,
            authorizations.c.revoked_at.is_(None),
        )
    ).all()
    found = [a for a in map(_authorization, rows) if a.covers(actor, today)]
    return max(found, key=lambda a: a.expires_on) if found else None


def require_authorization(store: Store, actor: Actor, subject_id: str, today: date) -> Authorization:
    """A third party's non-public read of ``subject_id``: a declared purpose and a current authorization
    from the subject covering it, or ``NotPermitted`` naming what is missing."""
    require(actor, "subjects.authorized_read")  # also demands a declared purpose
    with store.read() as conn:
        found = current(conn, actor, subject_id, today)
    if found is None:
        purpose = actor.purpose.value if actor.purpose else ""
        raise NotPermitted(
            f"{actor.unit or actor.label()!r} holds no current authorization of this subject for purpose "
            f"{purpose!r}: the subject must authorize the query first",
            message_zh="查询自然人非公开信用信息须取得本人有效授权（授权范围、用途和期限）",
            rule="authorization.required",
        )
    return found


def for_read(
    store: Store, actor: Actor, subject_id: str, kind: SubjectKind, today: date
) -> Authorization | None:
    """The authorization a read of ``subject_id``'s file rests on (None when the actor needs none).

    Only third parties (relying parties) read by authorization. Reading a natural person's file needs a
    current one (``require_authorization`` refuses otherwise); for an organisation, a current one, if
    held for the declared purpose, opens its information disclosed on request (依申请公开).
    """
    if actor.role is not Role.RELYING_PARTY:
        return None
    if kind is SubjectKind.INDIVIDUAL:
        return require_authorization(store, actor, subject_id, today)
    with store.read() as conn:
        return current(conn, actor, subject_id, today)
