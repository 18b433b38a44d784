"""index subject_identifiers.value: code lookups and ingestion look codes up by value alone

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subject_identifiers") as batch:
        batch.create_index(batch.f("ix_subject_identifiers_value"), ["value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("subject_identifiers") as batch:
        batch.drop_index(batch.f("ix_subject_identifiers_value"))
