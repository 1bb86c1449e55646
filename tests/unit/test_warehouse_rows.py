"""Enriched records to warehouse rows, without a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Extractor,
    Paragraph,
    article_id_for,
    content_hash,
)
from pipeline.warehouse.models import Article
from pipeline.warehouse.rows import (
    ARTICLE_FIELDS,
    article_row,
    latest_per_article,
    mention_drafts,
    version_row,
)


def cleaned(
    n: int = 1, version: int = 1, body: str = "Ada Lovelace spoke in Paris."
) -> CleanedArticle:
    url = f"https://news.example.org/story-{n}"
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id="unit",
        title=f"Story {n}",
        fetched_at=datetime(2026, 11, 28, 7, tzinfo=UTC),
        text=body,
        paragraphs=[Paragraph(text=body)],
        word_count=len(body.split()),
        content_hash=content_hash(body),
        version=version,
        extractor=Extractor(name="test", version="1"),
    )


def enriched(article: CleanedArticle, entities: list[dict] | None = None) -> EnrichedArticle:
    return EnrichedArticle.model_validate(
        {
            **article.model_dump(),
            "entities": entities or [],
            "enricher": {"name": "test", "model": "none"},
        }
    )


def test_latest_per_article_keeps_the_highest_version_and_the_last_of_equals():
    v1, v2 = enriched(cleaned(1)), enriched(cleaned(1, version=2))
    v2_again = enriched(cleaned(1, version=2, body="Re-enriched."))
    other = enriched(cleaned(2))
    chosen = latest_per_article([v2, other, v1, v2_again])
    assert chosen == sorted([v2_again, other], key=lambda a: a.article_id)


def test_article_row_has_exactly_the_record_columns_of_articles():
    row = article_row(enriched(cleaned()))
    assert set(row) == set(ARTICLE_FIELDS)
    assert set(ARTICLE_FIELDS) <= set(Article.__table__.columns.keys())
    assert row["extractor"] == {"name": "test", "version": "1"}


def test_version_row_keeps_the_whole_record_as_json():
    article = enriched(cleaned())
    row = version_row(article)
    assert json.loads(json.dumps(row["record"])) == json.loads(article.model_dump_json())
    assert (row["article_id"], row["version"]) == (article.article_id, 1)


def test_mention_drafts_merge_entries_of_one_entity_and_fall_back_to_the_name():
    article = enriched(
        cleaned(),
        [
            {
                "name": "Paris",
                "label": "GPE",
                "canonical": "Paris",
                "count": 2,
                "first_offset": 22,
                "surface_forms": ["Paris", "the French capital"],
            },
            {
                "name": "Lovelace",
                "label": "PERSON",
                "canonical": "Ada Lovelace",
                "count": 1,
                "first_offset": 40,
            },
            {
                "name": "Ada Lovelace",
                "label": "PERSON",
                "canonical": "Ada Lovelace",
                "count": 1,
                "first_offset": 0,
            },
        ],
    )
    drafts = mention_drafts(article)
    by_key = {(d.canonical, d.label): d for d in drafts}
    assert list(by_key) == [("Ada Lovelace", "PERSON"), ("Paris", "GPE")]
    ada = by_key[("Ada Lovelace", "PERSON")]
    assert (ada.count, ada.first_offset, ada.surface_forms) == (2, 0, ["Lovelace", "Ada Lovelace"])
    assert by_key[("Paris", "GPE")].surface_forms == ["Paris", "the French capital"]
