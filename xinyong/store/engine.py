"""Engine and transaction handling. Dialect differences live here and in ``dialect.py``.

SQLite: WAL, foreign keys on, one writer at a time (``BEGIN IMMEDIATE`` plus a process
lock, the lock awaited in short steps), WAL checkpoints by a background thread
(``checkpoint.py``), SAVEPOINT support through SQLAlchemy's documented pysqlite recipe.
PostgreSQL: psycopg 3.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from xinyong.errors import ConfigurationError
from xinyong.store.checkpoint import CHECKPOINTER
from xinyong.store.dialect import json_dumps

if TYPE_CHECKING:
    from xinyong.store.pgasync import AsyncConnections

# Connections per process: the web server runs sync endpoints on a threadpool of 40 threads, so a
# pool of 5 (+10 overflow), SQLAlchemy's default, makes requests queue for a connection under load.
DEFAULT_POOL_SIZE = 20
DEFAULT_MAX_OVERFLOW = 20
SPARE_CONNECTIONS = 2  # kept out of the pool per store for Store.driver_read
# SQLite reads the file through a memory map (up to this size) instead of copying each page it
# needs into every connection's own 2 MB cache with a read() call: with 10,000,000 list entries a
# single screening's index lookups missed that cache on most pages (bench/screen.py).
SQLITE_MMAP_BYTES = 1 << 30


def _pool_args(url: str, pool_size: int, max_overflow: int) -> dict[str, Any]:
    """Pool sizing, for engines that pool (an in-memory SQLite database uses a single connection)."""
    database = make_url(url).database
    if url.startswith("sqlite") and (not database or database == ":memory:"):
        return {}
    return {"pool_size": pool_size, "max_overflow": max_overflow}


def _sqlite_engine(url: str, busy_timeout_ms: int, pool_size: int, max_overflow: int) -> Engine:
    path = make_url(url).database
    file = str(Path(path).resolve()) if path and path != ":memory:" else None
    if file is not None:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        json_serializer=json_dumps,
        **_pool_args(url, pool_size, max_overflow),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself (savepoints work)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if file is not None:
            cur.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run off the commit path
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("xinyong_write", False):
            begin_immediate(conn.connection.driver_connection, busy_timeout_ms)
        else:
            conn.exec_driver_sql("BEGIN")

    if file is not None:
        CHECKPOINTER.register(file)
        _RELEASE[engine] = weakref.finalize(engine, CHECKPOINTER.unregister_later, file)
    return engine


# Each SQLite file engine's registration with the checkpointer, released when the engine is disposed
# (or collected): xinyong.store.checkpoint.
_RELEASE: weakref.WeakKeyDictionary[Engine, weakref.finalize[Any, Any]] = weakref.WeakKeyDictionary()


# Each engine's spare connections (Store.driver_read), released when the engine is disposed through
# a store (or collected).
_SPARES: weakref.WeakKeyDictionary[Engine, list[Any]] = weakref.WeakKeyDictionary()


# Each PostgreSQL engine's connections for event loops (Store.async_connections), closed when the
# engine is disposed through a store.
_ASYNC: weakref.WeakKeyDictionary[Engine, AsyncConnections] = weakref.WeakKeyDictionary()


# Waits between attempts at SQLite's write lock: from 50 µs doubling to 2 ms.
_FIRST_WAIT_S, _MAX_WAIT_S = 0.00005, 0.002


def begin_immediate(raw: Any, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE`` on a pysqlite connection, waiting for the write lock in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between attempts, so a writer
    that finds another process's transaction (typically ~0.1 ms long) waits milliseconds for it:
    the tail latency of small concurrent writes (screenings, bench/screen.py). Here the handler is
    off during the attempt and the wait doubles from 50 µs to at most 2 ms, up to the same timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    wait = _FIRST_WAIT_S
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() >= deadline:  # SQLITE_BUSY
                    raise
            time.sleep(wait)
            wait = min(wait * 2, _MAX_WAIT_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def _return_failed(fairy: Any) -> None:
    """Return to the pool a connection whose use raised, as the pool handed it out: psycopg out of
    the autocommit of driver_read (or dropped, when even that fails: the connection is broken)."""
    raw = fairy.driver_connection
    if getattr(raw, "autocommit", False) is True:
        try:
            raw.autocommit = False
        except Exception:
            fairy.invalidate()
    fairy.close()


def _begin_immediate_now(raw: Any) -> bool:
    """``BEGIN IMMEDIATE`` on a pysqlite connection if SQLite's write lock is free now; False if not."""
    timeout = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as e:
        if "locked" not in str(e):  # SQLITE_BUSY: another connection writes
            raise
        return False
    finally:
        raw.execute(f"PRAGMA busy_timeout={timeout}")


def _refuse_broken(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no connection psycopg already knows is closed or broken (the pool then opens a new
    one). Not ``pool_pre_ping``: its ``SELECT 1`` cost a round trip on every checkout, that is on
    every request. A connection that died unnoticed (the server restarted) fails its first
    statement; SQLAlchemy then recognises the disconnect and invalidates the pool's older
    connections, so one request per process sees the error."""
    if dbapi_conn.closed or getattr(dbapi_conn, "broken", False):
        raise exc.DisconnectionError("connection closed or broken")


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 30000,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> Engine:
    if pool_size < 1 or max_overflow < 0:
        raise ConfigurationError(
            f"database pool: pool_size must be 1 or more and max_overflow 0 or more,"
            f" got {pool_size} and {max_overflow}",
            rule="settings.db_pool",
        )
    if url.startswith("sqlite"):
        return _sqlite_engine(url, busy_timeout_ms, pool_size, max_overflow)
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        engine = create_engine(url, json_serializer=json_dumps, **_pool_args(url, pool_size, max_overflow))
        event.listen(engine, "checkout", _refuse_broken)
        return engine
    raise ConfigurationError(
        f"unsupported database URL {url!r}: use sqlite:///path or postgresql+psycopg://…",
        rule="settings.database_url",
    )


class Store:
    """Hands out transactions. Services own their transactions through ``write()`` and ``read()``.

    A store can be bound to one open connection (tests isolate by rollback this way);
    then each ``write()`` is a SAVEPOINT inside the outer transaction.
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self._bound = connection
        self._write_lock = threading.RLock()
        self._writer = engine.execution_options(xinyong_write=True)
        # Connections kept out of the pool for driver_read (see there), shared by the engine's
        # stores; only from a pool much larger than them, so that no read ever waits for a
        # connection a spare holds idle.
        pooled = isinstance(engine.pool, QueuePool) and engine.pool.size() >= 2 * SPARE_CONNECTIONS
        self._spare_max = SPARE_CONNECTIONS if pooled else 0
        self._spares: list[Any] = _SPARES.setdefault(engine, [])
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def idle_connections(self) -> int:
        """Connections waiting in the pool, ready without a wait (a bound store's own one counts)."""
        if self._bound is not None:
            return 1
        checkedin = getattr(self.engine.pool, "checkedin", None)
        return len(self._spares) + (int(checkedin()) if checkedin is not None else 0)

    @property
    def reads_inline(self) -> bool:
        """Whether a short read (an indexed lookup, ~0.1 ms on SQLite) may run on the event loop
        now: SQLite with a connection ready, so that it waits for none there (a wait would stall
        every request of the loop); otherwise it belongs in a worker thread."""
        return self.dialect == "sqlite" and self.idle_connections > 0

    @property
    def thread_connections(self) -> int | None:
        """How many threads may hold a connection at once without the pool opening overflow ones:
        the pool's size less the spares (:meth:`driver_read`) and the group writer's one. An
        overflow connection is closed when given back, so a thread pool larger than the pool had
        PostgreSQL start a backend for many requests under load (bench/check.py: /healthz at 50
        connections, p99 5 s). None for a store without a pool of its own (bound, in memory)."""
        size = getattr(self.engine.pool, "size", None)
        if self._bound is not None or not isinstance(self.engine.pool, QueuePool) or size is None:
            return None
        return max(1, int(size()) - self._spare_max - 1)

    @property
    def bound(self) -> bool:
        """Bound to one open connection (tests): every write is a SAVEPOINT inside it."""
        return self._bound is not None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        if self._bound is not None:
            with self._bound.begin_nested():
                yield self._bound
            return
        with self._write_lock, self._writer.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        if self._bound is not None:
            yield self._bound
            return
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def driver_read(self) -> Iterator[Any]:
        """The DBAPI connection of a read transaction, for hot paths that send SQL to the driver.

        Through SQLAlchemy, a read's pool checkout, BEGIN (the "begin" event), one statement and the
        return to the pool (with its reset) cost ~80 µs on SQLite, and the pool's checkout and
        checkin alone a quarter of a single screening's time. Here a few connections are kept out of
        the pool as spares, handed out and rolled back by the driver (~5 µs); when none is spare
        one comes from the pool. On SQLite the statements share one snapshot; on PostgreSQL each
        runs by itself (autocommit), which saves the two round trips of BEGIN and ROLLBACK. A
        connection whose use raised goes back to the pool, which resets it (or drops it when broken).
        """
        if self._bound is not None:
            yield self._bound.connection.driver_connection
            return
        try:
            fairy = self._spares.pop()  # atomic: no lock needed
        except IndexError:
            fairy = self.engine.raw_connection()
        raw: Any = fairy.driver_connection
        sqlite = self.dialect == "sqlite"
        try:
            if sqlite:
                raw.execute("BEGIN")  # one snapshot for every statement
            else:
                raw.autocommit = True  # psycopg: no BEGIN and ROLLBACK round trips around the reads
            yield raw
        except self._driver_error as e:
            _return_failed(fairy)
            raise translated_error(e, self._driver_error) from e
        except BaseException:
            _return_failed(fairy)
            raise
        if sqlite:
            raw.rollback()
        else:
            raw.autocommit = False
        self._give_back(fairy)

    def _give_back(self, fairy: Any) -> None:
        """Keep a connection (rolled back) as a spare, or return it to the pool."""
        if len(self._spares) < self._spare_max and not getattr(fairy.driver_connection, "broken", False):
            self._spares.append(fairy)
        else:
            fairy.close()

    @contextmanager
    def driver_write_now(self) -> Iterator[Any | None]:
        """:meth:`driver_write` if it can start at once, else None, having waited for nothing: for
        an event loop, which must not block. SQLite only, unbound stores only. It starts at once
        when a connection is free (a spare, or one waiting in the pool), no other thread of this
        process is writing, and SQLite's write lock is free (one attempt, no busy handler)."""
        if self._bound is not None or self.dialect != "sqlite":
            raise RuntimeError("driver_write_now is for an unbound SQLite store")
        try:
            fairy = self._spares.pop()
        except IndexError:
            if self.idle_connections == 0:
                yield None
                return
            fairy = self.engine.raw_connection()  # one waits in the pool: no wait
        raw: Any = fairy.driver_connection
        if not self._write_lock.acquire(blocking=False):
            self._give_back(fairy)
            yield None
            return
        try:
            if not _begin_immediate_now(raw):
                yield None
                return
            with self._committed(raw):
                yield raw
        finally:
            self._write_lock.release()
            self._give_back(fairy)

    @contextmanager
    def driver_write(self) -> Iterator[Any]:
        """The DBAPI connection of a write transaction (SQLite: ``BEGIN IMMEDIATE``), committed when
        the block ends and rolled back if it raises; not for a bound store (use :meth:`write`)."""
        if self._bound is not None:
            raise RuntimeError("driver_write on a store bound to a connection: use write()")
        with self._write_lock:
            fairy = self._writer.raw_connection()
            raw: Any = fairy.driver_connection
            try:
                with self._committed(raw):
                    if getattr(raw, "autocommit", False) is True:  # psycopg: no write outside a transaction
                        raw.autocommit = False
                    if self.dialect == "sqlite":
                        begin_immediate(raw, int(raw.execute("PRAGMA busy_timeout").fetchone()[0]))
                    yield raw
            finally:
                fairy.close()

    @contextmanager
    def _committed(self, raw: Any) -> Iterator[None]:
        """The block's work on the DBAPI connection ``raw`` committed (pysqlite commits an open
        BEGIN IMMEDIATE too), or rolled back if it raises, a driver's error raised as SQLAlchemy's."""
        try:
            yield
            raw.commit()
        except self._driver_error as e:
            raw.rollback()
            raise translated_error(e, self._driver_error) from e
        except BaseException:
            raw.rollback()
            raise

    def bound_to(self, connection: Connection) -> Store:
        return Store(self.engine, connection=connection)

    @property
    def async_connections(self) -> AsyncConnections | None:
        """The engine's connections for event loops (:mod:`xinyong.store.pgasync`): PostgreSQL and
        an unbound store only, else None."""
        if self._bound is not None or self.dialect != "postgresql":
            return None
        found = _ASYNC.get(self.engine)
        if found is None:
            from xinyong.store.pgasync import AsyncConnections

            found = _ASYNC.setdefault(self.engine, AsyncConnections(self.engine))
        return found

    def dispose(self) -> None:
        while self._spares:
            self._spares.pop().close()
        async_connections = _ASYNC.pop(self.engine, None)
        if async_connections is not None:
            async_connections.close()
        self.engine.dispose()
        release = _RELEASE.pop(self.engine, None)
        registration = release.detach() if release is not None else None
        if registration is not None:
            _, _, (file,), _ = registration
            CHECKPOINTER.unregister(file)  # now, in this thread (the finalizer would defer it)


def translated_error(e: Exception, base: type[Exception]) -> exc.StatementError:
    """A driver's error as SQLAlchemy's (e.g. ``sqlalchemy.exc.IntegrityError``): the driver_read and
    driver_write paths raise what the rest of the code raises and catches."""
    return exc.DBAPIError.instance(None, None, e, base)


def create_store(
    url: str,
    *,
    busy_timeout_ms: int = 30000,
    pool_size: int = DEFAULT_POOL_SIZE,
    max_overflow: int = DEFAULT_MAX_OVERFLOW,
) -> Store:
    return Store(
        make_engine(url, busy_timeout_ms=busy_timeout_ms, pool_size=pool_size, max_overflow=max_overflow)
    )
