"""Shared fixtures. The same suite runs on SQLite (always) and PostgreSQL (when
XINYONG_TEST_DATABASE_URL points at a server: a fresh database is created per run).
Tests isolate by rolling back an outer transaction; services write in SAVEPOINTs inside it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from xinyong.catalog import Catalog, load_catalog
from xinyong.domain.actor import Actor
from xinyong.services import catalog as catalog_service
from xinyong.services.platform import Platform
from xinyong.settings import Settings
from xinyong.store import Store
from xinyong.store.engine import make_engine
from xinyong.store.migrate import upgrade

# Tests assert behaviour, not speed (benchmarks under bench/ measure speed): no per-example deadline,
# which fails at random on a loaded machine.
settings.register_profile("xinyong", deadline=None)
settings.load_profile("xinyong")

PG_URL = os.environ.get("XINYONG_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def pg_scratch_database(prefix: str = "xinyong_test") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped on leaving (whatever is connected)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the test's own, not migrated (for migrating step by step)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not PG_URL:
        pytest.skip("XINYONG_TEST_DATABASE_URL is not set")
    with pg_scratch_database() as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    with pg_scratch_database() as url:
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def store(engine: Engine) -> Iterator[Store]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield Store(engine, connection=conn)
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def platform(store: Store, catalog: Catalog, tmp_path: Path) -> Platform:
    catalog_service.sync(store, catalog, Actor.system("test"))
    return Platform(settings=Settings(data_dir=tmp_path), store=store, catalog=catalog)
