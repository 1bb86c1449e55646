"""Initial warehouse: tables, indexes and the analysts' first views.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")

VIEWS = {
    # Articles by source and UTC day of publication (the fetch day when the page had no date).
    "v_articles_per_source_day": """
        SELECT source_id,
               (coalesce(published_at, fetched_at) AT TIME ZONE 'UTC')::date AS day,
               count(*) AS articles,
               sum(word_count) AS words
        FROM articles
        GROUP BY 1, 2
    """,
    # Entities by how many articles mention them.
    "v_top_entities": """
        SELECT e.entity_id, e.canonical, e.label,
               count(*) AS articles,
               sum(m.count) AS mentions
        FROM entities e
        JOIN mentions m USING (entity_id)
        GROUP BY e.entity_id, e.canonical, e.label
        ORDER BY articles DESC, mentions DESC, e.canonical
    """,
}


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("config", JSONB(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_sources")),
    )
    op.create_table(
        "articles",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("canonical_url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("authors", ARRAY(sa.Text()), nullable=False),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("tags", ARRAY(sa.Text()), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("top_image", sa.Text(), nullable=True),
        sa.Column("extractor", JSONB(), nullable=False),
        sa.Column("enricher", JSONB(), nullable=False),
        sa.Column("near_duplicate_of", sa.String(64), nullable=True),
        sa.Column("entities_skipped", sa.Text(), nullable=True),
        sa.Column("enriched_at", TS, server_default=NOW, nullable=False),
        sa.Column("stored_at", TS, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_articles")),
    )
    op.create_index(
        op.f("ix_articles_source_id_published_at"), "articles", ["source_id", "published_at"]
    )
    op.create_table(
        "article_versions",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("record", JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.article_id"],
            ondelete="CASCADE",
            name=op.f("fk_article_versions_article_id_articles"),
        ),
        sa.PrimaryKeyConstraint("article_id", "version", name=op.f("pk_article_versions")),
    )
    op.create_table(
        "entities",
        sa.Column("entity_id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_entities")),
        sa.UniqueConstraint("canonical", "label", name=op.f("uq_entities_canonical_label")),
    )
    op.create_table(
        "mentions",
        sa.Column("article_id", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("surface_forms", ARRAY(sa.Text()), nullable=False),
        sa.Column("first_offset", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.article_id"],
            ondelete="CASCADE",
            name=op.f("fk_mentions_article_id_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.entity_id"],
            ondelete="CASCADE",
            name=op.f("fk_mentions_entity_id_entities"),
        ),
        sa.PrimaryKeyConstraint("article_id", "entity_id", name=op.f("pk_mentions")),
    )
    op.create_index(op.f("ix_mentions_entity_id"), "mentions", ["entity_id"])
    op.create_table(
        "fetch_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fetched_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fetch_log")),
        sa.UniqueConstraint(
            "source_id", "url", "fetched_at", name=op.f("uq_fetch_log_source_id_url_fetched_at")
        ),
    )
    op.create_index(
        op.f("ix_fetch_log_source_id_fetched_at"), "fetch_log", ["source_id", "fetched_at"]
    )
    op.create_table(
        "consumer_offsets",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TS, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition", name=op.f("pk_consumer_offsets")),
    )
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {query}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW {name}")
    for table in (
        "consumer_offsets",
        "fetch_log",
        "mentions",
        "entities",
        "article_versions",
        "articles",
        "sources",
    ):
        op.drop_table(table)  # their indexes go with them
