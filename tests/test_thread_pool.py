"""Synchronous routes run in the server loop's thread pool, never more at once than the store's
connection pool serves: a thread beyond it made the pool open an overflow connection, closed again
when given back (on PostgreSQL a new backend for many requests under load)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from xinyong.api.app import create_app
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store import Store

PAGE = "/api/v1/lists/court_dishonest_debtor/entries"


def test_no_more_requests_hold_connections_at_once_than_the_pool_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = Platform.open(
        Settings(
            data_dir=tmp_path,
            db_pool_size=6,
            db_max_overflow=20,
            jobs_interval_s=0,
            rate_limit_per_minute=0,  # 30 requests at once from one client
        )
    )
    held, most, lock = [0], [0], threading.Lock()
    read = Store.read

    @contextmanager
    def slow_read(store: Store) -> Iterator[Any]:
        with read(store) as conn:
            with lock:
                held[0] += 1
                most[0] = max(most[0], held[0])
            time.sleep(0.05)  # a slow statement: the requests pile up
            yield conn
            with lock:
                held[0] -= 1

    monkeypatch.setattr(Store, "read", slow_read)
    assert platform.store.thread_connections == 6 - 2 - 1  # less the two spares and the writer's
    try:
        with TestClient(create_app(platform_obj=platform)) as client, ThreadPoolExecutor(30) as pool:
            # a public synchronous route that reads the store (the list page of 名单公示)
            answers = list(pool.map(lambda _: client.get(PAGE).status_code, range(30)))
        assert answers == [200] * 30
        assert most[0] == 3  # they waited for a thread, not for a connection of their own
        assert platform.store.engine.pool.overflow() <= 0  # type: ignore[attr-defined]
    finally:
        platform.close()
