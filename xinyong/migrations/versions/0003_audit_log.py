"""audit log: Merkle tree leaves, subtree nodes, frontier state and signed tree heads

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 07:00:00

The tables of ``xinyong.audit.log``. Events recorded before this revision are appended to the new
log here, in ``seq`` order, so that the tree covers every event from the first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_leaves",
        sa.Column(
            "leaf_index", Id64, autoincrement=False, nullable=False, comment="position in the tree, from 0"
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False, comment="events.seq of the entry"),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False, comment="SHA-256(0x00 || envelope bytes)"),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_audit_leaves")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_leaves_seq")),
    )
    op.create_table(
        "audit_nodes",
        sa.Column(
            "level",
            sa.Integer(),
            autoincrement=False,
            nullable=False,
            comment="height, >= 1 (leaves: audit_leaves)",
        ),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "hash",
            sa.LargeBinary(),
            nullable=False,
            comment="root of leaves [idx * 2**level, (idx + 1) * 2**level)",
        ),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_audit_nodes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False, comment="always 1: one row"),
        sa.Column("size", sa.BigInteger(), nullable=False, comment="number of leaves"),
        sa.Column(
            "frontier",
            sa.Text(),
            nullable=False,
            comment="JSON list of the perfect subtree roots, tallest first",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_state")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("id", Id64, autoincrement=True, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column(
            "signature",
            sa.LargeBinary(),
            nullable=False,
            comment="Ed25519 over xinyong-tree-head/v1 bytes",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_heads")),
    )
    with op.batch_alter_table("audit_tree_heads", schema=None) as batch_op:
        batch_op.create_index("ix_audit_tree_heads_size", ["size"], unique=False)

    from xinyong.audit.log import backfill  # imported here: the log's leaf format is defined there

    backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("audit_tree_heads", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_tree_heads_size")
    op.drop_table("audit_tree_heads")
    op.drop_table("audit_state")
    op.drop_table("audit_nodes")
    op.drop_table("audit_leaves")
