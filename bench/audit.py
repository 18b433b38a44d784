"""Benchmark: the audit log in the store (xinyong.audit.log) on SQLite, against plain inserts in the same run.

    .venv/bin/python bench/audit.py            # appends 50,000; verify 1,000,000; proofs at 10,000,000
    .venv/bin/python bench/audit.py --quick    # appends 10,000; verify 100,000; proofs at 1,000,000
    .venv/bin/python bench/audit.py --appends 50000 --verify 200000 --tree 2000000

* **Appends**: ``events.append`` (the event service: the payload's hash, the event row, then its
  leaf, the completed subtree nodes and the frontier, in the same transaction) in transactions of
  1,000 events through ``Store.write()`` on a SQLite file, against the **baseline**: plain inserts of
  the same event rows (one prepared ``INSERT`` per row with the columns' bind processing, as
  ``events.append`` issues it, the same transactions of 1,000, no log) into another fresh file. Also
  shown: the event service with the log switched off, to separate the log's own cost, and CPU time
  per event (the machine is shared: wall time suffers from other processes). Each mode runs in
  rounds, alternating, and the best round counts. Target: appends_per_s >= 10,000.
* **Verify**: ``log.verify`` (every leaf recomputed from its event, every payload against its hash,
  every subtree node, the frontier and a signed head) over N entries. The N events, leaves and nodes
  are bulk-loaded (events in ``seq`` order, leaves from ``log.leaf_entry``, nodes from
  ``MerkleAccumulator``'s ``on_node``): appending 1,000,000 events one by one would take minutes and
  is measured above; the verification finds the bulk-built log intact, which checks the loader.
  ``verify_s_per_million`` = seconds x 1,000,000 / N. Target: under 30 s for 1,000,000.
* **Proofs**: a tree of ``--tree`` leaves built directly in the SQLite tables (``audit_leaves``,
  ``audit_nodes``, ``audit_state``, one signed head; no events: a proof does not read them), then
  ``log.inclusion_proof`` for random events, end to end (leaf lookup, the head, a check of the head's
  root against the stored nodes, the proof), each checked by the standalone verifier.
  ``proof_len`` is the longest proof in hashes, ``proof_ms`` the mean time per proof, ``n`` the tree
  size. Both grow with log2(n).

The last line of output is the machine-readable ``RESULT ...`` line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402  (after the path set-up)

from xinyong.audit import log, merkle, signing, verifier  # noqa: E402
from xinyong.domain.actor import Actor  # noqa: E402
from xinyong.domain.enums import Purpose  # noqa: E402
from xinyong.services import events  # noqa: E402
from xinyong.store import Store  # noqa: E402
from xinyong.store.dialect import bulk_insert  # noqa: E402
from xinyong.store.engine import make_engine  # noqa: E402
from xinyong.store.migrate import upgrade  # noqa: E402
from xinyong.store.tables import audit_leaves, audit_nodes, audit_state  # noqa: E402
from xinyong.store.tables import events as events_table  # noqa: E402

SEED = 20261128
PER_TX = 1000
ROUNDS = 3
PROOFS = 200
ACTIONS = ("check:query", "record:create", "list:transition", "objection:decide", "repair:decide")
EVENT_COLUMNS = [c.name for c in events_table.columns if c.name != "seq"]


def say(message: str) -> None:
    print(message, flush=True)


def fresh_store(directory: Path, name: str) -> Store:
    engine = make_engine(f"sqlite:///{directory / name}")
    upgrade(engine)
    return Store(engine)


# --------------------------------------------------------------------------------------------------
# Appends


def event_args(n: int, rng: random.Random) -> list[tuple[Actor, str, str, str, dict[str, Any], str]]:
    """What the services would append: actor, action, object, a small payload, a subject."""
    actor = Actor.operator("bench").with_purpose(Purpose.ADMINISTRATION)
    out = []
    for i in range(n):
        subject = f"S{rng.randrange(10**9):09d}"
        payload = {"query": f"深圳市某某科技有限公司{i % 977}", "page": 1 + i % 5, "hits": rng.randrange(50)}
        out.append((actor, ACTIONS[i % len(ACTIONS)], "subject", subject, payload, subject))
    return out


def row_of(args: tuple[Actor, str, str, str, dict[str, Any], str]) -> dict[str, Any]:
    """The event row ``events.append`` stores for these arguments."""
    actor, action, object_type, object_id, payload, subject = args
    salt = secrets.token_hex(16)
    return {
        "occurred_at": events.now(),
        "action": action,
        "actor_role": actor.role.value,
        "actor_user": actor.user,
        "actor_unit": actor.unit,
        "purpose": actor.purpose.value if actor.purpose else None,
        "object_type": object_type,
        "object_id": object_id,
        "subject_id": subject,
        "document_number": None,
        "payload": payload,
        "payload_hash": events.payload_digest(payload, salt),
        "payload_salt": salt,
    }


def run_appends(store: Store, args: list[Any]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(args), PER_TX):
        with store.write() as conn:
            for actor, action, object_type, object_id, payload, subject in args[first : first + PER_TX]:
                events.append(conn, actor, action, object_type, object_id, payload, subject_id=subject)
    return time.perf_counter() - start, time.process_time() - cpu


def run_baseline(store: Store, rows: list[dict[str, Any]]) -> tuple[float, float]:
    """Plain inserts of the same rows: one prepared INSERT each (the columns' bind processing, as
    ``events.append`` applies it on SQLite), the same transactions, no log."""
    dialect = store.engine.dialect
    columns = list(EVENT_COLUMNS)
    processors = [events_table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    sql = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    start, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(rows), PER_TX):
        with store.write() as conn:
            for row in rows[first : first + PER_TX]:
                values = tuple(
                    row[c] if p is None else p(row[c]) for c, p in zip(columns, processors, strict=True)
                )
                conn.exec_driver_sql(sql, values).lastrowid  # noqa: B018  (fetched, like the seq of an append)
    return time.perf_counter() - start, time.process_time() - cpu


def bench_appends(work: Path, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Best events (rows) per second of wall time, and CPU microseconds per event, per mode."""
    rng = random.Random(SEED)
    args = event_args(n, rng)
    rows = [row_of(a) for a in args]
    stores = {m: fresh_store(work, f"{m}.db") for m in ("log", "nolog", "baseline")}
    best = {m: float("inf") for m in stores}
    best_cpu = {m: float("inf") for m in stores}
    append_leaf = log.append_leaf
    for _ in range(ROUNDS):
        for mode, store in stores.items():
            if mode == "baseline":
                seconds, cpu = run_baseline(store, rows)
            else:
                log.append_leaf = append_leaf if mode == "log" else (lambda *a, **k: 0)  # type: ignore[assignment]
                try:
                    seconds, cpu = run_appends(store, args)
                finally:
                    log.append_leaf = append_leaf
            best[mode] = min(best[mode], seconds)
            best_cpu[mode] = min(best_cpu[mode], cpu)
    report = log.verify(stores["log"], {})
    assert report.ok and report.size == ROUNDS * n, report.summary()
    for store in stores.values():
        store.dispose()
    return {m: n / s for m, s in best.items()}, {m: s * 1e6 / n for m, s in best_cpu.items()}


# --------------------------------------------------------------------------------------------------
# Verification of N entries, bulk-built


def synthetic_rows(n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actor = Actor.operator("bench")
    for i in range(n):
        row = row_of(
            (actor, ACTIONS[i % len(ACTIONS)], "subject", f"S{rng.randrange(10**9):09d}", {"i": i}, "s")
        )
        row["occurred_at"] = start + timedelta(microseconds=37 * i)
        row["seq"] = i + 1
        yield row


def bulk_log(store: Store, n: int, chunk: int = 50_000) -> None:
    """Events 1..n with their leaves, nodes and state, loaded in bulk (what n appends would store)."""
    rng = random.Random(SEED + 1)
    nodes: list[tuple[int, int, bytes]] = []
    acc = merkle.MerkleAccumulator(lambda level, idx, h: nodes.append((level, idx, h)) if level else None)
    columns = ["seq", *EVENT_COLUMNS]
    rows = synthetic_rows(n, rng)
    with store.write() as conn:
        done = 0
        while done < n:
            batch = [next(rows) for _ in range(min(chunk, n - done))]
            # bulk_insert applies the columns' own conversions (the datetime as SQLite text, like appends)
            bulk_insert(conn, events_table, columns, ([r[c] for c in columns] for r in batch))
            leaves = []
            for r in batch:
                h = log.event_leaf_hash(r)
                leaves.append((done, r["seq"], h))
                acc.append(h)
                done += 1
            bulk_insert(conn, audit_leaves, ["leaf_index", "seq", "leaf_hash"], leaves)
            bulk_insert(conn, audit_nodes, ["level", "idx", "hash"], nodes)
            nodes.clear()
        frontier = [h for _, h in acc.frontier()]
        conn.execute(audit_state.delete())
        conn.execute(
            insert(audit_state).values(id=1, size=acc.size, frontier=json.dumps([h.hex() for h in frontier]))
        )


def bench_verify(work: Path, n: int) -> tuple[float, float]:
    store = fresh_store(work, "verify.db")
    start = time.perf_counter()
    bulk_log(store, n)
    build_s = time.perf_counter() - start
    key = signing.generate_private_key()
    log.sign_head(store, key)
    start = time.perf_counter()
    report = log.verify(store, signing.key_ring(key.public_key()))
    seconds = time.perf_counter() - start
    assert report.ok and report.size == n and report.heads_verified == 1, report.summary()
    store.dispose()
    return build_s, seconds


# --------------------------------------------------------------------------------------------------
# Proofs in a large tree


def build_tree(store: Store, n: int, chunk: int = 200_000) -> bytes:
    """audit_leaves (seq = index + 1), audit_nodes and audit_state of an n-leaf tree, written directly."""
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        nodes: list[tuple[int, int, bytes]] = []
        acc = merkle.MerkleAccumulator(lambda level, idx, h: nodes.append((level, idx, h)) if level else None)
        leaf_hash = merkle.leaf_hash
        cur.execute("BEGIN")
        for first in range(0, n, chunk):
            leaves = []
            for i in range(first, min(first + chunk, n)):
                h = leaf_hash(b"audit event %d" % i)
                acc.append(h)
                leaves.append((i, i + 1, h))
            cur.executemany("INSERT INTO audit_leaves (leaf_index, seq, leaf_hash) VALUES (?, ?, ?)", leaves)
            cur.executemany("INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
            nodes.clear()
        frontier = json.dumps([h.hex() for _, h in acc.frontier()])
        cur.execute("DELETE FROM audit_state")
        cur.execute("INSERT INTO audit_state (id, size, frontier) VALUES (1, ?, ?)", (acc.size, frontier))
        cur.execute("COMMIT")
    finally:
        raw.close()
    return acc.root()


def bench_proofs(work: Path, n: int) -> dict[str, float]:
    store = fresh_store(work, "tree.db")
    start = time.perf_counter()
    root = build_tree(store, n)
    build_s = time.perf_counter() - start
    key = signing.generate_private_key()
    sth = log.sign_head(store, key)
    assert sth.head.root == root and sth.head.size == n
    ring = signing.key_ring(key.public_key())
    public = {sth.head.key_id: signing.public_key_to_raw(key.public_key()).hex()}
    rng = random.Random(SEED + 2)
    seqs = [rng.randrange(1, n + 1) for _ in range(PROOFS)] + [1, n]
    times, lengths = [], []
    for seq in seqs:
        t0 = time.perf_counter()
        bundle = log.inclusion_proof(store, seq, public_keys=public)
        times.append(time.perf_counter() - t0)
        proof = bundle["proof"]
        assert isinstance(proof, list)
        lengths.append(len(proof))
        verifier.check_inclusion(bundle, ring)
    with store.read() as conn:
        tree = log.StoredTree(conn)
        merkle.tree_inclusion_proof(tree, n // 3, n)
        reads = tree.reads  # subtrees a proof needs (inclusion_proof reads them in two queries)
    size = (work / "tree.db").stat().st_size
    store.dispose()
    return {
        "build_s": build_s,
        "proof_ms": statistics.mean(times) * 1000,
        "proof_p99_ms": sorted(times)[int(0.99 * (len(times) - 1))] * 1000,
        "proof_len": max(lengths),
        "reads": reads,
        "db_mb": size / 2**20,
    }


def timed(label: str, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    say(f"  ({label}: {time.perf_counter() - start:.1f} s)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="10,000 appends, verify 100,000, proofs at 1,000,000"
    )
    parser.add_argument("--appends", type=int, default=None, help="events appended per round")
    parser.add_argument("--verify", type=int, default=None, help="entries in the log that is verified")
    parser.add_argument("--tree", type=int, default=None, help="tree size for the proofs")
    args = parser.parse_args(argv)
    n_append = args.appends or (10_000 if args.quick else 50_000)
    n_verify = args.verify or (100_000 if args.quick else 1_000_000)
    n_tree = args.tree or (1_000_000 if args.quick else 10_000_000)

    with tempfile.TemporaryDirectory(prefix="xinyong-bench-audit-") as tmp:
        work = Path(tmp)
        say(
            f"appends      {n_append:,} events per round, {PER_TX:,} per transaction, best of {ROUNDS} rounds"
        )
        rates, cpu = timed("appends", lambda: bench_appends(work, n_append))
        ratio = rates["log"] / rates["baseline"]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        say(f"  (load average {load} on {os.cpu_count()} CPUs: wall time includes waiting for a CPU)")
        say(
            f"baseline     {rates['baseline']:>10,.0f} rows/s    {cpu['baseline']:6.1f} us CPU/row"
            "    plain INSERT of the same event rows"
        )
        say(
            f"no log       {rates['nolog']:>10,.0f} events/s  {cpu['nolog']:6.1f} us CPU/event"
            "  events.append with the log switched off"
        )
        say(
            f"with log     {rates['log']:>10,.0f} events/s  {cpu['log']:6.1f} us CPU/event"
            "  events.append: event + leaf + nodes + frontier"
        )
        say(f"ratio        {ratio:>10.2f}            with log / baseline (target: >= 10,000 events/s)")

        build_s, verify_s = bench_verify(work, n_verify)
        per_million = verify_s * 1_000_000 / n_verify
        say(
            f"verify       {n_verify:>10,} entries in {verify_s:.1f} s"
            f" ({per_million:.1f} s per million; log bulk-built in {build_s:.1f} s)"
        )

        proofs = bench_proofs(work, n_tree)
        say(
            f"proofs       {n_tree:>10,} leaves in SQLite"
            f" (built in {proofs['build_s']:.1f} s, {proofs['db_mb']:.0f} MiB):"
            f" {proofs['proof_len']:.0f} hashes at most, {proofs['proof_ms']:.2f} ms mean,"
            f" {proofs['proof_p99_ms']:.2f} ms p99 per inclusion_proof, {proofs['reads']:.0f} node reads"
        )
    say(
        f"RESULT appends_per_s={rates['log']:.0f} baseline_inserts_per_s={rates['baseline']:.0f}"
        f" ratio={ratio:.3f} verify_s_per_million={per_million:.2f} proof_len={proofs['proof_len']:.0f}"
        f" proof_ms={proofs['proof_ms']:.3f} n={n_tree}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
