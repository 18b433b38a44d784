"""The driver-level transactions of hot paths (Store.driver_read / driver_write) and the group
writer's driver inserts on SQLite: same results, same errors and same stored values as the
SQLAlchemy paths, and no connection lost from the pool."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, exc, insert, select, text
from store_helpers import screening_row, store_with_party

from xinyong.store import Store
from xinyong.store.engine import SPARE_CONNECTIONS, create_store
from xinyong.store.groupcommit import _writer, insert_row
from xinyong.store.tables import relying_parties, screenings


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Iterator[Store]:
    yield from store_with_party(engine, tmp_path, "drv", "driver test")


def test_a_read_sees_committed_rows_and_its_connection_is_kept_as_a_spare(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]
    mark = "%s" if store.dialect == "postgresql" else "?"
    seen = []
    for _ in range(3):
        with store.driver_read() as raw:
            cursor = raw.cursor()
            cursor.execute(f"SELECT name FROM relying_parties WHERE code = {mark}", (party,))
            assert cursor.fetchall() == [("driver test",)]
            seen.append(id(raw))
    assert len(set(seen)) == 1  # the same connection, handed out again
    assert store.idle_connections >= 1


def test_a_driver_error_is_sqlalchemy_s_and_the_connection_goes_back_to_the_pool(store: Store) -> None:
    pool = store.engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]
    wrong = exc.ProgrammingError if store.dialect == "postgresql" else exc.OperationalError
    with pytest.raises(wrong), store.driver_read() as raw:
        raw.cursor().execute("SELECT no_such_column FROM relying_parties")
    assert pool.checkedout() <= before  # type: ignore[attr-defined]
    with store.driver_read() as raw:  # a clean connection afterwards
        cursor = raw.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]


def test_a_driver_write_commits_or_rolls_back_whole(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]
    mark = "%s" if store.dialect == "postgresql" else "?"
    update = f"UPDATE relying_parties SET name = {mark} WHERE code = {mark}"
    with pytest.raises(RuntimeError), store.driver_write() as raw:
        raw.cursor().execute(update, ("changed", party))
        raise RuntimeError("stop")
    with pytest.raises(exc.IntegrityError), store.driver_write() as raw:  # the driver's, as SQLAlchemy's
        raw.cursor().execute(update, ("changed", party))
        raw.cursor().execute(
            f"INSERT INTO relying_parties (code, name, purposes, active, created_at)"
            f" SELECT code, name, purposes, active, created_at FROM relying_parties WHERE code = {mark}",
            (party,),
        )  # the same code again
    assert _name(store, party) == "driver test"
    with store.driver_write() as raw:
        raw.cursor().execute(update, ("kept", party))
    assert _name(store, party) == "kept"


def _name(store: Store, party: str) -> str:
    with store.read() as conn:
        query = select(relying_parties.c.name).where(relying_parties.c.code == party)
        return str(conn.execute(query).scalar())


def test_a_bound_store_has_no_driver_write(engine: Engine) -> None:
    with engine.connect() as conn:
        bound = Store(engine, connection=conn)
        with pytest.raises(RuntimeError, match="bound"), bound.driver_write():
            pass


def test_a_small_pool_keeps_no_spares(tmp_path: Path) -> None:
    store = create_store(f"sqlite:///{tmp_path / 'small.db'}", pool_size=SPARE_CONNECTIONS, max_overflow=0)
    try:
        with store.driver_read() as raw:
            raw.execute("SELECT 1")
        assert store.engine.pool.checkedin() == 1  # type: ignore[attr-defined]  # back in the pool
        with store.read() as conn:  # so a read never waits on a spare
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        store.dispose()


def test_the_group_writer_s_driver_inserts_store_what_sqlalchemy_stores(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]
    row = screening_row(party, 1)
    assert _writer(store, screenings)._driver.takes([row])  # the driver path writes it
    by_writer = insert_row(store, screenings, row)
    with store.write() as conn:
        by_sqlalchemy = conn.execute(insert(screenings).returning(screenings.c.id).values(**row)).scalar_one()
    with store.read() as conn:
        stored = {
            r.id: tuple(r)[1:]
            for r in conn.execute(
                text(
                    "SELECT id, party_code, purpose, measure, screened_on, recorded_at, mode, total,"
                    " restricted, identifiers, results FROM screenings WHERE id IN (:a, :b)"
                ),
                {"a": by_writer, "b": by_sqlalchemy},
            )
        }
    assert stored[by_writer] == stored[by_sqlalchemy]  # the same text of dates and times, bytes, numbers
    with store.read() as conn:
        rows = conn.execute(select(screenings).where(screenings.c.party_code == party))
        back = {r.id: tuple(r)[1:] for r in rows}
    assert back[by_writer] == back[by_sqlalchemy] and back[by_writer][3] == row["screened_on"]


def test_a_write_now_starts_only_when_nothing_would_make_it_wait(tmp_path: Path) -> None:
    path = tmp_path / "now.db"
    store = create_store(f"sqlite:///{path}")
    try:
        with store.write() as conn:
            conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer
        started = time.monotonic()
        with store.driver_write_now() as raw:
            assert raw is None
        assert time.monotonic() - started < 0.5  # no busy handler's wait
        holder.execute("ROLLBACK")
        inside, done = threading.Event(), threading.Event()

        def write_elsewhere() -> None:
            with store.write():  # another thread of this process writes
                inside.set()
                done.wait(10)

        other = threading.Thread(target=write_elsewhere)
        other.start()
        inside.wait(10)
        with store.driver_write_now() as raw:
            assert raw is None
        done.set()
        other.join()
        with store.driver_write_now() as raw:
            assert raw is not None
            raw.execute("INSERT INTO t VALUES (1)")
        assert holder.execute("SELECT count(*) FROM t").fetchone() == (1,)  # committed
        assert raw.execute("PRAGMA busy_timeout").fetchone() == (30_000,)  # the handler is back
    finally:
        store.dispose()


def test_a_failed_read_gives_its_connection_back_as_the_pool_handed_it_out(engine: Engine) -> None:
    store = create_store(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        with pytest.raises(exc.DBAPIError), store.driver_read() as raw:
            raw.cursor().execute("SELECT no_such_column FROM relying_parties")
        fairy = store.engine.raw_connection()  # the pool's only connection: the one that failed
        try:
            raw = fairy.driver_connection
            if store.dialect == "postgresql":
                assert raw.autocommit is False  # else SQLAlchemy's transactions would commit each statement
            else:
                assert not raw.in_transaction
        finally:
            fairy.close()
    finally:
        store.dispose()
