"""name search by character pair in rank order (PostgreSQL): ``subject_search_pairs``

Revision ID: 0012
Revises: 0011

PostgreSQL's GIN indexes hand out a query's candidates as a bitmap, in no useful order and only
after reading every posting list the query names: a fragment found in thousands of names (电子有限,
市龙华, 公司) cost 5-15 ms a statement for the bitmap alone, and a page needed up to twenty
statements, one name length at a time (bench/check.py: name search p99 100-200 ms at 10 connections
against SQLite's 25 ms, whose FTS5 rank-key index of 0011 returns matches in rank order and stops at
the page).

``subject_search_pairs`` gives PostgreSQL the same: one row per distinct pair of consecutive
characters of each subject's ``name_search``, with the name's length, the name and the subject::

    (pair, len, name_search, subject_id)  INCLUDE (kind)

in a b-tree in that order, which is the ranking's order within a class (length, then name in code
point order, then id). Every name containing a query contains each of the query's pairs, so the
names containing the query are among the entries of any one of its pairs, in rank order: a page is
an index-only walk of the query's rarest pair that stops at the page (``xinyong.search.index``).
The walk rechecks every entry with ``strpos`` on the name it holds; the table answers rightly as long
as it holds every subject's pairs, which the triggers below keep (``PostgresSearch.rebuild`` refills
it after writes that bypass triggers).

Statement-level triggers (transition tables) keep it: an insert adds the new subjects' pairs, an
update that changes a name or a kind replaces the subject's pairs, a delete removes them (each in
one set-based statement, whatever the number of rows), a truncate empties it. The pair column keeps
up to 1,000 most common values in its statistics: the search picks the rarest pair by them.

SQLite has its FTS5 rank-key table of 0011 and gains nothing here.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = """CREATE TABLE subject_search_pairs (
    pair text COLLATE "C" NOT NULL,
    len integer NOT NULL,
    name_search text COLLATE "C" NOT NULL,
    subject_id varchar(24) NOT NULL,
    kind varchar(32) NOT NULL
)"""
INDEX = (
    "CREATE UNIQUE INDEX ix_subject_search_pairs_rank ON subject_search_pairs"
    " (pair, len, name_search, subject_id) INCLUDE (kind)"
)
STATISTICS = "ALTER TABLE subject_search_pairs ALTER COLUMN pair SET STATISTICS 1000"

# The distinct pairs of each row of ``{rows}`` (a table, a transition table or a subquery with
# the subjects' columns id, kind, name_search), as the table's columns (in its collation, so that
# they compare with its rows whatever the database's own).
PAIRS = """SELECT p.pair, length(s.name_search), s.name_search COLLATE "C", s.id, s.kind
    FROM {rows} AS s,
    LATERAL (SELECT DISTINCT substr(s.name_search, i, 2) COLLATE "C" AS pair
             FROM generate_series(1, length(s.name_search) - 1) AS i) AS p"""
COLUMNS = "(pair, len, name_search, subject_id, kind)"
FILL = f"INSERT INTO subject_search_pairs {COLUMNS} " + PAIRS.format(rows="subjects")

# Rows of one transition table whose id, name or kind no row of the other has (an update that
# touches neither name nor kind moves no pair).
CHANGED = """(SELECT a.* FROM {rows} AS a WHERE NOT EXISTS (SELECT 1 FROM {other} AS b
    WHERE b.id = a.id AND b.name_search = a.name_search AND b.kind = a.kind))"""
DELETE = """DELETE FROM subject_search_pairs AS t USING ({pairs}) AS d (pair, len, name_search, id, kind)
    WHERE t.pair = d.pair AND t.len = d.len AND t.name_search = d.name_search AND t.subject_id = d.id"""
REMOVED = PAIRS.format(rows=CHANGED.format(rows="old_rows", other="new_rows"))
ADDED = PAIRS.format(rows=CHANGED.format(rows="new_rows", other="old_rows"))

FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION subject_search_pairs_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO subject_search_pairs {COLUMNS} {PAIRS.format(rows="new_rows")};
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION subject_search_pairs_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {DELETE.format(pairs=REMOVED)};
        INSERT INTO subject_search_pairs {COLUMNS} {ADDED};
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION subject_search_pairs_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {DELETE.format(pairs=PAIRS.format(rows="old_rows"))};
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION subject_search_pairs_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE subject_search_pairs;
        RETURN NULL;
    END $$""",
)
TRIGGERS = (
    "CREATE TRIGGER subjects_search_pairs_ai AFTER INSERT ON subjects REFERENCING NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION subject_search_pairs_inserted()",
    "CREATE TRIGGER subjects_search_pairs_au AFTER UPDATE ON subjects"
    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION subject_search_pairs_updated()",
    "CREATE TRIGGER subjects_search_pairs_ad AFTER DELETE ON subjects REFERENCING OLD TABLE AS old_rows"
    " FOR EACH STATEMENT EXECUTE FUNCTION subject_search_pairs_deleted()",
    "CREATE TRIGGER subjects_search_pairs_at AFTER TRUNCATE ON subjects"
    " FOR EACH STATEMENT EXECUTE FUNCTION subject_search_pairs_truncated()",
)
TRIGGER_NAMES = tuple(f"subjects_search_pairs_a{op}" for op in "iudt")
FUNCTION_NAMES = (
    "subject_search_pairs_inserted",
    "subject_search_pairs_updated",
    "subject_search_pairs_deleted",
    "subject_search_pairs_truncated",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # no subject written from now until the triggers exist (the migration's commit): one written
    # between the fill and the triggers would have no pairs, and no search would find it
    op.execute("LOCK TABLE subjects IN SHARE ROW EXCLUSIVE MODE")
    op.execute(TABLE)
    op.execute(FILL)  # before the index: one sort instead of a b-tree insert a row
    op.execute(INDEX)
    op.execute(STATISTICS)
    op.execute("ANALYZE subject_search_pairs")
    for statement in (*FUNCTIONS, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger in TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON subjects")
    for function in FUNCTION_NAMES:
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.execute("DROP TABLE IF EXISTS subject_search_pairs")
