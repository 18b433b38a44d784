"""The audit log in the store (xinyong.audit.log): appends, signed heads, proofs checked by the
standalone verifier, and ``verify`` catching and locating every kind of tampering."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from xinyong.api import audit as audit_api
from xinyong.api.app import create_app
from xinyong.audit import log, merkle, signing, verifier
from xinyong.audit.keys import KeyStore
from xinyong.cli_audit import audit_app
from xinyong.domain.actor import Actor
from xinyong.services import events
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store import Store
from xinyong.store.engine import make_engine
from xinyong.store.migrate import upgrade
from xinyong.store.tables import audit_leaves, audit_nodes, audit_state
from xinyong.store.tables import events as events_table

ROOT = Path(__file__).resolve().parents[1]
ENVELOPE_COLUMNS = [c for c in log.ENVELOPE if c != "seq"] + ["payload"]
PG_URL = os.environ.get("XINYONG_TEST_DATABASE_URL", "")


def _append(store: Store, n: int, start: int = 0, per_tx: int = 7) -> list[int]:
    """``n`` events through the event service, ``per_tx`` per transaction; returns their seqs."""
    seqs: list[int] = []
    actor = Actor.operator("alice")
    for first in range(start, start + n, per_tx):
        with store.write() as conn:
            for i in range(first, min(first + per_tx, start + n)):
                seqs.append(
                    events.append(
                        conn,
                        actor,
                        f"test:e{i % 5}",
                        "thing",
                        str(i),
                        {"i": i, "name": f"张三{i}"},
                        subject_id=f"s{i % 3}",
                        document_number=f"DOC-{i}" if i % 2 else None,
                    )
                )
    return seqs


def _leaf_hashes(store: Store) -> list[bytes]:
    with store.read() as conn:
        query = select(audit_leaves.c.leaf_hash).order_by(audit_leaves.c.leaf_index)
        return [bytes(h) for h in conn.execute(query).scalars()]


def _recomputed(store: Store) -> list[bytes]:
    with store.read() as conn:
        rows = conn.execute(select(events_table).order_by(events_table.c.seq)).mappings().all()
    return [log.event_leaf_hash(r) for r in rows]


def _head(store: Store) -> tuple[int, bytes]:
    with store.read() as conn:
        return log.tree_head(conn)


@pytest.fixture
def keystore(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


# --------------------------------------------------------------------------------------------------
# Appends


def test_appends_keep_the_stored_root_equal_to_the_recomputed_tree(platform: Platform) -> None:
    store = platform.store
    _append(store, 150)
    leaves = _leaf_hashes(store)
    assert leaves == _recomputed(store)  # every event, the catalog's own included, has its leaf in order
    size, root = _head(store)
    assert size == len(leaves) and root == merkle.root(leaves)
    with store.read() as conn:
        tree = log.StoredTree(conn)
        assert merkle.tree_root(tree) == root
        assert all(merkle.tree_root(tree, n) == merkle.root(leaves[:n]) for n in (0, 1, 2, 3, 64, 100))
        node_count = conn.execute(select(audit_nodes.c.level)).all()
    assert len(node_count) == size - size.bit_count()  # every perfect subtree of height >= 1, once
    report = log.verify(store, {})
    assert report.ok, report.findings
    assert report.size == report.events == size


def test_the_leaf_holds_the_envelope_and_the_payload_hash_not_the_payload(store: Store) -> None:
    with store.write() as conn:
        seq = events.append(conn, Actor.operator("bob"), "test:x", "thing", "1", {"secret": "身份证"})
    with store.read() as conn:
        row = conn.execute(select(events_table).where(events_table.c.seq == seq)).mappings().one()
    entry = log.leaf_entry(row)
    body = json.loads(entry)
    assert body["format"] == "xinyong-event/v1" and body["seq"] == seq
    assert body["payload_hash"] == row["payload_hash"] and "payload" not in body
    assert "身份证" not in entry.decode() and body["occurred_at"].endswith("Z")
    assert set(body) == set(log.ENVELOPE) | {"format"}


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@given(
    values=st.fixed_dictionaries(
        {
            name: texts
            for name in ("action", "actor_role", "actor_user", "actor_unit", "object_type", "object_id")
        }
        | {name: st.none() | texts for name in ("purpose", "subject_id", "document_number")}
    ),
    seq=st.integers(min_value=1, max_value=2**62),
    micros=st.integers(min_value=0, max_value=10**15),
)
@settings(max_examples=200, deadline=None)
def test_the_leaf_entry_is_the_canonical_json_of_the_envelope(
    values: dict[str, Any], seq: int, micros: int
) -> None:
    when = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    row = {**values, "seq": seq, "occurred_at": when, "payload_hash": "0" * 64}
    expected = {**row, "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "format": log.LEAF_FORMAT}
    canonical = json.dumps(expected, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert log.leaf_entry(row) == canonical
    stored = {**row, "occurred_at": f"{when:%Y-%m-%d %H:%M:%S.%f}"}  # as SQLite stores it
    local = {**row, "occurred_at": when.astimezone(timezone(timedelta(hours=8)))}  # as PostgreSQL may give it
    assert log.leaf_entry(stored) == log.leaf_entry(local) == canonical


def test_a_failed_append_changes_nothing(store: Store) -> None:
    seqs = _append(store, 3)
    before = _head(store)
    with store.write() as conn:
        duplicate = {**_event(conn, seqs[0]), "seq": seqs[0]}
        with pytest.raises(IntegrityError):
            if store.dialect == "sqlite":  # the transaction goes on after a failed statement
                log.append_leaf(conn, duplicate)
            else:
                with conn.begin_nested():
                    log.append_leaf(conn, duplicate)
        assert log.tree_head(conn) == before
    _append(store, 3, start=3)
    assert log.verify(store, {}).ok


def test_an_appended_event_is_stored_as_a_core_insert_stores_it(store: Store) -> None:
    payload = {"名称": "深圳市某某科技有限公司", "n": [1, 2.5, None], "ok": True}
    with store.write() as conn:
        seq = events.append(conn, Actor.operator("bob"), "test:same", "thing", "1", payload, subject_id="s1")
        row = conn.execute(select(events_table).where(events_table.c.seq == seq)).mappings().one()
        core = conn.execute(
            insert(events_table).values({c: row[c] for c in ENVELOPE_COLUMNS}).returning(events_table.c.seq)
        ).scalar_one()
        raw = [
            tuple(r)
            for r in conn.execute(
                text(f"SELECT {', '.join(ENVELOPE_COLUMNS)} FROM events WHERE seq IN (:a, :b) ORDER BY seq"),
                {"a": seq, "b": core},
            )
        ]
    assert raw[0] == raw[1]  # the very same stored values (datetime text, JSON text on SQLite)
    assert row["payload"] == payload


def test_a_rolled_back_append_leaves_no_trace(store: Store) -> None:
    _append(store, 5)
    with pytest.raises(RuntimeError), store.write() as conn:
        events.append(conn, Actor.system(), "test:undone", "thing", "x")
        raise RuntimeError("boom")
    _append(store, 5, start=5)  # the cached state is stale now: the append reads it again
    assert _leaf_hashes(store) == _recomputed(store)
    assert log.verify(store, {}).ok


def test_backfill_appends_events_recorded_outside_the_log(store: Store) -> None:
    _append(store, 3)
    with store.write() as conn:
        for i in range(4):
            conn.execute(insert(events_table).values(**_raw_event(f"late{i}")))
        assert log.verify(store, {}).seqs("inserted")
        assert log.backfill(conn) == 4
    assert _leaf_hashes(store) == _recomputed(store)
    assert log.verify(store, {}).ok


def test_the_migration_puts_earlier_events_into_the_log(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        for i in range(5):
            conn.execute(insert(events_table).values(**_raw_event(f"old{i}")))
    upgrade(engine)
    store = Store(engine)
    assert len(_leaf_hashes(store)) == 5
    assert log.verify(store, {}).ok
    engine.dispose()


# --------------------------------------------------------------------------------------------------
# Signed heads and proofs


def test_every_inclusion_proof_verifies_with_the_standalone_verifier(
    store: Store, keystore: KeyStore
) -> None:
    seqs = _append(store, 37)
    unsigned = log.inclusion_proof(store, seqs[5])
    assert "signed_tree_head" not in unsigned
    assert verifier.check_inclusion(unsigned).startswith("leaf ")
    sth = log.sign_head(store, keystore.signing_key())
    ring = keystore.key_ring()
    for seq in seqs:
        bundle = log.inclusion_proof(store, seq, public_keys=keystore.public_keys())
        assert bundle["tree_size"] == sth.head.size and bundle["seq"] == seq
        assert "signed tree head verified" in verifier.check_inclusion(bundle, ring)
        assert "WARNING" in verifier.check_inclusion(bundle)  # the bundle's own key
    with_entry = log.inclusion_proof(store, seqs[0], include_entry=True)
    assert verifier.check_inclusion(with_entry, ring)
    more = _append(store, 3, start=37)
    fresh = log.signed_inclusion_proof(store, more[-1], keystore)  # signs a head that covers it
    assert fresh["tree_size"] == _head(store)[0]
    assert verifier.check_inclusion(fresh, ring)
    tampered = dict(fresh, leaf_index=int(str(fresh["leaf_index"])) - 1)
    with pytest.raises(verifier.VerificationFailed):
        verifier.check_inclusion(tampered, ring)


def test_consistency_proofs_verify_with_the_standalone_verifier(store: Store, keystore: KeyStore) -> None:
    _append(store, 13)
    old = log.sign_head(store, keystore.signing_key())
    _append(store, 20, start=13)
    new = log.sign_head(store, keystore.signing_key())
    bundle = log.consistency_proof(store, old.head.size, new.head.size, public_keys=keystore.public_keys())
    assert "old_signed_tree_head" in bundle and "new_signed_tree_head" in bundle
    assert "signed tree head verified" in verifier.check_consistency(bundle, keystore.key_ring())
    assert log.consistency_proof(store, old.head.size)["new_size"] == new.head.size  # default: newest head
    for m in range(new.head.size + 1):
        assert verifier.check_consistency(log.consistency_proof(store, m, new.head.size), keystore.key_ring())
    with pytest.raises(Exception, match="sizes must satisfy"):
        log.consistency_proof(store, 5, new.head.size + 1)


def test_the_verifier_command_checks_the_bundles(store: Store, keystore: KeyStore, tmp_path: Path) -> None:
    seqs = _append(store, 21)
    old = log.sign_head(store, keystore.signing_key())
    _append(store, 5, start=21)
    log.sign_head(store, keystore.signing_key())
    pub = tmp_path / "log.pub"
    pub.write_bytes(signing.public_key_to_pem(keystore.signing_key().public_key()))
    files = {
        "inclusion": log.inclusion_proof(store, seqs[9], public_keys=keystore.public_keys()),
        "consistency": log.consistency_proof(store, old.head.size),
    }
    for kind, bundle in files.items():
        path = tmp_path / f"{kind}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "xinyong.audit.verifier", kind, str(path), "--key", str(pub)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("OK: ") and "signed tree head verified" in done.stdout


def test_heads_signed_before_and_after_a_key_rotation_verify(store: Store, keystore: KeyStore) -> None:
    seqs = _append(store, 10)
    first = log.sign_head(store, keystore.signing_key())
    old_id = first.head.key_id
    rotated = log.rotate_key(
        store, keystore, Actor.operator("cli")
    )  # logs the rotation, signs with the new key
    assert rotated.head.key_id != old_id and rotated.head.size == first.head.size + 1
    assert set(keystore.public_keys()) == {old_id, rotated.head.key_id}
    report = log.verify(store, keystore.key_ring())
    assert report.ok and report.heads == report.heads_verified == 2
    only_new = {rotated.head.key_id: keystore.key_ring()[rotated.head.key_id]}
    assert [f.kind for f in log.verify(store, only_new).findings] == ["head"]
    ring = keystore.key_ring()
    bundle = log.inclusion_proof(store, seqs[0], public_keys=keystore.public_keys())
    assert bundle["signed_tree_head"]["key_id"] == rotated.head.key_id  # type: ignore[index]
    assert verifier.check_inclusion(bundle, ring)
    across = log.consistency_proof(
        store, first.head.size, rotated.head.size, public_keys=keystore.public_keys()
    )
    assert "public_key" not in across  # two keys: pin them with --key
    assert verifier.check_consistency(across, ring)


def test_heads_are_published_on_request_and_at_an_interval(store: Store, keystore: KeyStore) -> None:
    _append(store, 4)
    first = log.current_head(store, keystore)  # none yet: signs one
    assert first.head.size == _head(store)[0]
    assert log.current_head(store, keystore) == first  # nothing new
    _append(store, 2, start=4)
    assert log.current_head(store, keystore, interval_s=3600) == first  # grown, but the head is fresh
    fresh = log.current_head(store, keystore, interval_s=0)
    assert fresh.head.size == first.head.size + 2
    publisher = log.HeadPublisher(store, keystore, interval_s=3600)
    assert publisher.publish() is None  # the newest head covers the log
    _append(store, 1, start=6)
    published = publisher.publish()
    assert published is not None and published.head.size == fresh.head.size + 1
    assert log.verify(store, keystore.key_ring()).heads_verified == 3


def test_the_key_store_creates_one_key_and_keeps_retired_public_keys(tmp_path: Path) -> None:
    keystore = KeyStore(tmp_path / "keys")
    assert keystore.known_keys() == []
    key = keystore.signing_key()
    assert signing.key_id(KeyStore(tmp_path / "keys").signing_key().public_key()) == signing.key_id(
        key.public_key()
    )
    assert stat.S_IMODE((tmp_path / "keys" / "signing.pem").stat().st_mode) == 0o600
    old, new = keystore.rotate()
    assert old == signing.key_id(key.public_key()) and new == keystore.current_key_id()
    published = keystore.published()
    assert published["current"] == new
    states = {k["key_id"]: k["current"] for k in published["keys"]}
    assert states == {old: False, new: True}
    for k in published["keys"]:
        assert signing.key_id(signing.load_public_key(k["public_key"].encode())) == k["key_id"]
    assert (tmp_path / "keys" / "public" / f"{old}.pem").exists()
    placed = KeyStore(tmp_path / "other")
    placed.directory.mkdir()
    (placed.directory / "signing.pem").write_bytes(signing.private_key_to_pem(key))  # a key put there by hand
    assert placed.public_keys() == {}
    placed.signing_key()
    assert set(placed.public_keys()) == {old}


# --------------------------------------------------------------------------------------------------
# Tampering: caught and located


def _raw_event(object_id: str, **overrides: Any) -> dict[str, Any]:
    body = {"forged": True}
    row = {
        "occurred_at": events.now(),
        "action": "test:forged",
        "actor_role": "operator",
        "actor_user": "mallory",
        "actor_unit": "",
        "purpose": None,
        "object_type": "thing",
        "object_id": object_id,
        "subject_id": None,
        "document_number": None,
        "payload": body,
        "payload_hash": events.payload_digest(body, None),  # unsalted, as before revision 0006
    }
    row.update(overrides)
    return row


def _flip(value: str) -> str:
    """Change one byte (the last character)."""
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def _event(conn: Any, seq: int) -> dict[str, Any]:
    row = conn.execute(select(events_table).where(events_table.c.seq == seq)).mappings().one()
    return {c: row[c] for c in ENVELOPE_COLUMNS}


def _signed_log(store: Store, keystore: KeyStore, n: int = 40) -> list[int]:
    seqs = _append(store, n)
    log.sign_head(store, keystore.signing_key())
    assert log.verify(store, keystore.key_ring()).ok
    return seqs


def _kinds(report: log.VerifyReport) -> set[str]:
    return {f.kind for f in report.findings}


@pytest.mark.parametrize("column", ["action", "payload_hash"])
def test_changing_one_byte_of_an_event_is_located(store: Store, keystore: KeyStore, column: str) -> None:
    seqs = _signed_log(store, keystore)
    victim = seqs[17]
    with store.write() as conn:
        value = _event(conn, victim)[column]
        conn.execute(update(events_table).where(events_table.c.seq == victim).values({column: _flip(value)}))
    report = log.verify(store, keystore.key_ring())
    assert not report.ok
    assert _kinds(report) == {"modified"} and report.seqs("modified") == {victim}


def test_deleting_an_event_is_located(store: Store, keystore: KeyStore) -> None:
    seqs = _signed_log(store, keystore)
    with store.write() as conn:
        conn.execute(delete(events_table).where(events_table.c.seq == seqs[3]))
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"deleted"} and report.seqs("deleted") == {seqs[3]}


def test_deleting_an_event_and_its_leaf_is_located(store: Store, keystore: KeyStore) -> None:
    seqs = _signed_log(store, keystore)
    with store.write() as conn:
        index = conn.execute(
            select(audit_leaves.c.leaf_index).where(audit_leaves.c.seq == seqs[8])
        ).scalar_one()
        conn.execute(delete(events_table).where(events_table.c.seq == seqs[8]))
        conn.execute(delete(audit_leaves).where(audit_leaves.c.seq == seqs[8]))
    report = log.verify(store, keystore.key_ring())
    gap = next(f for f in report.findings if f.kind == "deleted")
    assert gap.leaf_index == index and f"after seq {seqs[7]}, before seq {seqs[9]}" in gap.message
    assert "head" in _kinds(report)  # the signed tree no longer matches


def test_inserting_an_event_is_located(store: Store, keystore: KeyStore) -> None:
    _signed_log(store, keystore)
    with store.write() as conn:
        forged = conn.execute(insert(events_table).values(**_raw_event("x")).returning(events_table.c.seq))
        seq = int(forged.scalar_one())
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"inserted"} and report.seqs("inserted") == {seq}


def test_swapping_two_events_is_located(store: Store, keystore: KeyStore) -> None:
    seqs = _signed_log(store, keystore)
    a, b = seqs[10], seqs[25]
    with store.write() as conn:
        row_a, row_b = _event(conn, a), _event(conn, b)
        conn.execute(update(events_table).where(events_table.c.seq == a).values(**row_b))
        conn.execute(update(events_table).where(events_table.c.seq == b).values(**row_a))
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"reordered"} and report.seqs("reordered") == {a, b}
    assert "swapped" in report.findings[0].message


def test_reordering_the_leaves_is_located(store: Store, keystore: KeyStore) -> None:
    seqs = _signed_log(store, keystore)
    with store.write() as conn:
        rows = {
            r.leaf_index: r
            for r in conn.execute(select(audit_leaves).where(audit_leaves.c.leaf_index.in_([30, 33])))
        }
        conn.execute(delete(audit_leaves).where(audit_leaves.c.leaf_index.in_([30, 33])))
        for i, j in ((30, 33), (33, 30)):
            conn.execute(
                insert(audit_leaves).values(leaf_index=i, seq=rows[j].seq, leaf_hash=rows[j].leaf_hash)
            )
        moved = {rows[30].seq, rows[33].seq}
    report = log.verify(store, keystore.key_ring())
    assert report.seqs("reordered") == moved
    assert "head" in _kinds(report) and "node" in _kinds(report)  # the tree no longer has the signed root
    assert set(seqs) >= moved


def test_rewriting_an_event_and_its_leaf_is_caught_by_the_nodes_and_the_signed_head(
    store: Store, keystore: KeyStore
) -> None:
    seqs = _signed_log(store, keystore)
    victim = seqs[20]
    with store.write() as conn:
        row = _event(conn, victim)
        row["action"] = "test:rewritten"
        conn.execute(update(events_table).where(events_table.c.seq == victim).values(**row))
        forged = log.event_leaf_hash({**row, "seq": victim})
        conn.execute(update(audit_leaves).where(audit_leaves.c.seq == victim).values(leaf_hash=forged))
        index = conn.execute(
            select(audit_leaves.c.leaf_index).where(audit_leaves.c.seq == victim)
        ).scalar_one()
    report = log.verify(store, keystore.key_ring())
    assert {"node", "head"} <= _kinds(report) <= {"node", "head", "state"}  # state: its frontier too
    node = next(f for f in report.findings if f.kind == "node")
    assert victim in node.seqs and node.leaf_index == index - index % 2  # the pair of leaves under the node
    assert report.heads_verified == 0


def test_truncating_the_log_is_caught_by_the_signed_head(store: Store, keystore: KeyStore) -> None:
    seqs = _signed_log(store, keystore, n=33)
    with store.write() as conn:
        size, _ = log.tree_head(conn)
        keep = size - 3
        conn.execute(delete(events_table).where(events_table.c.seq.in_(seqs[-3:])))
        conn.execute(delete(audit_leaves).where(audit_leaves.c.leaf_index >= keep))
        conn.execute(delete(audit_nodes))  # and rebuild the nodes and state for the shorter tree
        acc = merkle.MerkleAccumulator(
            lambda level, idx, h: (
                level and conn.execute(insert(audit_nodes).values(level=level, idx=idx, hash=h))
            )
        )
        acc.extend(_leaf_hashes(store))
        conn.execute(
            update(audit_state).values(
                size=acc.size, frontier=json.dumps([h.hex() for _, h in acc.frontier()])
            )
        )
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"head"}
    assert "were removed" in report.findings[0].message


def test_a_changed_payload_is_located_and_an_erased_one_is_not_a_problem(
    store: Store, keystore: KeyStore
) -> None:
    seqs = _signed_log(store, keystore)
    with store.write() as conn:
        conn.execute(update(events_table).where(events_table.c.seq == seqs[4]).values(payload={}))
    erased = log.verify(store, keystore.key_ring())
    assert erased.ok and erased.erased == 1  # the leaf holds only the payload's hash
    assert verifier.check_inclusion(log.inclusion_proof(store, seqs[4]), keystore.key_ring())
    with store.write() as conn:
        conn.execute(update(events_table).where(events_table.c.seq == seqs[6]).values(payload={"i": -1}))
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"payload"} and report.seqs("payload") == {seqs[6]}
    assert log.verify(store, keystore.key_ring(), check_payloads=False).ok


def test_a_forged_head_is_caught(store: Store, keystore: KeyStore) -> None:
    _signed_log(store, keystore, n=5)
    with store.write() as conn:
        conn.execute(text("UPDATE audit_tree_heads SET timestamp_ms = timestamp_ms + 1"))
    report = log.verify(store, keystore.key_ring())
    assert _kinds(report) == {"head"} and "signature" in report.findings[0].message


# --------------------------------------------------------------------------------------------------
# Concurrency


def _threads_append(store: Store, threads: int = 4, each: int = 40) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(each):
                with store.write() as conn:
                    events.append(conn, Actor.system(f"t{n}"), "test:w", "thing", f"{n}-{i}", {"i": i})
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []


def _assert_consistent(store: Store, count: int) -> None:
    leaves = _leaf_hashes(store)
    assert len(leaves) == count
    assert leaves == _recomputed(store)  # tree order is seq order
    assert _head(store) == (count, merkle.root(leaves))
    assert log.verify(store, {}).ok


def test_concurrent_appends_on_a_sqlite_file_make_one_consistent_tree(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    upgrade(engine)
    store = Store(engine)
    _threads_append(store)
    _assert_consistent(store, 160)
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs XINYONG_TEST_DATABASE_URL")
def test_concurrent_appends_on_postgresql_make_one_consistent_tree() -> None:
    name = f"xinyong_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        store = Store(engine)
        _threads_append(store)
        _assert_consistent(store, 160)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --------------------------------------------------------------------------------------------------
# Command line and API


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(audit_app, name="audit")
    return app


def test_audit_commands_have_help() -> None:
    runner = CliRunner()
    for args in (
        ["audit", "--help"],
        *(["audit", c, "--help"] for c in ("verify", "prove", "consistency", "sign", "keys", "rotate-key")),
    ):
        result = runner.invoke(_cli(), args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_the_cli_verifies_proves_and_locates_tampering(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"XINYONG_DATA_DIR": str(tmp_path / "data"), "XINYONG_DATABASE_URL": ""}
    cfg = Settings(data_dir=tmp_path / "data", database_url=url)
    platform = Platform.open(cfg)
    seqs = _append(platform.store, 30)
    platform.close()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(_cli(), ["audit", *args, "--database-url", url], env=env)

    signed = run("sign")
    assert signed.exit_code == 0, signed.output
    assert json.loads(signed.output)["size"] >= 30
    ok = run("verify")
    assert ok.exit_code == 0 and "log intact" in ok.output, ok.output

    proof_file = tmp_path / "proof.json"
    proved = run("prove", str(seqs[7]), "--out", str(proof_file), "--entry")
    assert proved.exit_code == 0, proved.output
    ring = KeyStore(tmp_path / "data" / "keys").key_ring()
    assert verifier.check_inclusion(json.loads(proof_file.read_text(encoding="utf-8")), ring)
    _append(Platform.open(cfg).store, 2, start=30)
    assert run("sign").exit_code == 0
    consistent = run("consistency", "10")
    assert consistent.exit_code == 0, consistent.output
    assert verifier.check_consistency(json.loads(consistent.output), ring)
    missing = run("prove", "999999")
    assert missing.exit_code == 1 and "not in the audit log" in missing.output

    engine = make_engine(url)
    with engine.begin() as conn:
        row_a, row_b = _event(conn, seqs[20]), _event(conn, seqs[21])
        conn.execute(update(events_table).where(events_table.c.seq == seqs[20]).values(**row_b))
        conn.execute(update(events_table).where(events_table.c.seq == seqs[21]).values(**row_a))
        conn.execute(update(events_table).where(events_table.c.seq == seqs[5]).values(action="test:e9"))
        conn.execute(delete(events_table).where(events_table.c.seq == seqs[12]))
        forged = conn.execute(insert(events_table).values(**_raw_event("x")).returning(events_table.c.seq))
        forged_seq = int(forged.scalar_one())
    engine.dispose()
    bad = run("verify")
    assert bad.exit_code == 1
    lines = bad.output.splitlines()
    assert any(line.startswith("✗ modified") and f"seq {seqs[5]} " in line for line in lines), bad.output
    assert any(line.startswith("✗ deleted") and f"seq {seqs[12]} " in line for line in lines), bad.output
    assert any(line.startswith("✗ inserted") and f"seq {forged_seq}:" in line for line in lines), bad.output
    assert any(
        line.startswith("✗ reordered") and f"seq {seqs[20]}, seq {seqs[21]}" in line for line in lines
    ), bad.output
    assert "4 problem(s)" in bad.output
    report = json.loads(run("verify", "--json").output)
    assert {f["kind"] for f in report["findings"]} == {"modified", "deleted", "inserted", "reordered"}

    keys = runner.invoke(_cli(), ["audit", "keys", "--json"], env=env)
    assert keys.exit_code == 0 and len(json.loads(keys.output)["keys"]) == 1
    rotated = run("rotate-key")
    assert rotated.exit_code == 0, rotated.output
    listed = runner.invoke(_cli(), ["audit", "keys"], env=env)
    assert "retired" in listed.output and "current" in listed.output


def test_the_api_serves_heads_keys_and_proofs(platform: Platform) -> None:
    seqs = _append(platform.store, 12)
    app = create_app(platform_obj=platform)
    app.include_router(audit_api.router)
    app.include_router(audit_api.well_known)
    with TestClient(app) as client:
        head = client.get("/api/v1/audit/tree-head").json()
        assert head["size"] == _head(platform.store)[0] and head["public_key"]
        keys = client.get("/.well-known/xinyong-keys.json").json()
        assert keys == client.get("/api/v1/audit/keys").json()
        ring = {k["key_id"]: signing.load_public_key(k["public_key"].encode()) for k in keys["keys"]}
        assert verifier.check_sth(head, ring)
        bundle = client.get(f"/api/v1/audit/proof/{seqs[3]}").json()
        assert "entry_base64" not in bundle  # hashes only
        assert "signed tree head verified" in verifier.check_inclusion(bundle, ring)
        _append(platform.store, 3, start=12)
        late = client.get(f"/api/v1/audit/proof/{seqs[-1] + 3}")
        assert late.status_code == 200 and verifier.check_inclusion(late.json(), ring)
        consistency = client.get("/api/v1/audit/consistency", params={"old": 5}).json()
        assert verifier.check_consistency(consistency, ring)
        missing = client.get("/api/v1/audit/proof/99999999")
        assert missing.status_code == 404 and missing.json()["error"]["rule"] == "audit.no_such_event"
        assert client.post("/api/v1/audit/tree-head").status_code == 403
