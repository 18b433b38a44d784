"""The append-only event log that every service write goes through.

Each event records who (role, user, unit), when, what (``object:verb``), on which
document, and a payload with its SHA-256. Events are never updated or deleted; the
tamper-evident Merkle log is built over them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from xinyong.domain.actor import Actor
from xinyong.store.tables import events


def canonical_json(payload: Any) -> bytes:
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def now() -> datetime:
    return datetime.now(UTC)


def append(
    conn: Connection,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    payload: dict[str, Any] | None = None,
    *,
    subject_id: str | None = None,
    document_number: str | None = None,
) -> int:
    """Append one event inside the caller's transaction; returns its sequence number."""
    body = payload or {}
    row = {
        "occurred_at": now(),
        "action": action,
        "actor_role": actor.role.value,
        "actor_user": actor.user,
        "actor_unit": actor.unit,
        "purpose": actor.purpose.value if actor.purpose else None,
        "object_type": object_type,
        "object_id": object_id,
        "subject_id": subject_id,
        "document_number": document_number,
        "payload": body,
        "payload_hash": hashlib.sha256(canonical_json(body)).hexdigest(),
    }
    result = conn.execute(insert(events).values(**row).returning(events.c.seq))
    return int(result.scalar_one())


def recent(conn: Connection, limit: int = 50, object_type: str | None = None) -> list[dict[str, Any]]:
    query = select(events).order_by(events.c.seq.desc()).limit(limit)
    if object_type:
        query = query.where(events.c.object_type == object_type)
    return [dict(r._mapping) for r in conn.execute(query)]
