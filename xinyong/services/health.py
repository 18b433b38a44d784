"""Liveness: the platform answers and its store runs a statement (``GET /healthz``).

A coroutine, so that a health probe under load waits neither for a thread of the server's pool nor
for a pooled connection behind the requests holding them: as a synchronous route it went through
both, and at 10-50 connections on PostgreSQL its p99 reached 0.5-1.6 s with probes timing out
(bench/screen.py, where it is the baseline). On PostgreSQL the statement is sent from the event
loop (:mod:`xinyong.store.pgasync`); on SQLite it runs inline when a connection is free, as a
single screening's read does, otherwise in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from anyio import to_thread

import xinyong
from xinyong.store import Store

if TYPE_CHECKING:
    from xinyong.services.platform import Platform


async def check(p: Platform) -> dict[str, Any]:
    """The platform's liveness: raises (as the store's error) if the store does not answer."""
    await ping(p.store)
    return {
        "status": "ok",
        "database": p.store.dialect,
        "catalog_version": p.catalog.version,
        "version": xinyong.__version__,
    }


async def ping(store: Store) -> None:
    """Run ``SELECT 1`` on the store."""
    conns = store.async_connections
    if conns is not None:
        async with conns.read() as conn:
            await conn.execute("SELECT 1")
        return
    if store.reads_inline:
        _ping_now(store)
        return
    await to_thread.run_sync(_ping_now, store)


def _ping_now(store: Store) -> None:
    with store.driver_read() as raw:
        raw.cursor().execute("SELECT 1").fetchall()
