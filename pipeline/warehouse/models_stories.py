"""Stories: articles about one event across sources (pipeline/enrich/stories.py says how they
are formed; pipeline/warehouse/stories.py keeps them here).

`stories` holds each story's profile, what new articles are compared with, and the keys it is
found under (GIN-indexed, looked up within a time window on `latest_published_at`);
`article_stories` says which story each article joined; `story_key_df` counts the articles
having each key, for the IDF weights (the row with key '' counts all articles assigned).
The views of migration 0009 (v_stories, v_stories_daily, v_story_timeline, v_story_first)
are what analysts read; docs/sql.md documents them.

`article_stories` has no foreign key to `articles`: a story is assigned in the consumer's
batch transaction before the article row is written. A trigger of migration 0009 drops an
article's assignment (and counts it out of its story) when the article is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from pipeline.warehouse.models import Base, Timestamp


class StoryRow(Base):
    __tablename__ = "stories"

    story_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # its first article's id
    first_article_id: Mapped[str] = mapped_column(String(64))
    first_source: Mapped[str] = mapped_column(Text)
    first_published_at: Mapped[datetime] = mapped_column(Timestamp)  # of the first article
    # The span of its articles' publication times (published_at, else fetched_at).
    earliest_published_at: Mapped[datetime] = mapped_column(Timestamp)
    latest_published_at: Mapped[datetime] = mapped_column(Timestamp)
    article_count: Mapped[int] = mapped_column(Integer)
    # {"entities": {key: weight}, "terms": {term: weight}, "languages": {code: articles}}
    profile: Mapped[dict[str, Any]] = mapped_column(JSONB)
    keys: Mapped[list[str]] = mapped_column(ARRAY(Text))  # entity keys and "t:" + term
    created_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())

    __table_args__ = (
        Index(None, "keys", postgresql_using="gin"),
        Index(None, "latest_published_at"),
    )


class ArticleStory(Base):
    __tablename__ = "article_stories"

    article_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    story_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("stories.story_id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float | None] = mapped_column(Float)  # None for the story's first article
    assigned_at: Mapped[datetime] = mapped_column(Timestamp, server_default=func.now())


class StoryKeyDf(Base):
    __tablename__ = "story_key_df"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    articles: Mapped[int] = mapped_column(Integer)
