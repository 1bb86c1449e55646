"""The fetcher's state: validators and published content per page (fetch_state), robots.txt.

Revision ID: 0003_fetch_state
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_fetch_state"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fetch_state",
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("article_id", sa.String(64), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("checked_at", TS, nullable=False),
        sa.Column("changed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("url", name=op.f("pk_fetch_state")),
    )
    op.create_index(op.f("ix_fetch_state_source_id"), "fetch_state", ["source_id"])
    op.create_table(
        "robots_txt",
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_robots_txt")),
    )


def downgrade() -> None:
    op.drop_table("robots_txt")
    op.drop_index(op.f("ix_fetch_state_source_id"), table_name="fetch_state")
    op.drop_table("fetch_state")
