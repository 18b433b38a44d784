"""Group commit of single-row inserts (screenings): every row stored once, ids returned, errors kept
to the row that caused them — on a real, unbound store (SQLite file, or PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from store_helpers import screening_row as _row
from store_helpers import store_with_party

from xinyong.store import Store, groupcommit
from xinyong.store.groupcommit import GroupWriter, _DriverInsert, expecting, insert_row, insert_row_async
from xinyong.store.tables import screenings


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Iterator[Store]:
    yield from store_with_party(engine, tmp_path, "gc", "group commit test")


def test_concurrent_inserts_are_each_stored_once_with_their_id(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]
    got: dict[int, int] = {}

    def work(t: int) -> None:
        for i in range(40):
            n = t * 1000 + i
            got[n] = insert_row(store, screenings, _row(party, n))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got.values())) == 320
    with store.read() as conn:
        stored = dict(
            conn.execute(
                select(screenings.c.id, screenings.c.identifiers).where(screenings.c.party_code == party)
            ).all()
        )
    assert {i: bytes(stored[i]) for i in got.values()} == {got[n]: f"id-{n}".encode() for n in got}


def test_a_bad_row_fails_alone(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]
    with pytest.raises(IntegrityError):
        insert_row(store, screenings, _row("no-such-party", 1))  # foreign key to relying_parties
    assert insert_row(store, screenings, _row(party, 2)) > 0
    with store.read() as conn:
        count = conn.execute(select(func.count()).where(screenings.c.party_code == party)).scalar()
    assert count == 1


def test_coroutines_awaiting_their_rows_share_commits_and_get_their_ids(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]

    async def many() -> list[int]:
        return await asyncio.gather(*(insert_row_async(store, screenings, _row(party, n)) for n in range(60)))

    ids = asyncio.run(many())
    assert len(set(ids)) == 60
    with store.read() as conn:
        stored = dict(
            conn.execute(
                select(screenings.c.id, screenings.c.identifiers).where(screenings.c.party_code == party)
            ).all()
        )
    assert {i: bytes(stored[i]) for i in ids} == {ids[n]: f"id-{n}".encode() for n in range(60)}


def test_a_bad_row_fails_alone_for_a_coroutine_too(store: Store) -> None:
    party: str = store.party  # type: ignore[attr-defined]

    async def both() -> list[object]:
        return await asyncio.gather(
            insert_row_async(store, screenings, _row("no-such-party", 1)),
            insert_row_async(store, screenings, _row(party, 2)),
            return_exceptions=True,
        )

    bad, good = asyncio.run(both())
    assert isinstance(bad, IntegrityError)
    assert isinstance(good, int) and good > 0


class _Handed:
    """Counts the rows handed to the writer thread (rather than written by the event loop)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        enqueue = GroupWriter._enqueue

        def counted(writer: GroupWriter, item: Any) -> Any:
            self.count += 1
            return enqueue(writer, item)

        monkeypatch.setattr(GroupWriter, "_enqueue", counted)


def test_a_loop_writes_its_coroutines_rows_itself(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite: when the write lock is free; PostgreSQL: always (xinyong.store.pgasync)."""
    party: str = store.party  # type: ignore[attr-defined]
    handed = _Handed(monkeypatch)

    async def many() -> list[int]:
        return await asyncio.gather(*(insert_row_async(store, screenings, _row(party, n)) for n in range(30)))

    ids = asyncio.run(many())
    assert handed.count == 0  # written by the loop, in one statement
    assert ids == list(range(ids[0], ids[0] + 30))  # gathered in order, one statement after another
    with store.read() as conn:
        stored = dict(
            conn.execute(
                select(screenings.c.id, screenings.c.identifiers).where(screenings.c.party_code == party)
            )
            .tuples()
            .all()
        )
    assert {i: bytes(stored[i]) for i in ids} == {
        i: f"id-{n}".encode() for n, i in enumerate(ids)
    }  # its own row
    assert len(stored) == 30


def test_on_sqlite_rows_go_to_the_writer_thread_while_another_connection_writes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store.dialect != "sqlite":
        pytest.skip("SQLite's write lock")
    party: str = store.party  # type: ignore[attr-defined]
    handed = _Handed(monkeypatch)
    holder = sqlite3.connect(store.engine.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as another worker process would
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()

    async def many() -> list[int]:
        return await asyncio.gather(*(insert_row_async(store, screenings, _row(party, n)) for n in range(10)))

    try:
        ids = asyncio.run(many())  # the loop did not wait: the thread waited for the lock
    finally:
        release.join()
        holder.close()
    assert handed.count == 10 and len(set(ids)) == 10
    with store.read() as conn:
        stored = conn.execute(select(func.count()).where(screenings.c.party_code == party)).scalar()
    assert stored == 10


class _Batches:
    """The number of rows of each statement the loops send (PostgreSQL)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        send = _DriverInsert.insert_async

        async def counted(driver: _DriverInsert, conns: Any, rows: list[dict[str, Any]]) -> list[int]:
            self.sizes.append(len(rows))
            return await send(driver, conns, rows)

        monkeypatch.setattr(_DriverInsert, "insert_async", counted)


def _postgres_only(store: Store) -> None:
    if store.async_connections is None:
        pytest.skip("rows said to be coming are waited for on PostgreSQL only")


def test_rows_said_to_be_coming_share_the_statement_of_those_gathered(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five coroutines whose rows come at different times: one statement, not one per row."""
    _postgres_only(store)
    party: str = store.party  # type: ignore[attr-defined]
    monkeypatch.setattr(groupcommit, "GATHER_S", 30.0)  # only the expectations decide
    batches = _Batches(monkeypatch)

    async def one(n: int) -> int:
        with expecting(store, screenings):
            await asyncio.sleep(0.01 * n)  # a lookup that takes a while
        return await insert_row_async(store, screenings, _row(party, n))

    async def five() -> list[int]:
        return await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(5))), 10)

    ids = asyncio.run(five())
    assert batches.sizes == [5]
    assert len(set(ids)) == 5
    with store.read() as conn:
        count = conn.execute(select(func.count()).where(screenings.c.party_code == party)).scalar()
    assert count == 5


def test_a_row_that_does_not_come_holds_nothing_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A coroutine that failed (or had nothing to insert) releases the rows waiting for it at once."""
    _postgres_only(store)
    party: str = store.party  # type: ignore[attr-defined]
    monkeypatch.setattr(groupcommit, "GATHER_S", 30.0)  # a forgotten expectation would hold 30 s

    async def refused() -> None:
        with expecting(store, screenings):
            await asyncio.sleep(0.05)
            raise RuntimeError("refused")

    async def fine() -> int:
        with expecting(store, screenings):
            pass
        return await insert_row_async(store, screenings, _row(party, 1))

    async def both() -> list[object]:
        return await asyncio.wait_for(asyncio.gather(refused(), fine(), return_exceptions=True), 10)

    failed, stored = asyncio.run(both())
    assert isinstance(failed, RuntimeError) and isinstance(stored, int) and stored > 0


def test_gathered_rows_wait_for_a_slow_one_no_longer_than_the_bound(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lookup that hangs holds the others' rows back GATHER_S at most."""
    _postgres_only(store)
    party: str = store.party  # type: ignore[attr-defined]
    monkeypatch.setattr(groupcommit, "GATHER_S", 0.05)
    batches = _Batches(monkeypatch)

    async def run() -> tuple[bool, list[int]]:
        done = asyncio.Event()

        async def slow() -> int:
            with expecting(store, screenings):
                await asyncio.sleep(3)
            done.set()
            return await insert_row_async(store, screenings, _row(party, 1))

        task = asyncio.create_task(slow())
        await asyncio.sleep(0)  # the slow one has said its row is coming
        fast = await asyncio.wait_for(insert_row_async(store, screenings, _row(party, 2)), 2)
        return done.is_set(), [fast, await task]

    slow_finished_first, ids = asyncio.run(run())
    assert not slow_finished_first  # the fast row went after GATHER_S, not after the slow lookup
    assert batches.sizes == [1, 1] and len(set(ids)) == 2


def test_expecting_changes_nothing_on_sqlite(store: Store) -> None:
    if store.async_connections is not None:
        pytest.skip("SQLite")
    party: str = store.party  # type: ignore[attr-defined]

    async def one() -> tuple[dict[Any, int], int]:
        with expecting(store, screenings):
            expected = dict(groupcommit._writer(store, screenings)._expected)
        return expected, await insert_row_async(store, screenings, _row(party, 1))

    expected, new_id = asyncio.run(one())
    assert expected == {} and new_id > 0
