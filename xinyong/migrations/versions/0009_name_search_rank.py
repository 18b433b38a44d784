"""name search in rank order: indexes that let a common fragment's first page be read, not sorted

Revision ID: 0009
Revises: 0008

A fragment such as 有限, 公司 or 深圳 matches most names; ranking all of them to show twenty cost
a scan and a sort of the whole table on every such search. Two indexes over ``subjects`` let
``xinyong.search.index`` read such a search's hits in rank order and stop once the page is full:

``ix_subjects_name_search_rank``  (length(name_search), name_search, id) of organisations, and
``ix_subjects_name_search_rank_people`` the same of individuals (partial indexes): the order of
                                  the ranking within a class (shorter names first, then code-point
                                  order, then id); the public's search walks only the first, and
                                  never steps over the persons' short names
``ix_subjects_name_search_prefix`` (name_search): exact names and names starting with the query

On PostgreSQL ``name_search`` is indexed ``COLLATE "C"`` (code-point order, as the ranking and
SQLite's BINARY). Like the indexes of 0002, they are kept out of ``xinyong.store.tables`` (Alembic
does not compare expression indexes) and out of the models/migrations comparison
(``xinyong.store.migrate.SEARCH_INDEXES``).
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"  # re-chained after main (0006-0008); written against 0004
branch_labels = None
depends_on = None

RANK = "length(name_search), name_search{collate}, id"
PEOPLE = "kind = 'individual'"
ORGANISATIONS = "kind <> 'individual'"  # as xinyong.search.index writes it, so that the index applies


def _indexes(collate: str) -> tuple[str, ...]:
    rank = RANK.format(collate=collate)
    return (
        f"CREATE INDEX ix_subjects_name_search_rank ON subjects ({rank}) WHERE {ORGANISATIONS}",
        f"CREATE INDEX ix_subjects_name_search_rank_people ON subjects ({rank}) WHERE {PEOPLE}",
        f"CREATE INDEX ix_subjects_name_search_prefix ON subjects (name_search{collate})",
    )


SQLITE_INDEXES = _indexes("")
POSTGRES_INDEXES = _indexes(' COLLATE "C"')


def upgrade() -> None:
    statements = POSTGRES_INDEXES if op.get_bind().dialect.name == "postgresql" else SQLITE_INDEXES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_prefix")
    op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_rank_people")
    op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_rank")
