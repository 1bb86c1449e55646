"""Enriched records to warehouse rows: pure functions, no database.

`db.store_batch` writes what these return; keeping the mapping here lets it be tested without
PostgreSQL and keeps the transaction code about transactions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipeline.records import EnrichedArticle

# The columns of `articles` that come from the record; the rest are kept by the warehouse.
ARTICLE_FIELDS = (
    "article_id",
    "source_id",
    "url",
    "canonical_url",
    "title",
    "description",
    "authors",
    "published_at",
    "updated_at",
    "fetched_at",
    "language",
    "section",
    "tags",
    "text",
    "word_count",
    "content_hash",
    "version",
    "top_image",
    "extractor",
    "enricher",
    "near_duplicate_of",
    "entities_skipped",
)


def latest_per_article(articles: Iterable[EnrichedArticle]) -> list[EnrichedArticle]:
    """One record per article_id: the highest version, and of equal versions the last one.

    A batch may carry two versions of one article; PostgreSQL refuses to upsert one row twice
    in a statement. Sorted by article_id so concurrent writers lock rows in the same order.
    """
    chosen: dict[str, EnrichedArticle] = {}
    for article in articles:
        previous = chosen.get(article.article_id)
        if previous is None or article.version >= previous.version:
            chosen[article.article_id] = article
    return [chosen[key] for key in sorted(chosen)]


def article_row(article: EnrichedArticle) -> dict[str, Any]:
    return article.model_dump(include=set(ARTICLE_FIELDS))


def version_row(article: EnrichedArticle, *, record_json: bool = False) -> dict[str, Any]:
    """`record_json`: the record as JSON text (for COPY) instead of a dict."""
    return {
        "article_id": article.article_id,
        "version": article.version,
        "content_hash": article.content_hash,
        "text": article.text,
        "title": article.title,
        "fetched_at": article.fetched_at,
        "record": article.model_dump_json() if record_json else article.model_dump(mode="json"),
    }


@dataclass
class MentionDraft:
    """A mention before its entity has an id: keyed by (canonical, label)."""

    canonical: str
    label: str
    count: int
    first_offset: int
    surface_forms: list[str] = field(default_factory=list)


def mention_drafts(article: EnrichedArticle) -> list[MentionDraft]:
    """One draft per (canonical, label), merging entries the enricher listed separately.

    Everything comes from the record, so the rows can be rebuilt from the enriched topic. An
    entity without surface forms (a record enriched before the field existed) falls back to
    the name it was found under, so the column is never empty.
    """
    merged: dict[tuple[str, str], MentionDraft] = {}
    for entity in article.entities:
        key = (entity.canonical, entity.label)
        draft = merged.get(key)
        if draft is None:
            merged[key] = draft = MentionDraft(
                entity.canonical, entity.label, 0, entity.first_offset
            )
        draft.count += entity.count
        draft.first_offset = min(draft.first_offset, entity.first_offset)
        for form in entity.surface_forms or [entity.name]:
            if form not in draft.surface_forms:
                draft.surface_forms.append(form)
    return [merged[key] for key in sorted(merged)]
