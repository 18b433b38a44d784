"""name search: subjects.name_search and its index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:00:00

``subjects.name_search`` holds ``xinyong.search.normalise_name(name)``; every writer fills it
(existing rows are backfilled here, in Python, because the normalisation is Python). The index
objects are kept out of ``xinyong.store.tables`` (Alembic cannot describe them) and out of the
models/migrations comparison (``xinyong.store.migrate.include_object``):

SQLite
    ``subject_search``       contentless FTS5 table, trigram tokenizer, ``detail=none``, keyed by
                             the subjects' rowid; its text is ``name_search || char(3, 3)``: the two
                             end markers make every character of a name start a trigram, so 1- and
                             2-character queries can be answered from the term list (see
                             ``xinyong.search.index``). Kept in sync by the ``subjects_search_*``
                             triggers.
    ``subject_search_terms`` / ``subject_search_counts``  fts5vocab views of the index
                             (``instance``: term → rowid; ``row``: term → number of names)

    A later migration that rebuilds ``subjects`` in batch mode drops the triggers with the old
    table and may renumber its rowids: it must create the triggers again (``SUBJECT_TRIGGERS``
    below) and rebuild the index (``xinyong.search.index.rebuild``). VACUUM keeps the rowids in
    practice, though SQLite does not promise it for a table without an INTEGER PRIMARY KEY: if one
    ever renumbers them, searches miss names (never show wrong ones: every hit is rechecked against
    subjects.name_search) until ``rebuild``.

PostgreSQL
    ``pg_trgm`` and ``ix_subjects_name_search_trgm`` (GIN, ``gin_trgm_ops``) for queries of 3+
    characters; ``ix_subjects_name_search_chars`` (GIN over ``string_to_array(name_search, NULL)``,
    the name's characters) for 1- and 2-character queries. Both are maintained by PostgreSQL.
    ``pg_trgm`` only sees CJK characters as word characters under a UTF-8 ctype (C.UTF-8,
    zh_CN.UTF-8, …); under ctype C the search stays correct but reads the whole index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from xinyong.search.normalise import normalise_name

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COMMENT = "the name normalised for search (xinyong.search.normalise_name)"
BACKFILL_CHUNK = 5000

SQLITE_TABLES = (
    # contentless (names live in subjects), no positions (a query is the AND of its trigrams and
    # every hit is rechecked with LIKE), no column sizes (no ranking by FTS5 itself): small and fast
    "CREATE VIRTUAL TABLE subject_search USING fts5("
    "body, content='', detail='none', columnsize=0, tokenize='trigram case_sensitive 1')",
    "CREATE VIRTUAL TABLE subject_search_terms USING fts5vocab(subject_search, 'instance')",
    "CREATE VIRTUAL TABLE subject_search_counts USING fts5vocab(subject_search, 'row')",
)

# The index is keyed by the subjects' rowid. A contentless FTS5 table forgets the text it indexed,
# so a delete repeats it exactly: name_search || char(3, 3), as inserted.
SUBJECT_TRIGGERS = (
    """CREATE TRIGGER subjects_search_ai AFTER INSERT ON subjects BEGIN
        INSERT INTO subject_search (rowid, body) VALUES (new.rowid, new.name_search || char(3, 3));
    END""",
    """CREATE TRIGGER subjects_search_au AFTER UPDATE ON subjects
    WHEN old.name_search IS NOT new.name_search OR old.rowid IS NOT new.rowid BEGIN
        INSERT INTO subject_search (subject_search, rowid, body)
        VALUES ('delete', old.rowid, old.name_search || char(3, 3));
        INSERT INTO subject_search (rowid, body) VALUES (new.rowid, new.name_search || char(3, 3));
    END""",
    """CREATE TRIGGER subjects_search_ad AFTER DELETE ON subjects BEGIN
        INSERT INTO subject_search (subject_search, rowid, body)
        VALUES ('delete', old.rowid, old.name_search || char(3, 3));
    END""",
)
SQLITE_FILL = "INSERT INTO subject_search (rowid, body) SELECT rowid, name_search || char(3, 3) FROM subjects"

# A GIN index queues new entries in a pending list that every search reads linearly until
# (auto)vacuum or the list's limit merges it: a small limit keeps searches fast between vacuums.
POSTGRES_INDEXES = (
    "CREATE INDEX ix_subjects_name_search_trgm ON subjects USING gin (name_search gin_trgm_ops)"
    " WITH (gin_pending_list_limit = 256)",
    "CREATE INDEX ix_subjects_name_search_chars ON subjects USING gin (string_to_array(name_search, NULL))"
    " WITH (gin_pending_list_limit = 256)",
)


def upgrade() -> None:
    with op.batch_alter_table("subjects", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("name_search", sa.Text(), server_default="", nullable=False, comment=COMMENT)
        )
    _backfill(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in POSTGRES_INDEXES:
            op.execute(statement)
        return
    for statement in (*SQLITE_TABLES, SQLITE_FILL, *SUBJECT_TRIGGERS):
        op.execute(statement)


def _backfill(conn: sa.Connection) -> None:
    """name_search of existing subjects, computed in Python, in chunks (bounded memory)."""
    subjects = sa.table("subjects", sa.column("id"), sa.column("name"), sa.column("name_search"))
    update = (
        sa.update(subjects)
        .where(subjects.c.id == sa.bindparam("sid"))
        .values(name_search=sa.bindparam("normalised"))
    )
    last = ""
    while True:
        rows = conn.execute(
            sa.select(subjects.c.id, subjects.c.name)
            .where(subjects.c.id > last)
            .order_by(subjects.c.id)
            .limit(BACKFILL_CHUNK)
        ).all()
        if not rows:
            return
        conn.execute(update, [{"sid": r.id, "normalised": normalise_name(r.name)} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_chars")
        op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_trgm")
        # pg_trgm stays installed: other objects of the database may use it.
    else:
        for trigger in ("subjects_search_ai", "subjects_search_au", "subjects_search_ad"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for table in ("subject_search_counts", "subject_search_terms", "subject_search"):
            op.execute(f"DROP TABLE IF EXISTS {table}")
    with op.batch_alter_table("subjects", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("name_search")
