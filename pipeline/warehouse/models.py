"""The warehouse schema: SQLAlchemy 2 models, the source of truth for the Alembic migrations.

Free-form strings are `Text`, not `String(n)`: a record that passes validation must never fail
to store because a label or a language tag is longer than someone guessed (the consumer would
retry it forever). Hashes and ids have a fixed width and keep it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations can refer to (and drop) them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Timestamp = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Source(Base):
    """One entry of sources.yaml, as last synced by an ingestion pass.

    A source synced from a file that no longer lists it is kept (its articles and fetch_log
    rows name it) but marked removed: `enabled` false and `removed_at` set.
    """

    __tablename__ = "sources"

    source_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    sources_file: Mapped[str | None] = mapped_column(Text)  # absolute path it was synced from
    removed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Article(Base):
    """One row per article: its latest version and that version's enrichment.

    No foreign key to `sources`: the consumer must be able to store an article whose source
    was never synced (records published by another tool, a sources file edited since).
    """

    __tablename__ = "articles"

    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(ARRAY(Text))
    published_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp)
    language: Mapped[str | None] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    top_image: Mapped[str | None] = mapped_column(Text)
    extractor: Mapped[dict[str, Any]] = mapped_column(JSONB)
    enricher: Mapped[dict[str, Any]] = mapped_column(JSONB)
    near_duplicate_of: Mapped[str | None] = mapped_column(String(64))
    entities_skipped: Mapped[str | None] = mapped_column(Text)
    # enriched_at moves when the stored version or its enrichment changes; stored_at is when
    # the article first reached the warehouse and never moves.
    enriched_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    stored_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (Index(None, "source_id", "published_at"),)


class ArticleVersion(Base):
    """Every version of every article that reached the warehouse, with its full record."""

    __tablename__ = "article_versions"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.article_id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp)
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)


class VersionLedger(Base):
    """Which text each version of an article named, kept when article rows are lost.

    No foreign key to `articles`, on purpose: a `DELETE FROM articles` (which cascades to
    article_versions and mentions) leaves the ledger, so a version is never given out twice
    and never goes backwards (see `version_ledger.py`). Only the consumer writes it.
    """

    __tablename__ = "version_ledger"

    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class Entity(Base):
    """One row per canonical entity and label ("Paris" the GPE is not "Paris" the PERSON)."""

    __tablename__ = "entities"

    entity_id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    canonical: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    wikidata_id: Mapped[str | None] = mapped_column(Text)  # from the gazetteer, when known

    __table_args__ = (UniqueConstraint("canonical", "label"),)


class Mention(Base):
    """An entity in the latest version of an article."""

    __tablename__ = "mentions"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.article_id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[int] = mapped_column(
        ForeignKey("entities.entity_id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer)
    surface_forms: Mapped[list[str]] = mapped_column(ARRAY(Text))
    first_offset: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index(None, "entity_id"),)


class FetchLog(Base):
    """Every HTTP fetch an ingestion pass made, successful or not."""

    __tablename__ = "fetch_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    source_id: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp)

    __table_args__ = (
        Index(None, "source_id", "fetched_at"),
        # A fetch is identified by what was fetched and when: writing the same rows again
        # (a retry after a commit whose acknowledgement was lost) must not duplicate them.
        UniqueConstraint("source_id", "url", "fetched_at"),
    )


class ConsumerOffset(Base):
    """Next offset to read per consumer group and partition, committed with the rows it covers."""

    __tablename__ = "consumer_offsets"

    group_id: Mapped[str] = mapped_column(Text, primary_key=True)
    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


# The later stages' models live in modules of their own; importing them here registers their
# tables on Base.metadata, which Alembic and the models-match-migrations test compare.
from pipeline.warehouse import (  # noqa: E402, F401
    models_analytics,
    models_dedup,
    models_delivery,
    models_fetch,
    models_stories,
)
