"""credit reports: one row per issued report (number, requester, purpose, signed digests, PDF)

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column(
            "number", sa.String(length=32), nullable=False, comment="report number printed on the report"
        ),
        sa.Column("subject_id", sa.String(length=24), nullable=False),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False, comment="declared purpose (查询用途)"),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("requester_role", sa.String(length=32), nullable=False),
        sa.Column("requester_user", sa.String(length=200), nullable=False),
        sa.Column("requester_unit", sa.String(length=64), nullable=False),
        sa.Column("requester_subject_id", sa.String(length=24), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "issued_month",
            sa.String(length=7),
            nullable=False,
            comment="YYYY-MM (China time), for statistics",
        ),
        sa.Column("as_of", sa.Date(), nullable=False, comment="the day the disclosure rules were applied"),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "pdf_sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the PDF before the signature block",
        ),
        sa.Column(
            "signature", sa.LargeBinary(), nullable=False, comment="Ed25519 over xinyong-report/v1 bytes"
        ),
        sa.Column(
            "items", Json, nullable=False, comment="[[ref, fingerprint], …] of every item in the report"
        ),
        sa.Column("pdf", sa.LargeBinary(), nullable=False, comment="the signed PDF as issued"),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_reports_subject_id_subjects")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports") as batch:
        batch.create_index(batch.f("ix_reports_subject_id"), ["subject_id"], unique=False)
        batch.create_index(batch.f("ix_reports_issued_month"), ["issued_month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_index(batch.f("ix_reports_issued_month"))
        batch.drop_index(batch.f("ix_reports_subject_id"))
    op.drop_table("reports")
