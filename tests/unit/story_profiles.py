"""A story in the index, for the unit tests that score articles against stories by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.enrich.stories import Story

T0 = datetime(2014, 3, 10, 17, 0, tzinfo=UTC)


def story(
    story_id: str,
    *,
    articles: int = 3,
    entities: dict[str, float] | None = None,
    terms: dict[str, float],
) -> Story:
    """A story of `articles` English articles first seen at T0, with these profiles."""
    return Story(
        story_id=story_id,
        first_article_id=story_id,
        first_source="wire",
        first_published=T0,
        earliest=T0,
        latest=T0,
        article_count=articles,
        entities=dict(entities or {}),
        terms=dict(terms),
        languages={"en": articles},
    )
