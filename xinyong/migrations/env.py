"""Alembic environment. Run through ``xinyong db upgrade`` (see ``xinyong.store.migrate``)."""

from __future__ import annotations

from alembic import context

from xinyong.store.migrate import include_object
from xinyong.store.tables import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("xinyong migrations run through xinyong.store.migrate, which passes a connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        include_object=include_object,  # name-search structures live in migration 0002 only
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
