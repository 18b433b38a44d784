"""WAL checkpoints off the commit path (xinyong.store.checkpoint): commits never checkpoint, the
background thread does once the log has grown, and a disposed store's file is let go."""

from __future__ import annotations

import time
from pathlib import Path

from xinyong.store.checkpoint import CHECKPOINTER, WAL_BYTES
from xinyong.store.engine import create_store


def _fill(store: object, megabytes: int) -> None:
    with store.write() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS blobs (b BLOB)")
    for _ in range(megabytes * 4):
        with store.write() as conn:  # type: ignore[attr-defined]
            conn.exec_driver_sql("INSERT INTO blobs VALUES (randomblob(262144))")


def test_store_connections_do_not_checkpoint_on_commit(tmp_path: Path) -> None:
    store = create_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        CHECKPOINTER.unregister(str((tmp_path / "a.db").resolve()))  # keep the thread off this file
        _fill(store, 6)  # past SQLite's own 1,000-page threshold: it would have checkpointed by now
        assert (tmp_path / "a.db-wal").stat().st_size > WAL_BYTES
    finally:
        store.dispose()


def test_the_checkpointer_copies_a_grown_log_back(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = create_store(f"sqlite:///{path}")
    try:
        _fill(store, 6)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the thread polls every 0.1 s
            if path.stat().st_size > 5 * 1024 * 1024:
                break
            time.sleep(0.1)
        assert path.stat().st_size > 5 * 1024 * 1024  # the blobs are in the database file itself
    finally:
        store.dispose()


def test_a_disposed_store_is_let_go(tmp_path: Path) -> None:
    file = str((tmp_path / "c.db").resolve())
    store = create_store(f"sqlite:///{file}")
    assert file in CHECKPOINTER.registered()
    store.dispose()
    assert file not in CHECKPOINTER.registered()
    assert not CHECKPOINTER.checkpoint(file)


def test_memory_databases_are_not_registered() -> None:
    before = set(CHECKPOINTER.registered())
    store = create_store("sqlite:///:memory:")
    assert set(CHECKPOINTER.registered()) == before
    store.dispose()


def test_a_collected_engine_is_let_go_by_the_checkpointer_thread(tmp_path: Path) -> None:
    import gc

    file = str((tmp_path / "d.db").resolve())
    store = create_store(f"sqlite:///{file}")
    with store.write() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    store.engine.dispose()
    del store, conn
    gc.collect()
    deadline = time.monotonic() + 30
    while file in CHECKPOINTER.registered() and time.monotonic() < deadline:
        time.sleep(0.05)  # the thread unregisters it at its next poll
    assert file not in CHECKPOINTER.registered()


def test_a_checkpointed_log_is_not_checkpointed_again_until_written_and_due(tmp_path: Path) -> None:
    """The log keeps its size after a checkpoint (it is reused), so size alone must not call for
    another one at every poll: only new writes past the threshold or the interval do."""
    from xinyong.store.checkpoint import MAX_INTERVAL_S, Checkpointer

    path = tmp_path / "e.db"
    store = create_store(f"sqlite:///{path}")
    file = str(path.resolve())
    CHECKPOINTER.unregister(file)  # the shared thread stays off this file; a private one decides
    own = Checkpointer()
    own._files[file] = 1  # registered without starting its thread (the test calls it directly)
    try:
        _fill(store, 6)
        assert own.maybe_checkpoint(file, now=100.0)  # grown past the threshold
        assert not own.maybe_checkpoint(file, now=100.1)  # nothing written since
        assert not own.maybe_checkpoint(file, now=100.0 + 2 * MAX_INTERVAL_S)  # still nothing written
        time.sleep(0.01)  # a later modification time
        with store.write() as conn:
            conn.exec_driver_sql("INSERT INTO blobs VALUES (x'00')")
        assert not own.maybe_checkpoint(file, now=100.2)  # written, but small and not yet due
        assert own.maybe_checkpoint(file, now=100.0 + MAX_INTERVAL_S + 0.1)  # due
    finally:
        own.unregister(file)
        store.dispose()
