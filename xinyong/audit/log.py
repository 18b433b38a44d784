"""The audit log in the store: every event is a leaf of an RFC 6962 Merkle tree, appended in the
event's own transaction; tree heads are signed; proofs and a full verification read the store.

Leaf
    The leaf of an event is ``merkle.leaf_hash(leaf_entry(event))``. ``leaf_entry`` is the canonical
    JSON (UTF-8, keys sorted, no spaces) of the event's *envelope*: ``format`` (``xinyong-event/v1``),
    ``seq``, ``occurred_at`` (UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), ``action``, ``actor_role``,
    ``actor_user``, ``actor_unit``, ``purpose``, ``object_type``, ``object_id``, ``subject_id``,
    ``document_number`` and ``payload_hash``. The payload itself is not in the leaf, only its SHA-256,
    so a payload holding personal data can be erased at the end of its retention (set to ``{}``)
    and the log still verifies.

Tables (``xinyong.store.tables``)
    ``audit_leaves(leaf_index, seq, leaf_hash)``  one row per event, in tree order.
    ``audit_nodes(level, idx, hash)``  every perfect subtree of height >= 1 as it completes
    (``merkle.MerkleAccumulator``'s ``on_node``), so proofs read O(log n) rows at any size.
    ``audit_state(id=1, size, frontier)``  the tree's right frontier as JSON (hex hashes, tallest
    first): an append reads it, adds the leaf and writes it back.
    ``audit_tree_heads(size, root, timestamp_ms, key_id, signature)``  signed tree heads.

Serialization
    Appends must follow commit order. ``lock(conn)`` is taken before the event row is inserted:
    on PostgreSQL ``pg_advisory_xact_lock``, held to the end of the transaction, so event ``seq``
    values, leaf indices and commits all follow one order; on SQLite the writer already holds the
    database's write lock (``BEGIN IMMEDIATE`` in ``Store.write()``; in any case the event insert
    takes it before the tree state is read). Appends run on the raw DB-API connection of the
    caller's transaction: one ``SELECT`` of the state, one ``INSERT`` of the leaf, on average one
    node insert, one ``UPDATE`` of the state per event.

Verification (``verify``)
    Recomputes every leaf from the ``events`` rows and compares it with the stored leaf (by
    ``seq``), checks that leaf order follows ``seq`` order, recomputes every stored subtree node and
    the frontier from the stored leaves, and checks every signed tree head: its signature against
    the key ring, and its root against the recomputed tree. Findings name the ``seq`` numbers:
    ``modified`` (an event no longer hashes to its leaf), ``deleted`` (a leaf whose event is gone,
    or a missing leaf), ``inserted`` (an event without a leaf), ``reordered`` (events whose contents
    or leaves moved between positions), ``payload`` (a payload no longer matching its hash; an
    erased payload, ``{}``, is counted, not a finding), ``node``, ``state`` and ``head``.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quote  # what json.dumps uses with ensure_ascii=False
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, and_, func, insert, or_, select
from sqlalchemy.exc import DBAPIError

from xinyong.audit import merkle, signing, verifier
from xinyong.audit.keys import KeyStore
from xinyong.domain.actor import Actor
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.store.engine import Store
from xinyong.store.tables import audit_leaves, audit_nodes, audit_state, audit_tree_heads, events

__all__ = [
    "ENVELOPE",
    "LEAF_FORMAT",
    "Finding",
    "HeadPublisher",
    "StoredTree",
    "VerifyReport",
    "append_leaf",
    "backfill",
    "consistency_proof",
    "current_head",
    "event_leaf_hash",
    "heads",
    "inclusion_proof",
    "latest_head",
    "leaf_entry",
    "lock",
    "rotate_key",
    "sign_head",
    "signed_inclusion_proof",
    "tree_head",
    "verify",
]

LEAF_FORMAT = "xinyong-event/v1"
ENVELOPE = (
    "seq",
    "occurred_at",
    "action",
    "actor_role",
    "actor_user",
    "actor_unit",
    "purpose",
    "object_type",
    "object_id",
    "subject_id",
    "document_number",
    "payload_hash",
)
#: ``pg_advisory_xact_lock`` key of the log: the bytes of "xinyong" as a big-endian integer.
LOCK_KEY = int.from_bytes(b"xinyong", "big")
STATE_ID = 1
_CACHE = "xinyong.audit.frontier"  # key in the DB-API connection's info dict: (JSON text, hashes)
#: Modified events beyond this many are listed but not cross-checked for swaps (a quadratic check).
CROSS_CHECK_LIMIT = 256
BATCH = 10_000
#: ``xinyong.services.events.canonical_json``'s encoding of a payload, as one reusable encoder.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
#: A fresh head is signed on request when the newest is older than this and the log has grown.
HEAD_INTERVAL_S = 600.0

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------------
# Leaves


def utc_iso(value: datetime | str) -> str:
    """``occurred_at`` as the leaf writes it: UTC, microseconds, ``Z``. Naive values are UTC (SQLite
    stores the UTC wall clock that ``events.now()`` gives, as ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # SQLite's stored text
            return f"{value[:10]}T{value[11:]}Z"
        if len(value) == 32 and value[10] == " " and value[19] == "." and value.endswith("+00:00"):
            return f"{value[:10]}T{value[11:26]}Z"  # the same, stored by sqlite3's own adapter
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds") + "Z"


def _json(value: Any) -> str:
    """One JSON value exactly as ``json.dumps(..., ensure_ascii=False)`` writes it."""
    if type(value) is str:
        return _quote(value)
    if value is None:
        return "null"
    if type(value) is int:
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _entry(
    seq: int,
    occurred_at: datetime | str,
    action: str,
    actor_role: str,
    actor_user: str,
    actor_unit: str,
    purpose: str | None,
    object_type: str,
    object_id: str,
    subject_id: str | None,
    document_number: str | None,
    payload_hash: str,
) -> bytes:
    """The canonical JSON of an envelope (parameters in ``ENVELOPE`` order), written out by hand with
    the keys in sorted order: the same bytes as ``json.dumps(envelope, ensure_ascii=False,
    sort_keys=True, separators=(",", ":"))`` (a test holds them equal), three times faster."""
    j = _json
    return (
        f'{{"action":{j(action)},"actor_role":{j(actor_role)},"actor_unit":{j(actor_unit)},'
        f'"actor_user":{j(actor_user)},"document_number":{j(document_number)},"format":"{LEAF_FORMAT}",'
        f'"object_id":{j(object_id)},"object_type":{j(object_type)},"occurred_at":"{utc_iso(occurred_at)}",'
        f'"payload_hash":{j(payload_hash)},"purpose":{j(purpose)},"seq":{int(seq)},'
        f'"subject_id":{j(subject_id)}}}'
    ).encode()


def leaf_entry(row: Mapping[str, Any]) -> bytes:
    """The bytes an event's leaf hashes: canonical JSON of its envelope (keys sorted, UTF-8, no
    spaces; ``format``, the ``ENVELOPE`` fields, ``occurred_at`` in UTC), the payload excluded."""
    return _entry(*[row[name] for name in ENVELOPE])


def event_leaf_hash(row: Mapping[str, Any]) -> bytes:
    return merkle.leaf_hash(leaf_entry(row))


# --------------------------------------------------------------------------------------------------
# Appends


def lock(conn: Connection) -> None:
    """Serialize appends to the end of the caller's transaction (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


@dataclass(frozen=True)
class _Sql:
    read_state: str
    create_state: str
    any_leaf: str
    insert_leaf: str
    insert_node: str
    update_state: str


def _sql(conn: Connection) -> _Sql:
    p = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return _Sql(
        read_state=f"SELECT size, frontier FROM audit_state WHERE id = {STATE_ID}",
        create_state=f"INSERT INTO audit_state (id, size, frontier) VALUES ({STATE_ID}, 0, '[]')",
        any_leaf="SELECT 1 FROM audit_leaves LIMIT 1",
        insert_leaf=f"INSERT INTO audit_leaves (leaf_index, seq, leaf_hash) VALUES ({p}, {p}, {p})",
        insert_node=f"INSERT INTO audit_nodes (level, idx, hash) VALUES ({p}, {p}, {p})",
        update_state=f"UPDATE audit_state SET size = {p}, frontier = {p} WHERE id = {STATE_ID}",
    )


_SQL: dict[str, _Sql] = {}


def _statements(conn: Connection) -> _Sql:
    name = conn.dialect.name
    if name not in _SQL:
        _SQL[name] = _sql(conn)
    return _SQL[name]


def _decode_frontier(size: int, text: str) -> list[bytes]:
    frontier = [bytes.fromhex(h) for h in json.loads(text)]
    if len(frontier) != size.bit_count():
        raise Conflict(
            f"audit_state is inconsistent: {len(frontier)} frontier hashes for {size} leaves",
            rule="audit.state",
        )
    return frontier


def _encode_frontier(frontier: Sequence[bytes]) -> str:
    """JSON list of hex hashes (written by hand: one join instead of the encoder, same text)."""
    return '["' + '","'.join([h.hex() for h in frontier]) + '"]' if frontier else "[]"


def _frontier_root(frontier: Sequence[bytes]) -> bytes:
    if not frontier:
        return merkle.EMPTY_ROOT
    r = frontier[-1]
    for h in reversed(frontier[:-1]):
        r = merkle.node_hash(h, r)
    return r


def _read_state_raw(raw: Any, sql: _Sql) -> tuple[int, str]:
    found = raw.execute(sql.read_state).fetchone()
    if found is not None:
        return int(found[0]), str(found[1])
    if raw.execute(sql.any_leaf).fetchone() is not None:
        raise Conflict("audit_state is missing but the log has leaves", rule="audit.state")
    raw.execute(sql.create_state)
    return 0, "[]"


def _grow(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add ``leaf`` to ``frontier`` (a tree of ``size`` leaves) in place; return the perfect subtrees
    of height >= 1 it completes, as ``(level, idx, hash)``."""
    h, n, level = leaf, size, 0
    nodes: list[tuple[int, int, bytes]] = []
    while n & 1:
        h = merkle.node_hash(frontier.pop(), h)
        n >>= 1
        level += 1
        nodes.append((level, n, h))
    frontier.append(h)
    return nodes


def append_leaf(conn: Connection, row: Mapping[str, Any], *, locked: bool = False) -> int:
    """Append the event ``row`` (its envelope fields and ``seq``) to the log, inside the caller's
    transaction; returns its leaf index. ``locked``: the caller already called ``lock(conn)``.

    Reads the state, inserts the leaf and the completed nodes, then writes the state back, so a
    failing insert (a ``seq`` already in the log) leaves the state as it was. The frontier decoded
    last on this DB-API connection is kept with its JSON text, and reused when the stored text is
    the same.
    """
    if not locked:
        lock(conn)
    sql = _statements(conn)
    pooled = conn.connection
    cur: Any = pooled.driver_connection.cursor()  # type: ignore[union-attr]  # open: in a transaction
    size, text = _read_state_raw(cur, sql)
    cached: tuple[str, list[bytes]] | None = pooled.info.get(_CACHE)
    frontier = list(cached[1]) if cached is not None and cached[0] == text else _decode_frontier(size, text)
    leaf = merkle.leaf_hash(leaf_entry(row))
    nodes = _grow(frontier, size, leaf)
    new_text = _encode_frontier(frontier)
    statement = sql.insert_leaf
    try:
        cur.execute(statement, (size, int(row["seq"]), leaf))
        if nodes:
            statement = sql.insert_node
            cur.executemany(statement, nodes)
        statement = sql.update_state
        cur.execute(statement, (size + 1, new_text))
    except conn.dialect.loaded_dbapi.Error as e:  # raised as SQLAlchemy would (IntegrityError …)
        raise DBAPIError.instance(
            statement, None, e, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from e
    pooled.info[_CACHE] = (new_text, frontier)
    return size


def backfill(conn: Connection) -> int:
    """Append the events recorded after the log's last leaf, in ``seq`` order (the migration that
    creates the log appends every earlier event this way); returns how many were appended."""
    lock(conn)
    _read_state_raw(conn.connection.driver_connection.cursor(), _statements(conn))  # type: ignore[union-attr]  # creates the state row
    after = conn.execute(select(func.max(audit_leaves.c.seq))).scalar()
    query = select(*[events.c[name] for name in ENVELOPE]).order_by(events.c.seq).limit(BATCH)
    count = 0
    while True:
        page = query if after is None else query.where(events.c.seq > after)
        rows = conn.execute(page).mappings().all()
        for r in rows:
            append_leaf(conn, dict(r), locked=True)
        count += len(rows)
        if len(rows) < BATCH:
            return count
        after = rows[-1]["seq"]


# --------------------------------------------------------------------------------------------------
# The stored tree


def _state(conn: Connection) -> tuple[int, list[bytes]]:
    found = conn.execute(
        select(audit_state.c.size, audit_state.c.frontier).where(audit_state.c.id == STATE_ID)
    )
    row = found.first()
    if row is None:
        return 0, []
    return int(row[0]), _decode_frontier(int(row[0]), row[1])


def tree_head(conn: Connection) -> tuple[int, bytes]:
    """``(size, root)`` of the log now, from the stored frontier."""
    size, frontier = _state(conn)
    return size, _frontier_root(frontier)


class StoredTree:
    """``merkle.NodeSource`` over the tables: a perfect subtree is one row (a leaf or a node)."""

    def __init__(self, conn: Connection, size: int | None = None) -> None:
        self._conn = conn
        self._size = _state(conn)[0] if size is None else size
        self.reads = 0

    @property
    def size(self) -> int:
        return self._size

    def subtree_root(self, level: int, index: int) -> bytes:
        self.reads += 1
        if level == 0:
            query = select(audit_leaves.c.leaf_hash).where(audit_leaves.c.leaf_index == index)
        else:
            query = select(audit_nodes.c.hash).where(audit_nodes.c.level == level, audit_nodes.c.idx == index)
        value = self._conn.execute(query).scalar()
        if value is None:
            raise Conflict(
                f"the log lacks subtree ({level}, {index}): run `xinyong audit verify`", rule="audit.nodes"
            )
        return bytes(value)

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        query = (
            select(audit_leaves.c.leaf_hash)
            .where(audit_leaves.c.leaf_index >= start, audit_leaves.c.leaf_index < end)
            .order_by(audit_leaves.c.leaf_index)
        )
        return [bytes(v) for v in self._conn.execute(query).scalars()]

    def fetch(self, compute: Callable[[merkle.NodeSource], _T]) -> _T:
        """Run ``compute`` (root and proof functions of ``merkle``) with every subtree it needs read in
        two queries instead of one each: which subtrees a proof needs depends only on the sizes and
        indices, so a first run against a recorder collects their addresses."""
        recorder = _Recorder(self._size)
        compute(recorder)
        wanted = recorder.wanted
        found: dict[tuple[int, int], bytes] = {}
        leaves = [i for level, i in wanted if level == 0]
        nodes = [(level, i) for level, i in wanted if level > 0]
        if leaves:
            query = select(audit_leaves.c.leaf_index, audit_leaves.c.leaf_hash).where(
                audit_leaves.c.leaf_index.in_(leaves)
            )
            found.update(((0, int(i)), bytes(h)) for i, h in self._conn.execute(query))
        if nodes:
            query = select(audit_nodes.c.level, audit_nodes.c.idx, audit_nodes.c.hash).where(
                or_(*(and_(audit_nodes.c.level == level, audit_nodes.c.idx == i) for level, i in nodes))
            )  # an OR of key lookups: each term uses the primary key (a row-value IN does not, on SQLite)
            found.update(((int(level), int(i)), bytes(h)) for level, i, h in self._conn.execute(query))
        self.reads += 2
        return compute(_Fetched(self._size, found))


class _Recorder:
    """A ``NodeSource`` that notes which subtrees are asked for (and answers with zeros)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.wanted: set[tuple[int, int]] = set()

    def subtree_root(self, level: int, index: int) -> bytes:
        self.wanted.add((level, index))
        return bytes(merkle.HASH_SIZE)


class _Fetched:
    """A ``NodeSource`` over subtrees read beforehand."""

    def __init__(self, size: int, nodes: dict[tuple[int, int], bytes]) -> None:
        self.size = size
        self._nodes = nodes

    def subtree_root(self, level: int, index: int) -> bytes:
        found = self._nodes.get((level, index))
        if found is None:
            raise Conflict(
                f"the log lacks subtree ({level}, {index}): run `xinyong audit verify`", rule="audit.nodes"
            )
        return found


# --------------------------------------------------------------------------------------------------
# Signed tree heads


def _head_from_row(row: Any) -> signing.SignedTreeHead:
    head = signing.TreeHead(int(row.size), bytes(row.root), int(row.timestamp_ms), str(row.key_id))
    return signing.SignedTreeHead(head, bytes(row.signature))


def sign_head(
    store: Store, key: Ed25519PrivateKey, *, timestamp_ms: int | None = None
) -> signing.SignedTreeHead:
    """Sign the log's current size and root with ``key`` and record the signed head."""
    with store.write() as conn:
        lock(conn)
        size, root = tree_head(conn)
        stamp = time.time_ns() // 1_000_000 if timestamp_ms is None else timestamp_ms
        sth = signing.sign_tree_head(key, signing.TreeHead.for_key(size, root, stamp, key.public_key()))
        conn.execute(
            insert(audit_tree_heads).values(
                size=size, root=root, timestamp_ms=stamp, key_id=sth.head.key_id, signature=sth.signature
            )
        )
    return sth


def heads(conn: Connection) -> list[signing.SignedTreeHead]:
    """Every signed head, in the order they were signed."""
    return [_head_from_row(r) for r in conn.execute(select(audit_tree_heads).order_by(audit_tree_heads.c.id))]


def latest_head(conn: Connection, *, covering: int | None = None) -> signing.SignedTreeHead | None:
    """The newest signed head (with more than ``covering`` leaves, when given)."""
    query = select(audit_tree_heads).order_by(audit_tree_heads.c.id.desc()).limit(1)
    if covering is not None:
        query = query.where(audit_tree_heads.c.size > covering)
    row = conn.execute(query).first()
    return _head_from_row(row) if row is not None else None


def _head_at(conn: Connection, size: int, root: bytes) -> signing.SignedTreeHead | None:
    """The newest head signed for ``size``; Conflict when it signs another root than the store's."""
    row = conn.execute(
        select(audit_tree_heads)
        .where(audit_tree_heads.c.size == size)
        .order_by(audit_tree_heads.c.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    sth = _head_from_row(row)
    if not hmac.compare_digest(sth.head.root, root):
        raise Conflict(
            f"the stored log no longer matches the head signed for size {size}: run `xinyong audit verify`",
            rule="audit.head_mismatch",
        )
    return sth


def current_head(
    store: Store, keystore: KeyStore, *, interval_s: float = HEAD_INTERVAL_S
) -> signing.SignedTreeHead:
    """The newest signed head, after signing a fresh one when there is none, or when the log has grown
    since the newest and that head is older than ``interval_s`` (publication at an interval, lazily)."""
    with store.read() as conn:
        newest = latest_head(conn)
        size, _ = tree_head(conn)
    now_ms = time.time_ns() // 1_000_000
    if newest is not None and (
        newest.head.size == size or now_ms - newest.head.timestamp_ms < interval_s * 1000
    ):
        return newest
    return sign_head(store, keystore.signing_key())


class HeadPublisher:
    """Signs a tree head every ``interval_s`` seconds while the log grows (a daemon thread; the app
    starts it at start-up and stops it at shutdown)."""

    def __init__(self, store: Store, keystore: KeyStore, interval_s: float = HEAD_INTERVAL_S) -> None:
        self.store, self.keystore, self.interval_s = store, keystore, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def publish(self) -> signing.SignedTreeHead | None:
        """Sign a head now if the log has grown since the newest one."""
        with self.store.read() as conn:
            newest = latest_head(conn)
            size, _ = tree_head(conn)
        if newest is not None and newest.head.size == size:
            return None
        return sign_head(self.store, self.keystore.signing_key())

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.publish()
            except Exception:  # keep publishing after a transient database error
                logger.exception("could not sign a tree head")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-head-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def rotate_key(store: Store, keystore: KeyStore, actor: Actor) -> signing.SignedTreeHead:
    """Make a new signing key current, record the rotation in the log and sign a head with the new key.

    The old key's public half stays published, so heads it signed still verify."""
    from xinyong.services import events  # the event service appends through this module

    old_id, new_id = keystore.rotate()
    with store.write() as conn:
        events.append(
            conn,
            actor,
            "audit:key_rotated",
            "audit_key",
            new_id,
            {"old_key_id": old_id, "new_key_id": new_id},
        )
    return sign_head(store, keystore.signing_key())


# --------------------------------------------------------------------------------------------------
# Proofs


def _event_row(conn: Connection, seq: int) -> Mapping[str, Any] | None:
    query = select(*[events.c[name] for name in ENVELOPE]).where(events.c.seq == seq)
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def inclusion_proof(
    store: Store,
    seq: int,
    *,
    public_keys: Mapping[str, str] | None = None,
    include_entry: bool = False,
) -> dict[str, object]:
    """An inclusion proof bundle (``xinyong-inclusion-proof/v1``) for the event ``seq``.

    The proof is for the newest signed head that covers the event, which the bundle carries (with the
    signing key's raw public key from ``public_keys``, when known); without such a head it is for the
    current tree, unsigned. ``include_entry`` adds the envelope bytes (``entry_base64``), which name
    the event's subject and actor: for the subject, not for publication.
    """
    with store.read() as conn:
        found = conn.execute(
            select(audit_leaves.c.leaf_index, audit_leaves.c.leaf_hash).where(audit_leaves.c.seq == seq)
        ).first()
        if found is None:
            raise NotFound(f"event {seq} is not in the audit log", rule="audit.no_such_event")
        index, leaf = int(found[0]), bytes(found[1])
        tree = StoredTree(conn)
        sth = latest_head(conn, covering=index)
        size = sth.head.size if sth is not None else tree.size
        if size > tree.size:
            raise Conflict(
                f"a head is signed for {size} entries, the log holds {tree.size}: run `xinyong audit verify`",
                rule="audit.head_mismatch",
            )
        root, proof = tree.fetch(
            lambda t: (merkle.tree_root(t, size), merkle.tree_inclusion_proof(t, index, size))
        )
        if sth is not None and not hmac.compare_digest(root, sth.head.root):
            raise Conflict(
                f"the stored log no longer matches the head signed for size {size}:"
                " run `xinyong audit verify`",
                rule="audit.head_mismatch",
            )
        entry = None
        if include_entry:
            row = _event_row(conn, seq)
            entry = leaf_entry(row) if row is not None else None
            if entry is None or merkle.leaf_hash(entry) != leaf:
                raise Conflict(
                    f"event {seq} no longer matches its leaf: run `xinyong audit verify`",
                    rule="audit.leaf_mismatch",
                )
    key = public_keys.get(sth.head.key_id) if (sth is not None and public_keys) else None
    bundle = verifier.inclusion_bundle(
        leaf_index=index,
        tree_size=size,
        proof=proof,
        root=root,
        leaf_hash=leaf,
        entry=entry,
        signed_tree_head=sth.to_json() if sth is not None else None,
        public_key=key,
    )
    bundle["seq"] = seq
    return bundle


def signed_inclusion_proof(
    store: Store, seq: int, keystore: KeyStore, *, include_entry: bool = False
) -> dict[str, object]:
    """``inclusion_proof`` for a signed head, signing one first when no signed head covers the event."""
    bundle = inclusion_proof(store, seq, public_keys=keystore.public_keys(), include_entry=include_entry)
    if "signed_tree_head" in bundle:
        return bundle
    sign_head(store, keystore.signing_key())
    return inclusion_proof(store, seq, public_keys=keystore.public_keys(), include_entry=include_entry)


def consistency_proof(
    store: Store,
    old_size: int,
    new_size: int | None = None,
    *,
    public_keys: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """A consistency proof bundle (``xinyong-consistency-proof/v1``) from ``old_size`` to ``new_size``
    (default: the newest signed head's size, else the current size), carrying the heads signed for
    exactly those sizes when there are such heads."""
    with store.read() as conn:
        tree = StoredTree(conn)
        if new_size is None:
            newest = latest_head(conn)
            new_size = newest.head.size if newest is not None else tree.size
        if not 0 <= old_size <= new_size <= tree.size:
            raise InvalidInput(
                f"sizes must satisfy 0 <= old ({old_size}) <= new ({new_size}) <= log size ({tree.size})",
                rule="audit.sizes",
            )
        old_root, new_root, proof = tree.fetch(
            lambda t: (
                merkle.tree_root(t, old_size),
                merkle.tree_root(t, new_size),
                merkle.tree_consistency_proof(t, old_size, new_size),
            )
        )
        old_head, new_head = _head_at(conn, old_size, old_root), _head_at(conn, new_size, new_root)
    signed = {h.head.key_id for h in (old_head, new_head) if h is not None}
    key = public_keys.get(next(iter(signed))) if (public_keys and len(signed) == 1) else None
    return verifier.consistency_bundle(
        old_size=old_size,
        new_size=new_size,
        old_root=old_root,
        new_root=new_root,
        proof=proof,
        old_signed_tree_head=old_head.to_json() if old_head is not None else None,
        new_signed_tree_head=new_head.to_json() if new_head is not None else None,
        public_key=key,
    )


# --------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Finding:
    """One problem ``verify`` found: its kind, the event ``seq`` numbers (and leaf index) it concerns."""

    kind: str  # modified, deleted, inserted, reordered, payload, node, state, head
    message: str
    seqs: tuple[int, ...] = ()
    leaf_index: int | None = None

    def __str__(self) -> str:
        where = ", ".join(f"seq {s}" for s in self.seqs)
        if self.leaf_index is not None:
            where += f"{' ' if where else ''}(leaf {self.leaf_index})"
        return f"{self.kind:<9} {where + ': ' if where else ''}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "seqs": list(self.seqs),
            "leaf_index": self.leaf_index,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    """What ``verify`` checked and every problem it found."""

    size: int = 0
    events: int = 0
    heads: int = 0
    heads_verified: int = 0
    erased: int = 0
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def seqs(self, kind: str) -> set[int]:
        """The ``seq`` numbers named by findings of ``kind``."""
        return {s for f in self.findings if f.kind == kind for s in f.seqs}

    def add(self, kind: str, message: str, seqs: Sequence[int] = (), leaf_index: int | None = None) -> None:
        self.findings.append(Finding(kind, message, tuple(seqs), leaf_index))

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "events": self.events,
            "heads": self.heads,
            "heads_verified": self.heads_verified,
            "erased_payloads": self.erased,
            "seconds": round(self.seconds, 3),
            "findings": [f.as_dict() for f in self.findings],
        }


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """One consistent view of the store for the whole verification, in one transaction (SQLite: a read
    transaction, a snapshot from its first read; PostgreSQL: REPEATABLE READ)."""
    if store._bound is not None or store.dialect != "postgresql":
        with store.read() as conn:
            conn.exec_driver_sql("SELECT 1")  # begins the transaction that the raw scans below join
            yield conn
        return
    with store.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.exec_driver_sql("SELECT 1")
            yield conn


def _scan(conn: Connection, sql: str) -> Iterator[Any]:
    """Rows of ``sql`` straight from the DB-API cursor, in batches (a server-side cursor on
    PostgreSQL), inside the connection's transaction: the big scans skip SQLAlchemy's row layer."""
    raw: Any = conn.connection.driver_connection
    postgres = conn.dialect.name == "postgresql"
    cur = raw.cursor(name=f"xinyong_audit_{next(_cursor_ids)}") if postgres else raw.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(BATCH):
            yield from rows
    finally:
        cur.close()


_cursor_ids = itertools.count()


class _Levels:
    """Every perfect subtree hash recomputed from the stored leaves: one ``bytearray`` per level."""

    def __init__(self, leaves: bytearray) -> None:
        self.rows = [leaves]
        sha256 = hashlib.sha256
        row = leaves
        while len(row) >= 2 * merkle.HASH_SIZE:
            up = bytearray()
            for i in range(0, len(row) - 2 * merkle.HASH_SIZE + 1, 2 * merkle.HASH_SIZE):
                up += sha256(b"\x01" + row[i : i + 2 * merkle.HASH_SIZE]).digest()
            self.rows.append(up)
            row = up

    @property
    def size(self) -> int:
        return len(self.rows[0]) // merkle.HASH_SIZE

    def count(self, level: int) -> int:
        return len(self.rows[level]) // merkle.HASH_SIZE if level < len(self.rows) else 0

    def subtree_root(self, level: int, index: int) -> bytes:
        return bytes(self.rows[level][index * merkle.HASH_SIZE : (index + 1) * merkle.HASH_SIZE])

    def frontier(self) -> list[bytes]:
        n = self.size
        out = []
        start = 0
        for level in range(n.bit_length() - 1, -1, -1):
            if n >> level & 1:
                out.append(self.subtree_root(level, start >> level))
                start += 1 << level
        return out


def verify(
    store: Store,
    keys: Mapping[str, Ed25519PublicKey] | None = None,
    *,
    check_payloads: bool = True,
) -> VerifyReport:
    """Recompute the log from the store and check it against itself and every signed tree head.

    ``keys`` is the key ring (``{key_id: public key}``) to check head signatures with: every key the
    log has used. ``check_payloads`` also checks each payload against its ``payload_hash`` (an
    erased payload, ``{}``, is counted in ``erased``).
    """
    started = time.perf_counter()
    report = VerifyReport()
    with _snapshot(store) as conn:
        leaves, order = _check_leaf_order(conn, report)
        _check_events(conn, report, check_payloads)
        levels = _Levels(leaves)
        report.size = levels.size
        _check_nodes(conn, report, levels, order)
        _check_state(conn, report, levels)
        _check_heads(conn, report, levels, order, keys or {})
    report.findings.sort(key=lambda f: (not f.seqs, min(f.seqs, default=0), f.kind))
    report.seconds = time.perf_counter() - started
    return report


def _check_leaf_order(conn: Connection, report: VerifyReport) -> tuple[bytearray, list[int]]:
    """Stored leaves in tree order: contiguous indices, and ``seq`` increasing with the index."""
    leaves = bytearray()
    order: list[int] = []
    gapped = False
    sql = "SELECT leaf_index, seq, leaf_hash FROM audit_leaves ORDER BY leaf_index"
    for index, seq, leaf in _scan(conn, sql):
        if index != len(order):
            gapped = True
            before = order[-1] if order else None
            report.add(
                "deleted",
                f"leaves {len(order)}..{index - 1} are missing (after seq {before}, before seq {seq})",
                leaf_index=len(order),
            )
        if len(leaf) != merkle.HASH_SIZE:
            report.add("modified", f"the stored leaf hash is {len(leaf)} bytes, not 32", [seq], index)
            leaf = bytes(merkle.HASH_SIZE)  # keeps the other leaves in place
        leaves += leaf
        order.append(int(seq))
    if any(order[i] <= order[i - 1] for i in range(1, len(order))):
        keep = _longest_increasing(order)
        for i, seq in enumerate(order):
            if i not in keep:
                report.add(
                    "reordered",
                    "the leaf sits out of seq order: entries were moved in the tree",
                    [seq],
                    leaf_index=None if gapped else i,
                )
    return leaves, order


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """Indices of one longest strictly increasing subsequence (the entries that did not move)."""
    tails: list[int] = []
    tail_at: list[int] = []
    parent = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_at.append(i)
        else:
            tails[k] = v
            tail_at[k] = i
        parent[i] = tail_at[k - 1] if k else -1
    out: set[int] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        out.add(i)
        i = parent[i]
    return out


@dataclass
class _Mismatch:
    seq: int
    leaf_index: int
    stored: bytes
    recomputed: bytes
    row: dict[str, Any]


def _check_events(conn: Connection, report: VerifyReport, check_payloads: bool) -> None:
    """Merge the events and the leaves by ``seq``: every event has its leaf and hashes to it."""
    width = len(ENVELOPE)
    columns = ", ".join(ENVELOPE) + (", payload, payload_salt" if check_payloads else "")
    event_rows = _scan(conn, f"SELECT {columns} FROM events ORDER BY seq")
    leaf_rows = _scan(conn, "SELECT seq, leaf_index, leaf_hash FROM audit_leaves ORDER BY seq")
    mismatched: list[_Mismatch] = []
    stored_by_seq: dict[int, bytes] = {}
    ev = next(event_rows, None)
    lf = next(leaf_rows, None)
    leaf_hash, loads, canonical, sha256 = merkle.leaf_hash, json.loads, _CANONICAL.encode, hashlib.sha256
    while ev is not None or lf is not None:
        if lf is None or (ev is not None and ev[0] < lf[0]):
            assert ev is not None
            report.events += 1
            report.add("inserted", "an event without a leaf: it was added outside the log", [ev[0]])
            ev = next(event_rows, None)
            continue
        if ev is None or lf[0] < ev[0]:
            report.add("deleted", "the log has a leaf for this event, but the event is gone", [lf[0]], lf[1])
            lf = next(leaf_rows, None)
            continue
        report.events += 1
        stored = bytes(lf[2])
        recomputed = leaf_hash(_entry(*ev[:width]))
        if recomputed != stored:
            row = dict(zip(ENVELOPE, ev[:width], strict=True))
            mismatched.append(_Mismatch(ev[0], lf[1], stored, recomputed, row))
            stored_by_seq[ev[0]] = stored
        elif check_payloads:
            payload = ev[width]
            if isinstance(payload, str):
                payload = loads(payload)
            salt = bytes.fromhex(ev[width + 1]) if ev[width + 1] else b""  # salted since revision 0006
            if sha256(salt + canonical(payload).encode()).hexdigest() != ev[width - 1]:
                if payload == {}:
                    report.erased += 1
                else:
                    report.add("payload", "the payload no longer matches its payload_hash", [ev[0]])
        ev = next(event_rows, None)
        lf = next(leaf_rows, None)
    _classify_mismatches(report, mismatched, stored_by_seq)


def _classify_mismatches(report: VerifyReport, mismatched: list[_Mismatch], stored: dict[int, bytes]) -> None:
    """Tell moved entries (contents or leaves swapped between positions) from modified ones."""
    moved: dict[int, int] = {}  # seq -> seq whose recorded entry it now holds
    if len(mismatched) <= CROSS_CHECK_LIMIT:
        by_recomputed = {m.recomputed: m.seq for m in mismatched}
        for m in mismatched:
            for o in mismatched:
                if o.seq == m.seq:
                    continue
                if event_leaf_hash({**m.row, "seq": o.seq}) == stored[o.seq]:
                    moved[m.seq] = o.seq  # row m holds the contents recorded for `o`
                    break
            else:
                if m.stored in by_recomputed and by_recomputed[m.stored] != m.seq:
                    moved[m.seq] = by_recomputed[m.stored]  # the leaf of m is another event's leaf
    reported: set[int] = set()
    for m in mismatched:
        if m.seq in reported:
            continue
        other = moved.get(m.seq)
        if other is not None and moved.get(other) == m.seq:
            report.add("reordered", f"seq {m.seq} and seq {other} were swapped", sorted((m.seq, other)))
            reported.update((m.seq, other))
        elif other is not None:
            report.add("reordered", f"holds the entry recorded for seq {other}", [m.seq], m.leaf_index)
            reported.add(m.seq)
        else:
            report.add(
                "modified",
                f"the event no longer hashes to its leaf (stored {m.stored.hex()[:16]}…,"
                f" recomputed {m.recomputed.hex()[:16]}…)",
                [m.seq],
                m.leaf_index,
            )
            reported.add(m.seq)


def _leaf_seqs(order: Sequence[int], start: int, end: int) -> list[int]:
    return list(order[max(start, 0) : min(end, len(order))])


def _check_nodes(conn: Connection, report: VerifyReport, levels: _Levels, order: Sequence[int]) -> None:
    """Every stored subtree node equals the one recomputed from the stored leaves, none missing."""
    bad: set[tuple[int, int]] = set()
    seen = [0] * (len(levels.rows) + 1)
    for level, idx, h in _scan(conn, "SELECT level, idx, hash FROM audit_nodes ORDER BY level, idx"):
        if level < 1 or idx >= levels.count(level):
            report.add("node", f"stored node ({level}, {idx}) is beyond the tree of {levels.size} leaves")
            continue
        seen[level] += 1
        if bytes(h) != levels.subtree_root(level, idx):
            bad.add((level, idx))
    for level in range(1, len(levels.rows)):
        if seen[level] != levels.count(level):
            report.add(
                "node", f"level {level} has {seen[level]} stored nodes, the leaves make {levels.count(level)}"
            )
    for level, idx in sorted(bad):
        if level > 1 and ((level - 1, 2 * idx) in bad or (level - 1, 2 * idx + 1) in bad):
            continue  # follows from a mismatch below
        first, last = idx << level, (idx + 1) << level
        report.add(
            "node",
            f"stored node ({level}, {idx}) differs from the hash of leaves {first}..{last - 1}:"
            " leaves or nodes were rewritten",
            _leaf_seqs(order, first, last) if level == 1 else [],
            leaf_index=first,
        )


def _check_state(conn: Connection, report: VerifyReport, levels: _Levels) -> None:
    row = conn.execute(
        select(audit_state.c.size, audit_state.c.frontier).where(audit_state.c.id == STATE_ID)
    ).first()
    if row is None:
        if levels.size:
            report.add("state", "audit_state is missing")
        return
    if int(row[0]) != levels.size:
        report.add("state", f"audit_state says {row[0]} leaves, the log holds {levels.size}")
        return
    if json.loads(row[1]) != [h.hex() for h in levels.frontier()]:
        report.add("state", "audit_state's frontier differs from the one recomputed from the leaves")


def _check_heads(
    conn: Connection,
    report: VerifyReport,
    levels: _Levels,
    order: Sequence[int],
    keys: Mapping[str, Ed25519PublicKey],
) -> None:
    """Every signed head: a valid signature by a known key, and the root of the stored tree."""
    good_sizes = [0]
    for sth in heads(conn):
        report.heads += 1
        head = sth.head
        when = datetime.fromtimestamp(head.timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        label = f"head for size {head.size} signed {when} by key {head.key_id}"
        if head.key_id not in keys:
            report.add("head", f"{label}: the key is not in the key ring")
            continue
        if not signing.verify_tree_head(keys, sth):
            report.add("head", f"{label}: the signature does not verify")
            continue
        if head.size > levels.size:
            report.add(
                "head",
                f"{label}: the log holds only {levels.size} leaves;"
                f" entries {levels.size}..{head.size - 1} were removed",
                leaf_index=levels.size,
            )
            continue
        if not hmac.compare_digest(merkle.tree_root(levels, head.size), head.root):
            below = max(s for s in good_sizes if s <= head.size)
            seqs = _leaf_seqs(order, below, head.size)
            span = f"seq {seqs[0]}..{seqs[-1]}" if seqs else "none"
            report.add(
                "head",
                f"{label}: the stored tree has another root; the change lies in leaves"
                f" {below}..{head.size - 1} ({span})",
                leaf_index=below,
            )
            continue
        good_sizes.append(head.size)
        report.heads_verified += 1
