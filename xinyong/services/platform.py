"""The platform object that the API, web and CLI layers hold: settings, store and catalog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong import chinatime
from xinyong.catalog import Catalog, load_catalog
from xinyong.domain.actor import Actor
from xinyong.services import catalog as catalog_service
from xinyong.settings import Settings
from xinyong.store import Store, create_store
from xinyong.store.migrate import upgrade


@dataclass
class Platform:
    settings: Settings
    store: Store
    catalog: Catalog

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True, store: Store | None = None) -> Platform:
        """Open the store (migrating it if asked), load the catalog and record its version."""
        store = store or create_store(
            settings.effective_database_url,
            busy_timeout_ms=settings.sqlite_busy_timeout_ms,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        if migrate and store._bound is None:
            upgrade(store.engine)
        catalog = load_catalog(settings.catalog_path)
        catalog_service.sync(store, catalog, Actor.system())
        return cls(settings=settings, store=store, catalog=catalog)

    def today(self) -> date:
        """The platform's date: China's calendar day, unless a fixed date is configured."""
        if self.settings.today:
            return date.fromisoformat(self.settings.today)
        return chinatime.today()

    def close(self) -> None:
        self.store.dispose()
