"""remedies: objection and credit-repair cases, their steps, files, marks and notices

Revision ID: 0007
Revises: 0004

Append-only tables of ``xinyong.services.remedy_store`` (issue 6).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "remedy_cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, comment="objection (异议) or repair (信用修复)"),
        sa.Column("target_kind", sa.String(16), nullable=False, comment="record or list_entry"),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(24), nullable=False),
        sa.Column("unit_code", sa.String(64), nullable=False, comment="the source unit that decides"),
        sa.Column("basis", sa.String(64), nullable=False, comment="objection grounds or repair regime"),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False, comment="business day the case was accepted"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("detail", Json, nullable=False, comment="eligibility or grounds as explained at filing"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_cases")),
    )
    op.create_index(op.f("ix_remedy_cases_subject_id"), "remedy_cases", ["subject_id"])
    op.create_index("ix_remedy_cases_target", "remedy_cases", ["target_kind", "target_id"])
    op.create_table(
        "remedy_steps",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("step", sa.String(32), nullable=False, comment="accept, verify, forward, extend, decide …"),
        sa.Column("state", sa.String(24), nullable=False, comment="the case's state after this step"),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False, comment="business day of the step"),
        sa.Column(
            "due_on", sa.Date(), nullable=True, comment="deadline of the next step; null with due_unknown"
        ),
        sa.Column("due_unknown", sa.Integer(), nullable=True, comment="year without an official schedule"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_number", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), nullable=True, comment="events.seq of the audit event"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["remedy_cases.id"], name=op.f("fk_remedy_steps_case_id_remedy_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_steps")),
    )
    op.create_index(op.f("ix_remedy_steps_case_id"), "remedy_steps", ["case_id"])
    op.create_table(
        "remedy_files",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("step_id", sa.BigInteger(), nullable=True),
        sa.Column("role", sa.String(24), nullable=False, comment="evidence, proof, commitment, decision"),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, comment="the file is stored under its hash"),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["remedy_cases.id"], name=op.f("fk_remedy_files_case_id_remedy_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_files")),
    )
    op.create_index(op.f("ix_remedy_files_case_id"), "remedy_files", ["case_id"])
    op.create_table(
        "remedy_marks",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("mark", sa.String(32), nullable=False, comment="under_review (行政复议或者诉讼中)"),
        sa.Column("active", sa.Boolean(), nullable=False, comment="true sets the mark, false lifts it"),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_number", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_marks")),
    )
    op.create_index("ix_remedy_marks_target", "remedy_marks", ["target_kind", "target_id"])
    op.create_table(
        "remedy_notices",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column(
            "kind", sa.String(24), nullable=False, comment="reminder, overdue, outcome, deadline_unknown"
        ),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["remedy_cases.id"], name=op.f("fk_remedy_notices_case_id_remedy_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remedy_notices")),
    )
    op.create_index(op.f("ix_remedy_notices_case_id"), "remedy_notices", ["case_id"])


def downgrade() -> None:
    op.drop_table("remedy_notices")
    op.drop_index("ix_remedy_marks_target", table_name="remedy_marks")
    op.drop_table("remedy_marks")
    op.drop_table("remedy_files")
    op.drop_table("remedy_steps")
    op.drop_index("ix_remedy_cases_target", table_name="remedy_cases")
    op.drop_table("remedy_cases")
