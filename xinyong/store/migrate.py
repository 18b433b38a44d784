"""Schema migrations with Alembic, driven from Python (no alembic.ini needed)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy.sql.schema import SchemaItem

from xinyong.settings import PACKAGE_DIR
from xinyong.store.tables import metadata

# Search structures that migration 0002 keeps outside the tables in code (Alembic cannot describe
# them): SQLite's FTS5 tables, their shadow tables and the docs table; PostgreSQL's GIN indexes and
# its pairs table of migration 0012 (``subject_search_pairs``, kept by triggers).
SEARCH_TABLE_PREFIX = "subject_search"
SEARCH_INDEXES = frozenset(
    {
        "ix_subjects_name_search_trgm",
        "ix_subjects_name_search_chars",
        # migration 0009: expression indexes for rank-ordered name search
        "ix_subjects_name_search_rank",
        "ix_subjects_name_search_rank_people",
        "ix_subjects_name_search_prefix",
        # migration 0011: names by length and character pairs
        "ix_subjects_name_search_rank_pairs",
    }
)


def include_object(
    obj: SchemaItem | None, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    """Alembic filter: leave the name-search structures of the database out of comparisons."""
    if not reflected or compare_to is not None or name is None:
        return True
    if type_ == "table":
        return not name.startswith(SEARCH_TABLE_PREFIX)
    return not (type_ == "index" and name in SEARCH_INDEXES)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(engine: Engine) -> list[object]:
    """Differences between the tables in code and the migrated database (empty when they agree)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return list(compare_metadata(ctx, metadata))
