"""The consumer's dead-letter outbox (`consumer_dead_letters`), for an exactly-once DLT.

Revision ID: 0006_delivery
Revises: 0005_analytics
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0006_delivery"
down_revision: str | None = "0005_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consumer_dead_letters",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("header_names", ARRAY(sa.Text()), nullable=False),
        sa.Column("header_values", ARRAY(sa.LargeBinary()), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("dlt_partition", sa.Integer(), nullable=False),
        sa.Column("dlt_from_offset", sa.BigInteger(), nullable=False),
        sa.Column("dlt_offset", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint(
            "group_id", "topic", "partition", "offset", name=op.f("pk_consumer_dead_letters")
        ),
    )
    op.create_index(
        op.f("ix_consumer_dead_letters_group_id"),
        "consumer_dead_letters",
        ["group_id"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consumer_dead_letters_group_id"), table_name="consumer_dead_letters")
    op.drop_table("consumer_dead_letters")
