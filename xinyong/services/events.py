"""The append-only event log that every service write goes through.

Each event records who (role, user, unit), when, what (``object:verb``), on which
document, and a payload with its salted SHA-256 (``payload_digest``). Events are never updated
or deleted; the tamper-evident Merkle log is built over them. The salt (16 random bytes, kept
beside the payload and erased with it) stops anyone holding the log from confirming a guessed
short personal payload (an ID number, a name) against its hash.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import weakref
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Dialect, insert, select

from xinyong.audit import log as audit_log
from xinyong.domain.actor import Actor
from xinyong.store.tables import events

# The insert is built once. On SQLite it runs as one prepared statement with the columns' own bind
# processing (what a Core insert stores, at a third of its cost: the audit log's throughput target).
_INSERT = insert(events).returning(events.c.seq)
_COLUMNS = tuple(c.name for c in events.columns if c.name != "seq")
_SQLITE_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_PROCESSORS: weakref.WeakKeyDictionary[Dialect, list[tuple[str, Any]]] = weakref.WeakKeyDictionary()


def canonical_json(payload: Any) -> bytes:
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def payload_digest(payload: Any, salt: str | None) -> str:
    """SHA-256 of ``salt || canonical JSON`` (hex); without a salt (events before revision 0006),
    of the canonical JSON alone."""
    data = canonical_json(payload)
    return hashlib.sha256(bytes.fromhex(salt) + data if salt else data).hexdigest()


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
    """Append one event inside the caller's transaction; returns its sequence number.

    The event also becomes the next leaf of the tamper-evident log (``xinyong.audit.log``), in the
    same transaction; the log's lock is taken first so that sequence numbers follow commit order.
    """
    body = payload or {}
    salt = secrets.token_hex(16)
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
        "payload_hash": payload_digest(body, salt),
        "payload_salt": salt,
    }
    audit_log.lock(conn)
    seq = _insert(conn, row)
    row["seq"] = seq
    audit_log.append_leaf(conn, row, locked=True)
    return seq


def _insert(conn: Connection, row: dict[str, Any]) -> int:
    if conn.dialect.name != "sqlite":
        return int(conn.execute(_INSERT, row).scalar_one())
    values = tuple(row[c] if p is None else p(row[c]) for c, p in _processors(conn.dialect))
    return int(conn.exec_driver_sql(_SQLITE_INSERT, values).lastrowid)


def _processors(dialect: Dialect) -> list[tuple[str, Any]]:
    """Each column with the bind processor a Core insert would apply (datetime text, JSON)."""
    found = _PROCESSORS.get(dialect)
    if found is None:
        found = [(c, events.c[c].type.dialect_impl(dialect).bind_processor(dialect)) for c in _COLUMNS]
        _PROCESSORS[dialect] = found
    return found


def recent(conn: Connection, limit: int = 50, object_type: str | None = None) -> list[dict[str, Any]]:
    query = select(events).order_by(events.c.seq.desc()).limit(limit)
    if object_type:
        query = query.where(events.c.object_type == object_type)
    return [dict(r._mapping) for r in conn.execute(query)]
