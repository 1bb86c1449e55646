"""Entities beyond English, on the real models: French articles are tagged by the French model
and resolve to the same canonical entities and Wikidata ids as English; German, Spanish,
Italian and Portuguese articles (no model installed for them) are tagged by the gazetteer's
rule-based pipeline: exactly the gazetteer's entities, the same canonical names and ids as
English, a reason saying only gazetteer entities were looked for, never the English model's
guesses on foreign text. A language with neither gets no entities and a reason.

The articles are under tests/fixtures/enrich/languages/: one report of the same NATO summit
in each language, written like the agency copy of a news site."""

from __future__ import annotations

import pytest
from language_articles import WITHOUT_MODEL, language_record

from pipeline.enrich import Enricher
from pipeline.enrich.entities import canonical_form
from pipeline.records import CleanedArticle, EnrichedArticle, Paragraph

# Every entity of each summit report, as (canonical, label, Wikidata id, mentions): what the
# gazetteer knows of the text, nothing else (the cities and people it does not list, such as
# Charkiw, Gaza or Luís Montenegro, are not found: no model).
GAZETTEER_ENTITIES = {
    "de": {
        ("NATO", "ORG", "Q7184", 2),  # "NATO-Staaten", "NATO-Generalsekretär"
        ("The Hague", "GPE", "Q36600", 1),  # "Den Haag"
        ("Mark Rutte", "PERSON", "Q57792", 1),
        ("Germany", "GPE", "Q183", 1),  # "Deutschland"
        ("Friedrich Merz", "PERSON", None, 2),  # and the bare "Merz"
        ("Bundestag", "ORG", None, 1),
        ("France", "GPE", "Q142", 1),  # "Frankreichs": genitive
        ("Emmanuel Macron", "PERSON", "Q3052772", 1),
        ("European Union", "ORG", "Q458", 1),
        ("Ukraine", "GPE", "Q212", 1),
        ("Volodymyr Zelenskyy", "PERSON", "Q3874799", 1),  # "Wolodymyr Selenskyj"
        ("Kyiv", "GPE", "Q1899", 1),  # "Kiew"
        ("Russia", "GPE", "Q159", 1),
        ("Kremlin", "ORG", None, 1),  # "Kreml"
        ("United Nations", "ORG", "Q1065", 2),  # "UN-Generalsekretär", "Vereinten Nationen"
        ("António Guterres", "PERSON", None, 1),
        ("Spain", "GPE", "Q29", 1),
        ("Pedro Sánchez", "PERSON", None, 1),
    },
    "es": {
        ("NATO", "ORG", "Q7184", 2),  # "OTAN" twice
        ("The Hague", "GPE", "Q36600", 1),  # "La Haya"
        ("Mark Rutte", "PERSON", "Q57792", 1),
        ("Spain", "GPE", "Q29", 1),
        ("Pedro Sánchez", "PERSON", None, 1),
        ("Madrid", "GPE", "Q2807", 1),
        ("Germany", "GPE", "Q183", 1),
        ("Friedrich Merz", "PERSON", None, 1),
        ("Bundestag", "ORG", None, 1),
        ("Emmanuel Macron", "PERSON", "Q3052772", 1),
        ("United States", "GPE", "Q30", 1),
        ("Ukraine", "GPE", "Q212", 1),
        ("Volodymyr Zelenskyy", "PERSON", "Q3874799", 1),  # "Volodímir Zelenski"
        ("Kyiv", "GPE", "Q1899", 1),
        ("Russia", "GPE", "Q159", 1),
        ("Kremlin", "ORG", None, 1),
        ("United Nations", "ORG", "Q1065", 2),  # "Naciones Unidas", "ONU"
        ("António Guterres", "PERSON", None, 1),
        ("Turkey", "GPE", "Q43", 1),
    },
    "it": {
        ("NATO", "ORG", "Q7184", 3),  # "Nato" twice, "Alleanza atlantica"
        ("The Hague", "GPE", "Q36600", 1),  # "all'Aia"
        ("Mark Rutte", "PERSON", "Q57792", 1),
        ("Giorgia Meloni", "PERSON", None, 1),
        ("Italy", "GPE", "Q38", 1),  # "l'Italia"
        ("Rome", "GPE", "Q220", 1),
        ("European Commission", "ORG", "Q8880", 1),
        ("Germany", "GPE", "Q183", 1),
        ("Friedrich Merz", "PERSON", None, 1),
        ("Bundestag", "ORG", None, 1),
        ("Berlin", "GPE", "Q64", 1),  # "Berlino"
        ("Emmanuel Macron", "PERSON", "Q3052772", 1),
        ("Ukraine", "GPE", "Q212", 1),
        ("Volodymyr Zelenskyy", "PERSON", "Q3874799", 1),  # "Volodymyr Zelensky"
        ("Kyiv", "GPE", "Q1899", 1),
        ("Russia", "GPE", "Q159", 1),
        ("United Nations", "ORG", "Q1065", 2),  # "Nazioni Unite", "L'Onu"
        ("António Guterres", "PERSON", None, 1),
        ("Spain", "GPE", "Q29", 1),
        ("Pedro Sánchez", "PERSON", None, 1),
        ("Turkey", "GPE", "Q43", 1),
    },
    "pt": {
        ("NATO", "ORG", "Q7184", 3),  # "NATO" twice, "Aliança Atlântica"
        ("The Hague", "GPE", "Q36600", 1),  # "Haia"
        ("Mark Rutte", "PERSON", "Q57792", 1),
        ("Portugal", "GPE", "Q45", 1),
        ("Lisbon", "GPE", "Q597", 1),
        ("Germany", "GPE", "Q183", 1),
        ("Friedrich Merz", "PERSON", None, 1),
        ("Bundestag", "ORG", None, 1),
        ("Berlin", "GPE", "Q64", 1),  # "Berlim"
        ("Emmanuel Macron", "PERSON", "Q3052772", 1),
        ("United States", "GPE", "Q30", 1),
        ("Ukraine", "GPE", "Q212", 1),
        ("Volodymyr Zelenskyy", "PERSON", "Q3874799", 1),
        ("Kyiv", "GPE", "Q1899", 1),
        ("Russia", "GPE", "Q159", 1),
        ("United Nations", "ORG", "Q1065", 2),  # "Nações Unidas", "ONU"
        ("António Guterres", "PERSON", None, 1),
        ("Spain", "GPE", "Q29", 1),
        ("Pedro Sánchez", "PERSON", None, 1),
        ("Turkey", "GPE", "Q43", 1),
    },
}


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
    assert labels["Kharkiv"] == "GPE"
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


def found(article: EnrichedArticle) -> set[tuple[str, str, str | None, int]]:
    return {(e.canonical, e.label, e.wikidata_id, e.count) for e in article.entities}


@pytest.mark.parametrize("language", WITHOUT_MODEL)
def test_article_without_a_model_gets_exactly_the_gazetteers_entities(
    enricher: Enricher, language: str
) -> None:
    article = enrich_one(enricher, language_record(language))
    assert article.language == language
    assert found(article) == GAZETTEER_ENTITIES[language]
    assert article.entities_skipped == (
        f"gazetteer entities only: no NER model for {language} installed"
    )
    assert article.enricher.model == f"{language}_newsflow_gazetteer 0.1.0"
    # Each surface form is the record's text at the entity's first offset.
    for entity in article.entities:
        assert article.text[entity.first_offset :].startswith(entity.surface_forms[0])


# The EU summit report of tests/fixtures/enrich/languages/eu-report/: what the gazetteer knows
# of it. Not found, with no model: Frankfurt, Strasbourg, Luís Montenegro, "the Baltic states".
EU_REPORT_COMMON = {
    ("European Union", "ORG", "Q458"),
    ("Brussels", "GPE", "Q239"),
    ("Ukraine", "GPE", "Q212"),
    ("Viktor Orbán", "PERSON", None),
    ("European Council", "ORG", None),
    ("European Commission", "ORG", "Q8880"),
    ("Ursula von der Leyen", "PERSON", None),
    ("Germany", "GPE", "Q183"),
    ("France", "GPE", "Q142"),
    ("Poland", "GPE", "Q36"),
    ("European Central Bank", "ORG", None),
    ("International Monetary Fund", "ORG", None),
    ("Moscow", "GPE", "Q649"),
    ("Kremlin", "ORG", None),
    ("European Parliament", "ORG", None),
}
EU_REPORT_OWN = {
    # "Ungarns", "Frankreichs", "Italiens": genitives; "Europäischen Rates", "Internationale
    # Währungsfonds": declined; no "European Union" twice (the title's "EU" is not text).
    "de": {
        ("Hungary", "GPE", "Q28"),
        ("Friedrich Merz", "PERSON", None),
        ("Emmanuel Macron", "PERSON", "Q3052772"),
        ("Italy", "GPE", "Q38"),
        ("Giorgia Meloni", "PERSON", None),
    },
    "es": {("Pedro Sánchez", "PERSON", None), ("Spain", "GPE", "Q29")},
    "it": {("Giorgia Meloni", "PERSON", None), ("Italy", "GPE", "Q38")},
    "pt": {("Portugal", "GPE", "Q45"), ("Lisbon", "GPE", "Q597")},
}
# The European Union and Brussels twice where the text names them twice: "Unión Europea" and
# "UE", "Unione europea" and "Ue", "União Europeia" and "UE"; "Brüssel" twice in German.
EU_REPORT_TWICE = {
    "de": {"Brussels"},
    "es": {"European Union"},
    "it": {"European Union"},
    "pt": {"European Union"},
}


@pytest.mark.parametrize("language", WITHOUT_MODEL)
def test_an_eu_report_without_a_model_gets_exactly_the_gazetteers_entities(
    enricher: Enricher, language: str
) -> None:
    article = enrich_one(enricher, language_record(language, report="eu-report"))
    assert article.language == language
    assert len(article.text.split()) >= 150
    assert {(e.canonical, e.label, e.wikidata_id) for e in article.entities} == (
        EU_REPORT_COMMON | EU_REPORT_OWN[language]
    )
    assert {e.canonical for e in article.entities if e.count == 2} == EU_REPORT_TWICE[language]
    assert all(e.count in (1, 2) for e in article.entities)
    assert article.entities_skipped == (
        f"gazetteer entities only: no NER model for {language} installed"
    )


@pytest.mark.parametrize("report", ["", "eu-report"])
def test_the_same_entity_in_every_language_is_one_canonical_entity(
    enricher: Enricher, report: str
) -> None:
    """Every language's report names its entities with the same canonical names and ids: the
    entities all four share are one set, whatever each language calls them."""
    by_language = {
        language: {
            (e.canonical, e.label, e.wikidata_id)
            for e in enrich_one(enricher, language_record(language, report=report)).entities
        }
        for language in WITHOUT_MODEL
    }
    shared = set.intersection(*by_language.values())
    assert {
        ("Germany", "GPE", "Q183"),
        ("Ukraine", "GPE", "Q212"),
        ("Emmanuel Macron", "PERSON", "Q3052772") if not report else ("Poland", "GPE", "Q36"),
    } <= shared
    if not report:
        assert ("NATO", "ORG", "Q7184") in shared  # NATO, OTAN, Nato, Alleanza atlantica
        assert ("Volodymyr Zelenskyy", "PERSON", "Q3874799") in shared  # Selenskyj, Zelenski


@pytest.mark.parametrize("language", WITHOUT_MODEL)
def test_no_english_model_entity_appears_in_an_article_without_a_model(
    enricher: Enricher, language: str
) -> None:
    record = language_record(language)
    article = enrich_one(enricher, record)
    surfaces = {form for e in article.entities for form in e.surface_forms}
    # What the English model would have said of the same paragraphs: none of its own finds.
    english = {
        canonical_form(ent.text, ent.label_)
        for paragraph in record.paragraphs
        for ent in enricher.nlp(paragraph.text).ents
    }
    gazetteer_names = {name for name, _ in enricher.gazetteer.rule_names(language)}
    gazetteer_names |= {surname for surname, _ in enricher.gazetteer.surnames()}
    english_only = english - gazetteer_names
    assert english_only  # the English model does find other things in this text
    assert not english_only & surfaces
    assert surfaces <= gazetteer_names


def test_a_language_with_neither_model_nor_gazetteer_names_gets_no_entities(
    enricher: Enricher,
) -> None:
    dutch = language_record("de").model_copy(
        update={
            "language": "nl",
            "paragraphs": [
                Paragraph(
                    text="De leiders van de NAVO kwamen dinsdag bijeen in Den Haag. "
                    "Secretaris-generaal Mark Rutte sprak van een historisch moment voor het "
                    "bondgenootschap, en Duitsland beloofde de uitgaven sneller te verhogen."
                )
            ],
        }
    )
    dutch = dutch.model_copy(update={"text": dutch.paragraphs[0].text})
    article = enrich_one(enricher, dutch)
    assert article.language == "nl"
    assert article.entities == []
    assert article.entities_skipped == "no NER model for nl installed"


@pytest.mark.parametrize("language", ["fr", *WITHOUT_MODEL])
def test_undeclared_language_is_detected_and_routed(enricher: Enricher, language: str) -> None:
    article = enrich_one(enricher, language_record(language, declared=None))
    assert article.language == language
    if language == "fr":
        assert ids(article)["NATO"] == "Q7184"
    else:
        assert found(article) == GAZETTEER_ENTITIES[language]
        assert article.entities_skipped == (
            f"gazetteer entities only: no NER model for {language} installed"
        )


def test_a_batch_of_every_language_is_routed_record_by_record(enricher: Enricher) -> None:
    records = [language_record(lang) for lang in ["de", "fr", "es", "it", "pt"]]
    results = enricher.enrich(records)
    assert [r.article_id for r in results] == [r.article_id for r in records]
    by_language = {r.language: r for r in results}
    assert ids(by_language["fr"])["NATO"] == "Q7184"
    for lang in WITHOUT_MODEL:
        assert found(by_language[lang]) == GAZETTEER_ENTITIES[lang]
        assert by_language[lang].enricher.model == f"{lang}_newsflow_gazetteer 0.1.0"


def test_other_models_load_on_their_first_article_only() -> None:
    enricher = Enricher()
    assert enricher.models.load_seconds == {}
    enricher.enrich([language_record("de")])
    assert list(enricher.models.load_seconds) == ["de"]  # German: the gazetteer's rules
    enricher.enrich([language_record("fr"), language_record("fr", declared=None)])
    assert list(enricher.models.load_seconds) == ["de", "fr"]
    rules = enricher.models.pipeline("de")
    enricher.enrich([language_record("de")])
    assert enricher.models.pipeline("de") is rules
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
    # Not installed: German falls back to the gazetteer's rules, and says why.
    assert models.skip_reason("de") is None
    assert models.partial_reason("de") == (
        "gazetteer entities only: no NER model for de installed (de-core-news-sm is missing)"
    )
    assert models.model("de").kind == "gazetteer"
    assert models.skip_reason("fr") is None
    assert models.partial_reason("fr") is None
    assert models.skip_reason("nl") == "no NER model for nl installed"
    assert models.partial_reason("nl") is None


@pytest.mark.parametrize("language", ["fr", *WITHOUT_MODEL])
def test_a_foreign_article_under_an_english_template_gets_no_english_ner(
    enricher: Enricher, language: str
) -> None:
    article = enrich_one(enricher, language_record(language, declared="en"))
    if language == "fr":
        assert article.language == "fr"
        assert ids(article)["NATO"] == "Q7184"
        return
    if language == "es":
        assert article.entities == []
        # The detector reads the Spanish text as "es" at 0.998: not sure enough to overrule the
        # page's declaration (the record keeps "en"), sure enough to keep the English model off.
        assert article.language == "en"
        assert article.entities_skipped == (
            "text reads as es (0.998) though the page declares en: no English NER on it"
        )
    else:
        assert article.language == language
        assert found(article) == GAZETTEER_ENTITIES[language]
        assert article.entities_skipped == (
            f"gazetteer entities only: no NER model for {language} installed (page declares en)"
        )
