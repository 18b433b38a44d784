"""The few places where SQLite and PostgreSQL differ: insert-or-ignore and bulk loading."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, any_, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


class RawJson(str):
    """JSON text that is already serialised: bulk inserts store it as it is."""


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


IN_CHUNK = 900  # values per IN (...) list: stays under SQLite's bound-parameter limit


def among(
    conn: Connection, column: ColumnElement[Any], values: Sequence[Any]
) -> Iterator[ColumnElement[bool]]:
    """Conditions ``column IN values``, to be run one after the other (their results add up).

    PostgreSQL gets one condition with the values as one array parameter (``= ANY(:array)``):
    one statement per lookup, whatever the number of values, cheap to parse and to plan.
    SQLite gets ``IN (...)`` lists of at most ``IN_CHUNK`` values.
    """
    if not values:
        return
    if conn.dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), IN_CHUNK):
        yield column.in_(values[start : start + IN_CHUNK])


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that skips rows whose key already exists."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    skip_existing: bool = False,
) -> int:
    """Insert many rows fast: COPY on PostgreSQL, one executemany on SQLite; returns the rows given.

    Values are Python values as for any insert (dates, datetimes, JSON-ready objects, RawJson).
    With ``skip_existing`` rows whose key exists already are skipped (ON CONFLICT DO NOTHING):
    on PostgreSQL that is one pipelined executemany instead of COPY.
    """
    if conn.dialect.name == "postgresql":
        if not skip_existing:
            return _copy(conn, table, columns, rows)
        return _insert_many(conn, table, columns, rows)
    procs = [
        (i, _remembered(p)) for i, p in enumerate(_bind_processors(conn, table, columns)) if p is not None
    ]
    data = [_processed(r, procs) for r in rows]
    if data:
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        conn.exec_driver_sql(sql + " ON CONFLICT DO NOTHING" if skip_existing else sql, data)
    return len(data)


def _insert_many(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    json_cols = _json_columns(table, columns)
    data = [[_copy_value(v, i in json_cols) for i, v in enumerate(row)] for row in rows]
    if data:
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('%s' for _ in columns)}) "
            "ON CONFLICT DO NOTHING"
        )
        driver: Any = conn.connection.driver_connection
        with driver.cursor() as cur:
            cur.executemany(sql, data)  # psycopg 3 pipelines the statements
    return len(data)


def _json_columns(table: Table, columns: Sequence[str]) -> set[int]:
    return {i for i, c in enumerate(columns) if table.c[c].type.__class__.__name__ in ("JSON", "JSONB")}


def _copy_value(value: Any, is_json: bool) -> Any:
    if isinstance(value, RawJson):
        return str(value)
    return json_dumps(value) if is_json else value


def _processed(row: Sequence[Any], procs: list[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    out = list(row)
    for i, proc in procs:
        out[i] = proc(out[i])
    return tuple(out)


def _remembered(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bind processor that converts each distinct date, time or flag once per bulk insert (a
    batch's timestamps are all the same and its dates repeat); JSON text passes as it is."""
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        if isinstance(value, RawJson):
            return str(value)
        if isinstance(value, (str, dict, list)):  # strings are not worth it; the others are unhashable
            return proc(value)
        found = seen.get(value, seen)
        if found is seen:
            found = seen[value] = proc(value)
        return found

    return convert


def _bind_processors(
    conn: Connection, table: Table, columns: Sequence[str]
) -> list[Callable[[Any], Any] | None]:
    return [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns]


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY with psycopg's queued writer: rows are formatted here while a writer thread sends the
    previous ones, so the server parses, checks and indexes them as they come."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only (the postgres extra)

    json_cols = _json_columns(table, columns)
    driver: Any = conn.connection.driver_connection
    count = 0
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
        write = copy.write_row
        for row in rows:
            if json_cols:  # RawJson is text already (psycopg writes a str subclass as text)
                row = [
                    json_dumps(v) if i in json_cols and not isinstance(v, RawJson) else v
                    for i, v in enumerate(row)
                ]
            write(row)
            count += 1
    return count


class FreshStatistics:
    """Keeps PostgreSQL's planner statistics in step with a long loading transaction.

    Statistics describe tables as they were when last analysed; inside one transaction that
    adds millions of rows they still say "empty", and the planner then keeps the index only
    for the leading column of a lookup (``unit_code``) and filters the rest row by row, so
    each chunk costs time in proportion to the rows already loaded. ``ANALYZE`` inside the
    transaction sees its own new rows: it runs whenever the loaded table has doubled since
    the statistics were taken (about log2(N) times per batch; nothing when the table was
    already large). ``SKIP_LOCKED`` makes it skip rather than wait when another transaction
    (a loading batch, autovacuum) holds the table's analyse lock; then it is tried again
    after the next chunk. SQLite needs nothing.
    """

    def __init__(self, conn: Connection, driver: str, tables: Sequence[str], min_rows: int) -> None:
        self.driver, self.tables, self.min_rows = driver, tuple(tables), min_rows
        self.active = conn.dialect.name == "postgresql"
        self.known = self.rows = _estimated_rows(conn, driver) if self.active else 0
        self.analysed = 0  # ANALYZE runs that took effect (for tests and diagnostics)

    def grew(self, conn: Connection, rows: int) -> None:
        """Count ``rows`` more rows of the driving table; re-analyse when it has doubled."""
        if not self.active:
            return
        self.rows += rows
        if self.rows - self.known >= self.min_rows and self.rows >= 2 * self.known:
            before = _estimated_rows(conn, self.driver)
            conn.exec_driver_sql(f"ANALYZE (SKIP_LOCKED) {', '.join(self.tables)}")
            if _estimated_rows(conn, self.driver) != before:  # not skipped
                self.known = self.rows
                self.analysed += 1


def _estimated_rows(conn: Connection, table: str) -> int:
    found = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar()
    return max(int(found or 0), 0)  # -1: never analysed


SQLITE_LOADING_CACHE_KIB = 256 * 1024  # page cache of a connection while it loads a batch


@contextmanager
def loading(conn: Connection) -> Iterator[None]:
    """Settings for one long loading transaction on ``conn``.

    PostgreSQL: within it the statistics describe the tables as they were before (until
    ``FreshStatistics`` refreshes them), so the planner may scan tables that have grown by
    millions of rows: steer it to the indexes for the rest of the transaction.
    SQLite: its default page cache (2 MiB) cannot hold the B-trees that random content-hash
    keys touch, so each insert re-reads index pages and dirty pages spill to the WAL early;
    a larger cache while loading nearly halves the time of the inserts at 100,000 rows. It is
    set back afterwards (the connection goes back to the pool).
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_LOADING_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(before or -2000)}")
