"""access control: accounts, API keys, sessions, authorizations (授权), query log; salted payload hashes

Revision ID: 0006
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "kind", sa.String(length=32), nullable=False, comment="profile, record, report, screening, export"
        ),
        sa.Column("subject_id", sa.String(length=24), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("querier_role", sa.String(length=32), nullable=False),
        sa.Column("querier_user", sa.String(length=200), nullable=False),
        sa.Column("querier_unit", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=True),
        sa.Column("authorization_id", sa.String(length=32), nullable=True),
        sa.Column(
            "authorizer", sa.String(length=200), nullable=True, comment="who granted the authorization"
        ),
        sa.Column("proof", sa.String(length=500), nullable=True),
        sa.Column(
            "event_seq", sa.BigInteger(), nullable=False, comment="events.seq of the query's audit event"
        ),
        sa.Column("retain_until", sa.Date(), nullable=False, comment="kept at least five years"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_log")),
    )
    op.create_index(op.f("ix_query_log_subject_id"), "query_log", ["subject_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False, comment="argon2id (argon2-cffi)"),
        sa.Column(
            "role",
            sa.String(length=32),
            nullable=False,
            comment="current role; grants are events (user:role_granted)",
        ),
        sa.Column("unit", sa.String(length=64), nullable=False, comment="source unit or relying party code"),
        sa.Column(
            "subject_id",
            sa.String(length=24),
            nullable=True,
            comment="for a data subject: the verified subject",
        ),
        sa.Column(
            "purposes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="a relying party's declared purposes (查询用途)",
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_keys",
        sa.Column(
            "id", sa.String(length=16), nullable=False, comment="the key's public part, shown in listings"
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column(
            "key_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the whole key (256 random bits)",
        ),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"], unique=False)
    op.create_table(
        "authorizations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=24), nullable=False),
        sa.Column(
            "grantee", sa.String(length=64), nullable=False, comment="the third party's code (Actor.unit)"
        ),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column(
            "scope",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment='catalog item codes, or ["*"]',
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("proof", sa.String(length=500), nullable=False, comment="where the consent is documented"),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_authorizations_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorizations")),
    )
    op.create_index(
        "ix_authorizations_grantee_subject_id", "authorizations", ["grantee", "subject_id"], unique=False
    )
    op.create_index(op.f("ix_authorizations_subject_id"), "authorizations", ["subject_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the session cookie"
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column(
                "payload_salt",
                sa.String(length=32),
                nullable=True,
                comment="hex of 16 random bytes: payload_hash = SHA-256(salt || payload); erased with it",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("payload_salt")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_index(op.f("ix_authorizations_subject_id"), table_name="authorizations")
    op.drop_index("ix_authorizations_grantee_subject_id", table_name="authorizations")
    op.drop_table("authorizations")
    op.drop_index(op.f("ix_api_keys_user_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_index(op.f("ix_query_log_subject_id"), table_name="query_log")
    op.drop_table("query_log")
