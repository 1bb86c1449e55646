"""Near-duplicate index (MinHash signatures, LSH band keys), entity Wikidata ids, and the
v_near_duplicates view.

Clusters of near-duplicates are v_duplicate_clusters (0005_analytics), from
articles.near_duplicate_of; v_near_duplicates lists each duplicate with its original and
their estimated similarity.

Revision ID: 0004_dedup
Revises: 0003_fetch_state
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0004_dedup"
down_revision: str | None = "0003_fetch_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)

# The enricher indexes an article before the consumer stores it, so the index cannot refer to
# `articles` by a foreign key; a deleted article takes its signature with it this way.
FORGET_SIGNATURE = """
CREATE FUNCTION newsflow_forget_signature() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dedup_signatures WHERE article_id = OLD.article_id;
    RETURN NULL;
END $$
"""

NEAR_DUPLICATES = """
CREATE VIEW v_near_duplicates AS
SELECT d.article_id, a.source_id, a.title, a.published_at,
       d.duplicate_of, o.source_id AS original_source_id, o.title AS original_title,
       o.published_at AS original_published_at, round(d.similarity::numeric, 3) AS similarity
FROM dedup_signatures d
JOIN articles a ON a.article_id = d.article_id
JOIN articles o ON o.article_id = d.duplicate_of
"""


def upgrade() -> None:
    op.create_table(
        "dedup_signatures",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("band_keys", ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("published", TS, nullable=False),
        sa.Column("duplicate_of", sa.String(64), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("indexed_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_dedup_signatures")),
        sa.UniqueConstraint("seq", name=op.f("uq_dedup_signatures_seq")),
    )
    op.create_index(
        op.f("ix_dedup_signatures_band_keys"),
        "dedup_signatures",
        ["band_keys"],
        postgresql_using="gin",
    )
    op.add_column("entities", sa.Column("wikidata_id", sa.Text(), nullable=True))
    op.execute(FORGET_SIGNATURE)
    op.execute("""
        CREATE TRIGGER articles_forget_signature AFTER DELETE ON articles
        FOR EACH ROW EXECUTE FUNCTION newsflow_forget_signature()
    """)
    op.execute(NEAR_DUPLICATES)


def downgrade() -> None:
    op.execute("DROP VIEW v_near_duplicates")
    op.execute("DROP TRIGGER articles_forget_signature ON articles")
    op.execute("DROP FUNCTION newsflow_forget_signature()")
    op.drop_column("entities", "wikidata_id")
    op.drop_table("dedup_signatures")
