"""The consumer's COPY path (`pipeline/warehouse/bulk.py`) against its multi-row INSERT path:
the same rows whatever the text holds, data errors as DataError, and entity ids remembered
across batches that stay right when the entities table changes under them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    TOPIC,
    empty_db_fixture,
    engine_fixture,
    enriched,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.records import EnrichedArticle
from pipeline.warehouse.db import find_unstorable, store_batch

pytestmark = pytest.mark.integration

# What COPY's text format and array literals escape, and what they must not mangle.
AWKWARD = [
    'a "quoted" name',
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "{braces},comma",
    "NULL",
    "\\N",
    "",
    "Zürich – 東京",
]


def _awkward_batch(run: str) -> list[EnrichedArticle]:
    items = []
    for n, form in enumerate(AWKWARD):
        body = f"Text {n} with {form} and a \\ backslash.\n\nSecond\tparagraph."
        item = enriched(make_cleaned(n, run=run, body=body), ("Paris", "GPE"), (f"E{n}", "ORG"))
        entities = [e.model_copy(update={"surface_forms": [form, "plain"]}) for e in item.entities]
        items.append(item.model_copy(update={"entities": entities}))
    return items


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "articles": "SELECT article_id, title, text, authors, tags, extractor, enricher, version "
        "FROM articles ORDER BY article_id",
        "article_versions": "SELECT article_id, version, content_hash, text, title, record "
        "FROM article_versions ORDER BY article_id, version",
        "mentions": "SELECT m.article_id, e.canonical, e.label, m.count, m.surface_forms, "
        "m.first_offset FROM mentions m JOIN entities e USING (entity_id) "
        "ORDER BY 1, 2, 3",
        "article_search": "SELECT article_id, config, document::text FROM article_search "
        "ORDER BY article_id",
    }
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}


def test_copy_and_multi_row_insert_store_the_same_rows(engine: Engine) -> None:
    items = _awkward_batch("bulk-same")
    first = store_batch(engine, "g", items, {(TOPIC, 0): len(items)})
    copied = _rows(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM articles"))  # mentions and versions go with them
    again = store_batch(engine, "g", items, {(TOPIC, 0): len(items)}, bulk=False)
    assert again.articles == first.articles == len(items)
    assert again.mentions == first.mentions == 2 * len(items)
    inserted = _rows(engine)
    assert copied == inserted
    forms = {row[4][0] for row in copied["mentions"]}
    assert forms == set(AWKWARD)


def test_a_nul_in_a_mention_is_a_data_error_found_alone(engine: Engine) -> None:
    good, bad = _awkward_batch("bulk-nul")[:2]
    entities = [e.model_copy(update={"surface_forms": ["N\x00L"]}) for e in bad.entities]
    bad = bad.model_copy(update={"entities": entities})
    with pytest.raises(DataError):
        store_batch(engine, "g", [good, bad], {(TOPIC, 0): 2})
    assert find_unstorable(engine, [good, bad]).keys() == {1}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 0


def test_remembered_entity_ids_follow_entities_deleted_and_made_again(engine: Engine) -> None:
    one = enriched(make_cleaned(1, run="bulk-ids"), ("Paris", "GPE"), ("Ada Lovelace", "PERSON"))
    store_batch(engine, "g", [one], {})
    with engine.begin() as conn:
        # Deleting entities takes their mentions along; the ids the consumer remembers go stale.
        conn.execute(text("DELETE FROM entities"))
        # Another writer makes Paris again under a new id, and an unrelated entity.
        conn.execute(text("INSERT INTO entities (canonical, label) VALUES ('Other', 'ORG')"))
        conn.execute(text("INSERT INTO entities (canonical, label) VALUES ('Paris', 'GPE')"))
    two = enriched(make_cleaned(2, run="bulk-ids"), ("Paris", "GPE"), ("Ada Lovelace", "PERSON"))
    result = store_batch(engine, "g", [two], {})
    assert result.mentions == 2
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT e.canonical, e.label FROM mentions m JOIN entities e USING (entity_id) "
                "WHERE m.article_id = :id ORDER BY 1"
            ),
            {"id": two.article_id},
        ).all()
    assert [tuple(r) for r in found] == [("Ada Lovelace", "PERSON"), ("Paris", "GPE")]
