"""Tables for analysts: the full-text index of articles and the dead-letter report.

The views and rollups built on them live in migration 0005 (Alembic does not model views);
docs/sql.md documents both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.warehouse.models import Base, Timestamp


class ArticleSearch(Base):
    """One tsvector per article, in the text search configuration of its language.

    Kept in step with `articles` by a trigger, so no writer has to remember it. A table of its
    own rather than a column of `articles`: the consumer's upsert stays about the record.
    """

    __tablename__ = "article_search"

    article_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("articles.article_id", ondelete="CASCADE"), primary_key=True
    )
    config: Mapped[Any] = mapped_column(REGCONFIG)
    document: Mapped[Any] = mapped_column(TSVECTOR)

    __table_args__ = (Index(None, "document", postgresql_using="gin"),)


class DeadLetter(Base):
    """A record on the dead-letter topic, copied by news_maintenance's dead-letter report.

    Keyed by its place on the topic, so reporting the same message again changes nothing.
    """

    __tablename__ = "dead_letters"

    dlt_partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    dlt_offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dead_lettered_at: Mapped[datetime] = mapped_column(Timestamp)
    record_key: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    source_topic: Mapped[str | None] = mapped_column(Text)
    source_partition: Mapped[int | None] = mapped_column(Integer)
    source_offset: Mapped[int | None] = mapped_column(BigInteger)
    value_preview: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (Index(None, "dead_lettered_at"),)
