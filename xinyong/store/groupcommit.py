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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert

from xinyong.store.engine import Store

if TYPE_CHECKING:
    from xinyong.store.pgasync import AsyncConnections


MULTIROW_MAX = 1000  # rows of one multi-row INSERT from the loop (PostgreSQL); more go in the next one
# PostgreSQL: how long a loop's gathered rows wait at most for rows its coroutines said are coming
# (:func:`expecting`) before they are sent without them
GATHER_S = 0.002


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
            with suppress(RuntimeError):  # the loop has closed: nobody waits any more, the writer goes on
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
        self._driver = _DriverInsert(store, table)
        self._gathered: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}  # by the loop's own thread
        self._tasks: set[asyncio.Task[None]] = set()  # the loops' writes in flight (kept referenced)
        self._sending: set[asyncio.AbstractEventLoop] = set()  # loops with a write in flight
        self._expected: dict[asyncio.AbstractEventLoop, int] = {}  # rows said to be coming (expecting)
        self._overdue: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}  # GATHER_S timers
        self._queue: list[_Pending] = []
        self._ready = threading.Condition()
        threading.Thread(target=self._run, name=f"xinyong-{table.name}-writer", daemon=True).start()

    @property
    def _async(self) -> AsyncConnections | None:
        """PostgreSQL: the store's connections for event loops, which write the batches (read each
        time: a disposed store's are replaced by new ones)."""
        return self.store.async_connections

    def insert(self, row: dict[str, Any]) -> int:
        """Insert one row; returns its id once the transaction holding it has committed."""
        item = self._enqueue(_Pending(row))
        assert item.done is not None
        item.done.wait()
        return item.result()

    async def insert_async(self, row: dict[str, Any]) -> int:
        """:meth:`insert` for a coroutine: awaits the commit without holding a thread.

        On SQLite the rows of a loop's coroutines are first gathered until the loop has run what is
        ready (``call_soon``) and then written by the loop itself when the write lock is free at
        once (:meth:`Store.driver_write_now`, ~50 µs); otherwise, or if the write fails, they go to
        the writer thread, which waits for the lock and isolates a bad row. Handing every batch to
        the thread made each request wait for two thread switches and for the GIL, which a busy
        loop holds for up to ``sys.getswitchinterval()`` (5 ms) before it gives it up. On PostgreSQL
        the loop sends them itself (:meth:`_send`), and a batch that fails goes to the thread.
        """
        loop = asyncio.get_running_loop()
        item = _Pending(row, loop)
        if (self._driver.sqlite or self._async is not None) and self._driver.takes([row]):
            gathered = self._gathered.get(loop)
            if gathered is None:
                gathered = self._gathered[loop] = []
                loop.call_soon(self._write_on_loop, loop)
            gathered.append(item)
        else:
            self._enqueue(item)
        assert item.future is not None
        await item.future
        return item.result()

    def _write_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._async is not None:
            self._send(loop)
            return
        batch = self._gathered.pop(loop)
        try:
            ids = self._driver.insert_now([p.row for p in batch])
        except Exception:  # the writer thread writes them again, a bad row apart from the others
            ids = None
        self._resolve(batch, ids)

    def expect(self, loop: asyncio.AbstractEventLoop) -> None:
        """A coroutine of ``loop`` will insert a row soon (see :func:`expecting`)."""
        self._expected[loop] = self._expected.get(loop, 0) + 1

    def arrived(self, loop: asyncio.AbstractEventLoop) -> None:
        """The row :meth:`expect` announced has been gathered, or will not come."""
        left = self._expected[loop] - 1
        if left:
            self._expected[loop] = left
            return
        del self._expected[loop]
        # after the caller's step, in which its row (if any) is gathered: then the rows go together
        loop.call_soon(self._send, loop)

    def _send(self, loop: asyncio.AbstractEventLoop, overdue: bool = False) -> None:
        """PostgreSQL: the loop's gathered rows as one statement, one statement in flight a loop;
        rows gathered meanwhile go in the next (a commit each, so the fewer the better). While rows
        are said to be coming (:meth:`expect`), the gathered ones wait for them, at most
        :data:`GATHER_S`: a commit cost the server ~130 µs and the loop ~150 µs whatever its rows,
        and at 10 connections a batch held ~2 rows (bench/screen.py)."""
        gathered = self._gathered.get(loop)
        if loop in self._sending or not gathered:
            return
        if not overdue and self._expected.get(loop) and len(gathered) < MULTIROW_MAX:
            if loop not in self._overdue:
                self._overdue[loop] = loop.call_later(GATHER_S, self._send_overdue, loop)
            return
        timer = self._overdue.pop(loop, None)
        if timer is not None:
            timer.cancel()
        gathered = self._gathered.pop(loop)
        batch, rest = gathered[:MULTIROW_MAX], gathered[MULTIROW_MAX:]
        if rest:
            self._gathered[loop] = rest
        self._sending.add(loop)
        task = loop.create_task(self._write_async(batch, loop))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _send_overdue(self, loop: asyncio.AbstractEventLoop) -> None:
        self._overdue.pop(loop, None)
        self._send(loop, overdue=True)

    async def _write_async(self, batch: list[_Pending], loop: asyncio.AbstractEventLoop) -> None:
        """PostgreSQL: the batch as one statement from the event loop (xinyong.store.pgasync)."""
        conns = self._async
        assert conns is not None
        ids = None
        try:
            ids = await self._driver.insert_async(conns, [p.row for p in batch])
        except Exception:  # the writer thread writes them again, a bad row apart from the others
            pass
        finally:  # also when cancelled (the loop shuts down): no row is left waiting
            self._sending.discard(loop)
            self._resolve(batch, ids)
            self._send(loop)

    def _resolve(self, batch: list[_Pending], ids: list[int] | None) -> None:
        """Wake the batch's coroutines with their ids (on their loop), or hand the batch to the
        writer thread if it was not written."""
        if ids is None:
            for item in batch:
                self._enqueue(item)
            return
        for item, new_id in zip(batch, ids, strict=True):
            item.id = new_id
            item._resolve()  # on this loop already

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
            rows = [p.row for p in batch]
            if self._driver.takes(rows):
                ids = self._driver.insert(rows)
            else:
                with self.store.write() as conn:
                    ids = list(conn.execute(self._statement, rows).scalars().all())
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


class _DriverInsert:
    """A batch inserted through the driver, in one transaction (SQLite: ``BEGIN IMMEDIATE``;
    PostgreSQL: ``executemany`` with ``RETURNING``, pipelined).

    Through SQLAlchemy a one-row batch took ~200 µs on SQLite (its transaction, statement and
    result machinery); through pysqlite ~30 µs, and the writer thread holds the GIL that much less
    while requests wait on the event loop (bench/screen.py). Values are converted by the columns' own
    SQLAlchemy bind processors, so what is stored is what the SQLAlchemy path stores; rows that do
    not give exactly the table's columns other than ``id`` take that path.
    """

    def __init__(self, store: Store, table: Table) -> None:
        self.store = store
        self.names = tuple(c.name for c in table.columns if c.name != "id")
        dialect = store.engine.dialect
        self.convert: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.names
        ]
        self.sqlite = store.dialect == "sqlite"
        self.table = table.name
        marks = ", ".join(("?" if self.sqlite else "%s") for _ in self.names)
        self.sql = f"INSERT INTO {table.name} ({', '.join(self.names)}) VALUES ({marks})"
        if not self.sqlite:
            self.sql += " RETURNING id"

    def takes(self, rows: list[dict[str, Any]]) -> bool:
        wanted = set(self.names)
        return all(row.keys() == wanted for row in rows)

    def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        values = [self._values(row) for row in rows]
        with self.store.driver_write() as raw:
            return self._execute(raw, values)

    def insert_now(self, rows: list[dict[str, Any]]) -> list[int] | None:
        """:meth:`insert` if the store can write at once, else None (nothing written, no wait)."""
        values = [self._values(row) for row in rows]
        with self.store.driver_write_now() as raw:
            if raw is None:
                return None
            return self._execute(raw, values)

    async def insert_async(self, conns: AsyncConnections, rows: list[dict[str, Any]]) -> list[int]:
        """PostgreSQL, from the event loop: the rows as one multi-row INSERT in autocommit (the
        statement is its own transaction: no BEGIN and COMMIT to send). The ids come from the
        table's sequence, drawn row after row in the VALUES' order: sorted, they are the rows' ids."""
        values = [v for n, row in enumerate(rows) for v in (*self._values(row), n)]
        async with conns.read() as conn:
            # each batch size is its own statement: prepared (by psycopg, at the fifth use) when small
            options = {} if len(rows) <= 16 else {"prepare": False}
            cursor = await conn.execute(self._multirow(len(rows)), values, **options)
            return sorted(int(r[0]) for r in await cursor.fetchall())

    def _multirow(self, count: int) -> str:
        """The rows inserted in their order (``ORDER BY`` their number): the ids the sequence gives
        them rise in that order, as SQLAlchemy's own multi-row inserts with RETURNING rely on."""
        row = "(" + ", ".join("%s" for _ in self.names) + ", %s)"
        rows = ", ".join([row] * count)
        columns = ", ".join(self.names)
        return (
            f"INSERT INTO {self.table} ({columns}) SELECT {columns} FROM (VALUES {rows})"
            f" AS v ({columns}, n) ORDER BY n RETURNING id"
        )

    def _execute(self, raw: Any, values: list[tuple[Any, ...]]) -> list[int]:
        cursor = raw.cursor()
        ids = []
        if self.sqlite:
            for v in values:
                cursor.execute(self.sql, v)
                ids.append(int(cursor.lastrowid))
            return ids
        cursor.executemany(self.sql, values, returning=True)  # psycopg: one pipelined round trip
        while True:
            ids.append(int(cursor.fetchone()[0]))
            if not cursor.nextset():
                return ids

    def _values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            row[name] if f is None or row[name] is None else f(row[name])
            for name, f in zip(self.names, self.convert, strict=True)
        )


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


@contextmanager
def expecting(store: Store, table: Table) -> Iterator[None]:
    """Around a coroutine's work that ends in :func:`insert_row_async` into ``table`` (a single
    screening's lookup, before its record): on PostgreSQL the rows its loop has gathered meanwhile
    wait for this one (at most :data:`GATHER_S`), so that they share a statement and its commit.
    Its row must be inserted right after the block, with no await in between; if the block raises,
    nothing is awaited any more. Elsewhere it does nothing."""
    if store.bound or store.async_connections is None:
        yield
        return
    writer, loop = _writer(store, table), asyncio.get_running_loop()
    writer.expect(loop)
    try:
        yield
    finally:
        writer.arrived(loop)


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
