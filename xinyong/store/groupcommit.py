"""Group commit: many threads' single-row inserts into one table, written in one transaction.

A screening (联合奖惩核查) must be recorded before it is answered, and a relying party sends many
small ones at once. One write transaction per request makes every request wait for the store's
single writer (on SQLite, also across worker processes, through its busy handler's sleeps). Here
requests hand their row to one writer thread per store and table, which inserts everything queued
in one transaction and wakes each request with its row id once committed: the same durability,
one commit for many rows.

An async caller (the screening endpoint, which answers from the event loop) awaits its row with
:func:`insert_row_async`: the writer thread resolves its future through the loop, so the request
takes no thread of the pool while it waits.

Stores bound to an open connection (tests isolating by rollback) do not use it: their rows are
inserted in the caller's thread, inside the caller's transaction.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import Table, insert

from xinyong.store.engine import Store


class _Pending:
    """A queued row, and how its caller is woken: a thread's event, or a coroutine's future."""

    __slots__ = ("done", "error", "future", "id", "row")

    def __init__(self, row: dict[str, Any], loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.row = row
        self.id: int | None = None
        self.error: BaseException | None = None
        self.future: asyncio.Future[None] | None = loop.create_future() if loop is not None else None
        self.done: threading.Event | None = None if loop is not None else threading.Event()

    def finish(self) -> None:
        if self.future is not None:
            self.future.get_loop().call_soon_threadsafe(self._resolve)
        else:
            assert self.done is not None
            self.done.set()

    def _resolve(self) -> None:
        assert self.future is not None
        if not self.future.done():
            self.future.set_result(None)

    def result(self) -> int:
        if self.error is not None:
            raise self.error
        assert self.id is not None
        return self.id


class GroupWriter:
    """Inserts rows into ``table`` (integer ``id`` primary key), many per transaction."""

    def __init__(self, store: Store, table: Table) -> None:
        self.store, self.table = store, table
        self._statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        self._queue: list[_Pending] = []
        self._ready = threading.Condition()
        threading.Thread(target=self._run, name=f"xinyong-{table.name}-writer", daemon=True).start()

    def insert(self, row: dict[str, Any]) -> int:
        """Insert one row; returns its id once the transaction holding it has committed."""
        item = self._enqueue(_Pending(row))
        assert item.done is not None
        item.done.wait()
        return item.result()

    async def insert_async(self, row: dict[str, Any]) -> int:
        """:meth:`insert` for a coroutine: awaits the commit without holding a thread."""
        item = self._enqueue(_Pending(row, asyncio.get_running_loop()))
        assert item.future is not None
        await item.future
        return item.result()

    def _enqueue(self, item: _Pending) -> _Pending:
        with self._ready:
            self._queue.append(item)
            self._ready.notify()
        return item

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                batch, self._queue = self._queue, []
            self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        try:
            with self.store.write() as conn:
                ids = conn.execute(self._statement, [p.row for p in batch]).scalars().all()
            for item, new_id in zip(batch, ids, strict=True):
                item.id = int(new_id)
        except Exception as e:
            if len(batch) > 1:  # one bad row must not fail the others: write them one by one
                for item in batch:
                    self._write([item])
                return
            batch[0].error = e  # the waiting request gets the error; the writer goes on
        for item in batch:
            item.finish()


_WRITERS: dict[tuple[int, str], GroupWriter] = {}
_LOCK = threading.Lock()


def insert_row(store: Store, table: Table, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` through the store's group writer (or directly when bound)."""
    if store.bound:
        return _insert_here(store, table, row)
    return _writer(store, table).insert(row)


async def insert_row_async(store: Store, table: Table, row: dict[str, Any]) -> int:
    """:func:`insert_row` for a coroutine (a bound store inserts at once, in the caller's transaction)."""
    if store.bound:
        return _insert_here(store, table, row)
    return await _writer(store, table).insert_async(row)


def _insert_here(store: Store, table: Table, row: dict[str, Any]) -> int:
    with store.write() as conn:
        return int(conn.execute(insert(table).returning(table.c.id).values(**row)).scalar_one())


def _writer(store: Store, table: Table) -> GroupWriter:
    key = (id(store), table.name)
    with _LOCK:
        writer = _WRITERS.get(key)
        if writer is None or writer.store is not store:
            writer = _WRITERS[key] = GroupWriter(store, table)
    return writer
