"""The gazetteer's rule-based pipeline (pipeline/enrich/gazetteer_ner.py) on single sentences:
how names are matched, without the enricher around it."""

from __future__ import annotations

import pytest

from pipeline.enrich.gazetteer import Gazetteer, default_gazetteer
from pipeline.enrich.gazetteer_ner import build_pipeline


def ents(language: str, text: str, gazetteer: Gazetteer | None = None) -> list[tuple[str, str]]:
    nlp = build_pipeline(language, gazetteer or default_gazetteer())
    return [(ent.text, ent.ent_id_) for ent in nlp(text).ents]


def test_german_compounds_genitives_and_both_spellings_of_nato() -> None:
    assert ents(
        "de", "Die NATO-Staaten und die Nato-Partner trafen sich in Deutschlands Osten."
    ) == [
        ("NATO", "NATO"),
        ("Nato", "NATO"),
        ("Deutschlands", "Germany"),
    ]
    assert ents("de", "Die EU-Kommission und US-Präsident") == [
        ("EU-Kommission", "European Commission"),
        ("US", "United States"),
    ]


def test_a_long_name_in_lower_case_is_a_word_not_the_name() -> None:
    # Portuguese "china" is porcelain; "China" is the country.
    assert ents("pt", "Um serviço de china da avó foi vendido à China.") == [("China", "China")]
    # Long names match in any case that starts with a capital.
    assert ents("es", "La ORGANIZACIÓN DE LAS NACIONES UNIDAS") == [
        ("ORGANIZACIÓN DE LAS NACIONES UNIDAS", "United Nations")
    ]


def test_short_names_match_exactly() -> None:
    # "UN" is a Spanish article in capitals; only the language's own short names count.
    assert ents("es", "UN ACUERDO HISTÓRICO EN LA ONU") == [("ONU", "United Nations")]
    assert ents("it", "la Ue e la UE; non la ue") == [
        ("Ue", "European Union"),
        ("UE", "European Union"),
    ]


def test_people_and_acronyms_are_looked_for_in_every_language() -> None:
    assert ents("pt", "Mark Rutte falou com a CIA e a NASA.") == [
        ("Mark Rutte", "Mark Rutte"),
        ("CIA", "Central Intelligence Agency"),
        ("NASA", "NASA"),
    ]
    # Bare surnames of the people the gazetteer knows, tagged PERSON for resolution to join.
    nlp = build_pipeline("de", default_gazetteer())
    assert [(e.text, e.label_) for e in nlp("sagte Merz am Abend.").ents] == [("Merz", "PERSON")]


def test_a_language_with_no_names_of_its_own_still_gets_the_shared_ones() -> None:
    gazetteer = Gazetteer(
        {
            "organizations": [{"name": "NATO", "aliases": ["North Atlantic Treaty Organization"]}],
            "people": [{"name": "Mark Rutte"}],
        }
    )
    assert gazetteer.languages == frozenset()
    assert ents("nl", "De NAVO en NATO; Mark Rutte.", gazetteer) == [
        ("NATO", "NATO"),
        ("Mark Rutte", "Mark Rutte"),
    ]


@pytest.mark.parametrize("language", ["de", "es", "it", "pt"])
def test_the_pipeline_names_itself(language: str) -> None:
    nlp = build_pipeline(language, default_gazetteer())
    assert (nlp.meta["lang"], nlp.meta["name"]) == (language, "newsflow_gazetteer")


def test_a_language_spacy_has_no_rules_for_gets_the_generic_tokenizer() -> None:
    gazetteer = Gazetteer(
        {"countries": [{"name": "Germany", "id": "Q183", "names": {"sw": ["Ujerumani"]}}]}
    )
    assert ents("sw", "Rais wa Ujerumani alisema.", gazetteer) == [("Ujerumani", "Germany")]


def test_italian_nato_opening_a_sentence_before_a_preposition_is_born() -> None:
    assert ents("it", "Nato a Napoli nel 1948, il ministro ha lavorato per la Nato.") == [
        ("Nato", "NATO")
    ]
    assert spans("it", "Nato a Napoli. La Nato a Bruxelles.") == [(18, "Nato"), (25, "Bruxelles")]
    # Opening a sentence otherwise, it is the alliance.
    assert ents("it", "Nato e Ue hanno firmato. «Nato, vertice a luglio»") == [
        ("Nato", "NATO"),
        ("Ue", "European Union"),
        ("Nato", "NATO"),
    ]


def spans(language: str, text: str) -> list[tuple[int, str]]:
    nlp = build_pipeline(language, default_gazetteer())
    return [(ent.start_char, ent.text) for ent in nlp(text).ents]
