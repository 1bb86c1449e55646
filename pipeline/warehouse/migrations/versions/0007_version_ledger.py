"""The version ledger: which text each article version named, kept when article rows are lost.

Filled from article_versions, so the versions stored before it existed count too.

Revision ID: 0007_version_ledger
Revises: 0006_delivery
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_version_ledger"
down_revision: str | None = "0006_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "version_ledger",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("article_id", "version", name=op.f("pk_version_ledger")),
    )
    op.execute(
        "INSERT INTO version_ledger (article_id, version, content_hash) "
        "SELECT article_id, version, content_hash FROM article_versions"
    )


def downgrade() -> None:
    op.drop_table("version_ledger")
