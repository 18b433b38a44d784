"""Storage: SQLAlchemy Core tables, engine setup and queries. SQLite by default, PostgreSQL in production."""

from xinyong.store.engine import Store, create_store
from xinyong.store.tables import metadata

__all__ = ["Store", "create_store", "metadata"]
