"""name search by name length: an FTS5 index whose rowids are in rank order (SQLite)

Revision ID: 0011
Revises: 0010

A common fragment found mostly in long names (网络科技, 管理咨询, 工程有限) was either collected
from the trigram index and sorted (thousands of matches) or walked in rank order from the rank
index of 0009 (stepping over every shorter name): 100-400 ms at 1,000,000 names either way. Its
first page needs only the shortest matches.

SQLite: ``subject_search_rank``, a contentless FTS5 table (trigram tokenizer, ``detail=none``)
whose rowid is the subject's *rank key*::

    (kind = 'individual') << 52  |  length(name_search) << 32  |  subjects.rowid

so that FTS5, which returns matches in rowid order and honours rowid ranges, hands out a query's
matches organisations first, shorter names first, and stops at the LIMIT. Its text is the name's
consecutive character pairs, each followed by ``char(4)`` (腾讯科技 → ``腾讯␄讯科␄科技␄技␄``): every
pair is then the start of the trigram ``pair + char(4)``, so a query of two characters or more is
the AND of its pairs' trigrams (every hit is rechecked against ``name_search`` with LIKE, as
always). Pairs are made in SQL (``json_each`` over a run of zeros as long as the name), so the
triggers keep the index without any application function. A rename, a change of kind or a new
rowid moves the subject to its new key.

The subjects' rowids must stay below 2**32 and names shorter than 2**20 characters.

PostgreSQL: ``ix_subjects_name_search_rank_pairs``, a GIN index over
``subject_rank_pairs(name_search, kind = 'individual')``: the name's character pairs, each tagged
with the group and the name's length (``o12:腾讯`` for 腾讯科技(深圳)有限公司), so that the names of
one length holding a query's pairs are read without touching any other; a common fragment's page
is read one length at a time, shorter names first (``xinyong.search.index``).

Like the other search structures they are kept out of ``xinyong.store.tables`` and out of the
models/migrations comparison (the FTS5 table's name starts with ``subject_search``; the GIN index
is listed in ``xinyong.store.migrate.SEARCH_INDEXES``).
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"  # re-chained after 0010 (ingest-fast) at merge
branch_labels = None
depends_on = None

KEY = "((({row}.kind = 'individual') << 52) | (length({row}.name_search) << 32) | {row}.rowid)"
PAIRS = (
    "coalesce((SELECT group_concat(substr({row}.name_search, key + 1, 2) || char(4), '')"
    " FROM json_each('[' || rtrim(replace(hex(zeroblob(length({row}.name_search))), '00', '0,'), ',')"
    " || ']')), '')"
)


def key(row: str) -> str:
    """The rank key of a subjects row (``new``, ``old`` or a table alias), as SQL."""
    return KEY.format(row=row)


def pairs(row: str) -> str:
    """The indexed text of a subjects row, as SQL."""
    return PAIRS.format(row=row)


TABLE = (
    "CREATE VIRTUAL TABLE subject_search_rank USING fts5("
    "body, content='', detail='none', columnsize=0, tokenize='trigram case_sensitive 1')"
)
FILL = f"INSERT INTO subject_search_rank (rowid, body) SELECT {key('s')}, {pairs('s')} FROM subjects AS s"
# A contentless FTS5 table forgets what it indexed: a delete repeats the old key and text exactly.
TRIGGERS = (
    f"""CREATE TRIGGER subjects_search_rank_ai AFTER INSERT ON subjects BEGIN
        INSERT INTO subject_search_rank (rowid, body) VALUES ({key("new")}, {pairs("new")});
    END""",
    f"""CREATE TRIGGER subjects_search_rank_au AFTER UPDATE ON subjects
    WHEN old.name_search IS NOT new.name_search OR old.kind IS NOT new.kind OR old.rowid IS NOT new.rowid
    BEGIN
        INSERT INTO subject_search_rank (subject_search_rank, rowid, body)
        VALUES ('delete', {key("old")}, {pairs("old")});
        INSERT INTO subject_search_rank (rowid, body) VALUES ({key("new")}, {pairs("new")});
    END""",
    f"""CREATE TRIGGER subjects_search_rank_ad AFTER DELETE ON subjects BEGIN
        INSERT INTO subject_search_rank (subject_search_rank, rowid, body)
        VALUES ('delete', {key("old")}, {pairs("old")});
    END""",
)
TRIGGER_NAMES = ("subjects_search_rank_ai", "subjects_search_rank_au", "subjects_search_rank_ad")


PG_FUNCTION = """CREATE OR REPLACE FUNCTION subject_rank_pairs(name text, person boolean) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT
        CASE WHEN person THEN 'p' ELSE 'o' END || length(name) || ':' || substr(name, i, 2)), '{}')
    FROM generate_series(1, length(name) - 1) AS i
$$"""
PG_INDEX = (
    "CREATE INDEX ix_subjects_name_search_rank_pairs ON subjects"
    " USING gin (subject_rank_pairs(name_search, kind = 'individual')) WITH (gin_pending_list_limit = 256)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_INDEX)
        return
    for statement in (TABLE, FILL, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_subjects_name_search_rank_pairs")
        op.execute("DROP FUNCTION IF EXISTS subject_rank_pairs(text, boolean)")
        return
    for trigger in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS subject_search_rank")
