"""list entries: the screening index holds every column a screening reads

Revision ID: 0013
Revises: 0012

A screening looks entries up by identifier, state and list type, and reads each match's id, kind,
period, decision document and deciding unit. With those only in the table, every match cost a read
of its table row besides the index probe: for 1,000,000 identifiers against 10,000,000 entries
on SQLite, 0.8 of 1.7 s of lookups went to the 264,000 matches' rows (bench/screen.py). The index
now carries them, so that the lookup reads the index alone (SQLite's covering index; PostgreSQL's
index-only scan on pages the visibility map marks all-visible). Same leading columns, same name
order, so every query that used the old index uses the new one.

The index is built by a plain ``CREATE INDEX``: on PostgreSQL, writes to ``list_entries`` wait while
it builds (about a minute for 10,000,000 entries here; screenings go on reading meanwhile), and both
indexes are on disk until the old one is dropped.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD = ("ix_list_entries_id_value_state", ["id_value", "state", "list_type"])
NEW = (
    "ix_list_entries_screening",
    [
        "id_value",
        "state",
        "list_type",
        "subject_kind",
        "starts_on",
        "ends_on",
        "id",
        "decision_document",
        "unit_code",
    ],
)


def upgrade() -> None:
    op.create_index(NEW[0], "list_entries", NEW[1])
    op.drop_index(OLD[0], table_name="list_entries")


def downgrade() -> None:
    op.create_index(OLD[0], "list_entries", OLD[1])
    op.drop_index(NEW[0], table_name="list_entries")
