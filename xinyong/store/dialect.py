"""The few places where SQLite and PostgreSQL differ: insert-or-ignore and bulk loading."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


class RawJson(str):
    """JSON text that is already serialised: bulk inserts store it as it is."""


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that skips rows whose key already exists."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert many new rows fast: COPY on PostgreSQL, one executemany on SQLite.

    Values are Python values as for any insert (dates, datetimes, JSON-ready objects).
    """
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    procs = [(i, p) for i, p in enumerate(_bind_processors(conn, table, columns)) if p is not None]
    data = [_processed(r, procs) for r in rows]
    if data:
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        conn.exec_driver_sql(sql, data)  # a list of tuples runs as one executemany
    return len(data)


def _processed(row: Sequence[Any], procs: list[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    out = list(row)
    for i, proc in procs:
        value = out[i]
        out[i] = str(value) if isinstance(value, RawJson) else proc(value)
    return tuple(out)


def _bind_processors(
    conn: Connection, table: Table, columns: Sequence[str]
) -> list[Callable[[Any], Any] | None]:
    return [table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns]


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    json_cols = {i for i, c in enumerate(columns) if table.c[c].type.__class__.__name__ in ("JSON", "JSONB")}
    driver: Any = conn.connection.driver_connection
    count = 0
    with driver.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [
                    str(v) if isinstance(v, RawJson) else json_dumps(v) if i in json_cols else v
                    for i, v in enumerate(row)
                ]
            )
            count += 1
    return count


def prefer_indexes(conn: Connection) -> None:
    """Within one long loading transaction PostgreSQL's statistics still describe the tables as they
    were before it, so the planner may scan tables that have grown by millions of rows: steer it to
    the indexes for the rest of the transaction. SQLite needs nothing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
