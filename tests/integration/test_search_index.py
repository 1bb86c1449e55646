"""The full-text index (`article_search`) kept in step per statement (migration 0010): the
same document per article as 0005's row trigger built, written again only when the text
changed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    enriched,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.records import EnrichedArticle
from pipeline.warehouse.db import store_batch

pytestmark = pytest.mark.integration

# 0005's document, computed here from the article row.
EXPECTED = """
    SELECT a.article_id, newsflow_text_config(a.language)::text,
           (setweight(to_tsvector(newsflow_text_config(a.language), a.title), 'A')
            || setweight(to_tsvector(newsflow_text_config(a.language),
                                     coalesce(a.description, '')), 'B')
            || setweight(to_tsvector(newsflow_text_config(a.language), a.text), 'C'))::text
    FROM articles a ORDER BY 1
"""
INDEXED = "SELECT article_id, config::text, document::text FROM article_search ORDER BY 1"


def _rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(query))]


def _with(item: EnrichedArticle, **update: object) -> EnrichedArticle:
    return item.model_copy(update=update)


def test_each_article_gets_the_document_of_its_language_and_text(engine: Engine) -> None:
    items = [
        _with(enriched(make_cleaned(0, run="fts")), description="Lovelace on engines"),
        _with(enriched(make_cleaned(1, run="fts")), language="de"),
        _with(enriched(make_cleaned(2, run="fts")), language="pt-BR"),
        _with(enriched(make_cleaned(3, run="fts")), language=None),
    ]
    store_batch(engine, "g", items, {})
    changed = make_cleaned(1, run="fts", version=2, body="Die Regulierungsbehörde tagte.")
    store_batch(engine, "g", [_with(enriched(changed), language="de")], {})

    indexed = _rows(engine, INDEXED)
    assert indexed == _rows(engine, EXPECTED)
    configs = {article_id: config for article_id, config, _ in indexed}
    assert [configs[item.article_id] for item in items] == [
        "english",
        "german",
        "portuguese",
        "simple",
    ]
    documents = {article_id: document for article_id, _, document in indexed}
    assert "'regulierungsbehord':4C" in str(documents[changed.article_id])


def test_an_update_that_keeps_the_text_leaves_the_document_alone(engine: Engine) -> None:
    item = enriched(make_cleaned(0, run="keep"))
    store_batch(engine, "g", [item], {})
    written = _rows(engine, "SELECT xmin::text, document::text FROM article_search")

    # Same version, another enricher: the article row is rewritten, its text is not.
    other = _with(item, enricher=item.enricher.model_copy(update={"model": "other"}))
    assert store_batch(engine, "g", [other], {}).articles == 1
    assert _rows(engine, "SELECT xmin::text, document::text FROM article_search") == written

    # A lost document comes back with the next update of its article.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM article_search"))
        conn.execute(text("UPDATE articles SET language = language"))
    assert _rows(engine, INDEXED) == _rows(engine, EXPECTED) != []
