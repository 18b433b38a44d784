"""SQLite's write lock taken in short steps (``begin_immediate``): a writer waits for another
connection's transaction and gets the lock when it ends; past the timeout it gets SQLite's error."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from xinyong.store.engine import begin_immediate, create_store


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "lock.db"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (n INTEGER)")
    con.close()
    return path


def test_a_writer_waits_for_the_lock_and_gets_it_when_released(tmp_path: Path) -> None:
    path = _db(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.2, lambda: holder.execute("COMMIT"))
    release.start()
    waiter = sqlite3.connect(path, isolation_level=None)
    begin_immediate(waiter, 10_000)
    try:
        assert waiter.in_transaction
        assert waiter.execute("SELECT count(*) FROM t").fetchone() == (1,)  # after the holder's commit
        waiter.execute("INSERT INTO t VALUES (2)")
        waiter.execute("COMMIT")
    finally:
        release.join()
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (10_000,)  # the handler is restored


def test_past_the_timeout_the_lock_error_is_raised(tmp_path: Path) -> None:
    path = _db(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(waiter, 50)
    assert not waiter.in_transaction
    assert waiter.execute("PRAGMA busy_timeout").fetchone() == (50,)
    holder.execute("ROLLBACK")


def test_store_writes_from_two_stores_on_one_file_all_land(tmp_path: Path) -> None:
    url = f"sqlite:///{_db(tmp_path)}"
    stores = [create_store(url), create_store(url)]  # two engines: as two worker processes would be

    def work(k: int) -> None:
        for i in range(50):
            with stores[k % 2].write() as conn:
                conn.exec_driver_sql(f"INSERT INTO t VALUES ({k * 100 + i})")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    with stores[0].read() as conn:
        assert conn.exec_driver_sql("SELECT count(*), count(DISTINCT n) FROM t").one() == (200, 200)
    for s in stores:
        s.dispose()


def test_idle_connections_counts_the_pool(tmp_path: Path) -> None:
    store = create_store(f"sqlite:///{_db(tmp_path)}", pool_size=1, max_overflow=0)
    try:
        with store.read():
            pass
        assert store.idle_connections == 1  # returned to the pool
        with store.read():
            assert store.idle_connections == 0  # the only one is in use: the screening API goes to a thread
    finally:
        store.dispose()
