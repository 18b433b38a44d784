"""PostgreSQL from the event loop: psycopg's ``AsyncConnection`` for the two busiest requests.

A single screening (and a code lookup of the one-click check) is one indexed statement and, for a
screening, a queued record. Through the synchronous driver each statement went to the thread pool
and back, and the record to the group writer's thread: three thread switches a request, each
waiting for the GIL, cost more CPU than the statements (bench/screen.py: 1,165 µs of server CPU a
screening on PostgreSQL against 427 µs on SQLite). Here the event loop sends the statements itself
and awaits the socket, as it awaits the client's.

Each event loop gets its own few connections (a connection belongs to the loop that opened it),
opened on demand, at most :data:`LOOP_CONNECTIONS` at once; a request finding all of them busy
waits for the next one free. Connections run in autocommit: each statement is its own transaction
(no BEGIN and COMMIT round trips; the records' multi-row INSERT commits by itself). A connection
whose use raised, or left in a transaction, is closed rather than reused. Not
``psycopg_pool.AsyncConnectionPool``: its pools run maintenance tasks on the loop and must be
closed from it, while the test client's loops come and go with each client; these connections are
closed when their store is disposed (:meth:`AsyncConnections.close`).

Errors are raised as SQLAlchemy's (``sqlalchemy.exc.OperationalError`` and the others), as the
synchronous paths raise them.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import Engine

from xinyong.store.engine import translated_error

LOOP_CONNECTIONS = 4  # per event loop: uvicorn runs one loop a worker process


class _LoopConnections:
    """One event loop's connections to one database."""

    def __init__(self, connect: Any, size: int) -> None:
        self._connect = connect
        self.size = size
        self.idle: list[Any] = []
        self.opened = 0  # idle, in use, or being opened
        self.waiters: deque[asyncio.Future[Any]] = deque()
        self.every: weakref.WeakSet[Any] = weakref.WeakSet()

    async def acquire(self) -> Any:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.opened < self.size:
                self.opened += 1
                try:
                    conn = await self._connect()
                except BaseException:
                    self.opened -= 1
                    self._wake(None)
                    raise
                self.every.add(conn)
                return conn
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed on: pass it to the next one
                    if waiter.result() is not None:
                        self.release(waiter.result(), reusable=True)
                    else:
                        self._wake(None)
                raise
            if conn is not None:
                return conn
            # a connection was closed: this waiter may open one

    def release(self, conn: Any, *, reusable: bool) -> None:
        if reusable and not conn.closed and conn.pgconn.transaction_status == _IDLE:
            if not self._wake(conn):
                self.idle.append(conn)
            return
        _finish(conn)
        self.opened -= 1
        self._wake(None)

    def _wake(self, conn: Any) -> bool:
        """Hand ``conn`` (or, with None, the right to open one) to the first live waiter."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    def close(self) -> None:
        for conn in list(self.every):
            _finish(conn)
        self.idle.clear()


_IDLE = 0  # libpq's PQTRANS_IDLE: connected, no transaction open


def _finish(conn: Any) -> None:
    """Close a connection from any thread, without its loop (libpq's PQfinish)."""
    conn.pgconn.finish()  # a no-op when already finished


class AsyncConnections:
    """A PostgreSQL engine's connections for event loops: one :class:`_LoopConnections` a loop."""

    def __init__(self, engine: Engine, size: int = LOOP_CONNECTIONS) -> None:
        import psycopg

        args, kwargs = engine.dialect.create_connect_args(engine.url)
        self._args, self._kwargs = tuple(args), {k: v for k, v in kwargs.items() if v is not None}
        self._psycopg = psycopg
        self._size = size
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopConnections] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        self.error: type[Exception] = psycopg.Error

    def _of(self, loop: asyncio.AbstractEventLoop) -> _LoopConnections:
        found = self._loops.get(loop)
        if found is None:
            with self._lock:
                self._close_dead()
                found = self._loops.get(loop)
                if found is None:
                    found = self._loops[loop] = _LoopConnections(self._open, self._size)
                    # closed when the loop is collected: a connection deleted open warns
                    weakref.finalize(loop, found.close)
        return found

    async def _open(self) -> Any:
        return await self._psycopg.AsyncConnection.connect(*self._args, autocommit=True, **self._kwargs)

    def _close_dead(self) -> None:
        """Close the connections of loops that have closed (a test client's, once it stopped)."""
        for loop, conns in list(self._loops.items()):
            if loop.is_closed():
                conns.close()
                del self._loops[loop]

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Any]:
        """An autocommit connection of the running loop: each statement runs by itself."""
        conns = self._of(asyncio.get_running_loop())
        try:
            conn = await conns.acquire()
        except self.error as e:  # it could not connect
            raise translated_error(e, self.error) from e
        reusable = True
        try:
            yield conn
        except self.error as e:
            reusable = False
            raise translated_error(e, self.error) from e
        finally:  # after any other error, reused only if out of any transaction and pipeline
            conns.release(conn, reusable=reusable)

    def close(self) -> None:
        """Close every loop's connections: at once for a loop that is not running, or running in this
        thread; by the loop itself for one running in another thread (closing a connection while
        that thread is inside libpq would free what it uses)."""
        with self._lock:
            for loop, conns in self._loops.items():
                if loop.is_running() and not _runs_here(loop):
                    with suppress(RuntimeError):  # it closed meanwhile: nothing runs there any more
                        loop.call_soon_threadsafe(conns.close)
                        continue
                conns.close()
            self._loops.clear()


def _runs_here(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:  # no loop runs in this thread
        return False
