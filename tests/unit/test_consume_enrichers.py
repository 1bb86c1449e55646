"""The stub enricher of the delivery tests, and how a consumer picks its enricher."""

from __future__ import annotations

from test_warehouse_rows import cleaned

from devtools.stub_enricher import StubEnricher
from pipeline.config import Settings
from pipeline.jobs import make_enricher
from pipeline.records import EnrichedArticle


def test_stub_tags_each_capitalized_word_once_with_count_and_first_offset():
    record = cleaned(1, body="Ada met Bob. Then Ada left for Paris-Nord.")
    [article] = StubEnricher().enrich_each([record])
    forms = {entity.canonical: entity.surface_forms for entity in article.entities}

    assert isinstance(article, EnrichedArticle)
    assert [(e.canonical, e.label, e.count, e.first_offset) for e in article.entities] == [
        ("Ada", "MISC", 2, 0),
        ("Bob", "MISC", 1, 8),
        ("Nord", "MISC", 1, 37),
        ("Paris", "MISC", 1, 31),
        ("Then", "MISC", 1, 13),
    ]
    assert forms["Ada"] == ["Ada"]
    assert article.enricher.name == "newsflow-stub"
    assert article.text == record.text and article.article_id == record.article_id


def test_the_stub_is_chosen_only_when_configured():
    assert isinstance(make_enricher(Settings(enricher="stub")), StubEnricher)
    assert Settings().enricher == "spacy"
