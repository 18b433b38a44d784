"""``GET /healthz``'s statement: from the event loop, not queued behind the thread pool."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine

from xinyong.services import health
from xinyong.store import Store


def test_a_probe_takes_no_worker_thread(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL sends its statement from the event loop; SQLite runs it inline while a connection
    is free. A probe under load then waits neither for a pool thread nor behind the requests
    holding them."""
    store = Store(engine)
    with store.read():
        pass  # a pooled connection now exists, idle

    async def no_thread(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe went to a worker thread")

    monkeypatch.setattr(health.to_thread, "run_sync", no_thread)
    try:
        asyncio.run(health.ping(store))
    finally:
        _give_back(store)


def test_a_probe_of_a_busy_sqlite_store_goes_to_a_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(engine)
    if store.async_connections is not None:
        pytest.skip("PostgreSQL: always from the event loop")
    sent: list[object] = []

    async def counted(fn: object, *args: object) -> None:
        sent.append(fn)
        fn(*args)  # type: ignore[operator]

    monkeypatch.setattr(health.to_thread, "run_sync", counted)
    monkeypatch.setattr(Store, "idle_connections", property(lambda self: 0))
    try:
        asyncio.run(health.ping(store))
    finally:
        _give_back(store)
    assert sent == [health._ping_now]


def _give_back(store: Store) -> None:
    """The store's spare connections back to the shared engine's pool (the engine stays open)."""
    while store._spares:
        store._spares.pop().close()
