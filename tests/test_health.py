"""``GET /healthz``'s statement: from the event loop, not queued behind the thread pool."""

from __future__ import annotations

import asyncio
from pathlib import Path

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.catalog import Catalog
from xinyong.services import health
from xinyong.services.platform import Platform
from xinyong.settings import Settings
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

    monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
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

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
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


def test_the_route_takes_no_worker_thread(
    engine: Engine, catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``GET /healthz`` end to end on an unbound store, as served: no part of it (a synchronous
    dependency included, which FastAPI would run in its thread pool) waits for a worker thread."""
    store = Store(engine)
    platform = Platform(settings=Settings(data_dir=tmp_path), store=store, catalog=catalog)
    try:
        with TestClient(create_app(platform_obj=platform)) as client:
            assert client.get("/healthz").status_code == 200  # a pooled connection now exists, idle

            async def no_thread(*args: object, **kwargs: object) -> None:
                raise AssertionError(f"the probe went to a worker thread: {args}")

            monkeypatch.setattr(anyio.to_thread, "run_sync", no_thread)
            r = client.get("/healthz")
    finally:
        if store.async_connections is not None:
            store.async_connections.close()
        _give_back(store)
    assert r.status_code == 200 and r.json()["status"] == "ok"
