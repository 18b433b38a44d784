"""Group commit: many threads' single-row inserts into one table, written in one transaction.

A screening (联合奖惩核查) must be recorded before it is answered, and a relying party sends many
small ones at once. One write transaction per request makes every request wait for the store's
single writer (on SQLite, also across worker processes, through its busy handler's sleeps). Here
requests hand their row to one writer thread per store and table, which inserts everything queued
in one transaction and wakes each request with its row id once committed: the same durability,
one commit for many rows.

Stores bound to an open connection (tests isolating by rollback) do not use it: their rows are
inserted in the caller's thread, inside the caller's transaction.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, insert

from xinyong.store.engine import Store


@dataclass
class _Pending:
    row: dict[str, Any]
    done: threading.Event = field(default_factory=threading.Event)
    id: int | None = None
    error: BaseException | None = None


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
        item = _Pending(row)
        with self._ready:
            self._queue.append(item)
            self._ready.notify()
        item.done.wait()
        if item.error is not None:
            raise item.error
        assert item.id is not None
        return item.id

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
            item.done.set()


_WRITERS: dict[tuple[int, str], GroupWriter] = {}
_LOCK = threading.Lock()


def insert_row(store: Store, table: Table, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` through the store's group writer (or directly when bound)."""
    if store.bound:
        with store.write() as conn:
            return int(conn.execute(insert(table).returning(table.c.id).values(**row)).scalar_one())
    key = (id(store), table.name)
    with _LOCK:
        writer = _WRITERS.get(key)
        if writer is None or writer.store is not store:
            writer = _WRITERS[key] = GroupWriter(store, table)
    return writer.insert(row)
