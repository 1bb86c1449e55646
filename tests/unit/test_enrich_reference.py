"""The seed article (tests/fixtures/reference-article.txt) through the whole enricher: the
checks the issue lists, on what the raw model gets wrong."""

from __future__ import annotations

import pytest
from enrich_cases import reference_record

from pipeline.enrich import Enricher
from pipeline.records import EnrichedArticle, Entity

VIRUS = ("France announces 1st death in Europe", "Total volume of daily travelers")


@pytest.fixture(scope="module")
def result() -> EnrichedArticle:
    [enriched] = Enricher().enrich_each([reference_record()])
    assert isinstance(enriched, EnrichedArticle)
    return enriched


def surface_forms(result: EnrichedArticle) -> dict[str, list[str]]:
    """canonical → surface forms, as the record's entities list them."""
    return {entity.canonical: entity.surface_forms for entity in result.entities}


def entity(result: EnrichedArticle, canonical: str) -> Entity:
    [found] = [e for e in result.entities if e.canonical == canonical]
    return found


def test_nato_is_one_entity_with_every_form_and_the_alliance(result: EnrichedArticle) -> None:
    nato = entity(result, "NATO")
    assert (nato.label, nato.wikidata_id) == ("ORG", "Q7184")
    forms = set(surface_forms(result)["NATO"])
    assert {
        "NATO",
        "The North Atlantic Treaty Organization",
        "North Atlantic Treaty Organisation",
        "Alliance",
        "non-NATO",
    } <= forms
    names = {e.canonical for e in result.entities}
    assert not names & {
        "North Atlantic Treaty Organization",
        "North Atlantic Treaty Organisation",
        "Alliance",
        "non-NATO",
    }


def test_stoltenberg_is_one_person_with_the_bare_surname(result: EnrichedArticle) -> None:
    person = entity(result, "Jens Stoltenberg")
    assert person.label == "PERSON"
    # Twice in full, twice bare (tagged ORG and GPE by the model).
    assert person.count == 4
    assert set(surface_forms(result)["Jens Stoltenberg"]) == {"Jens Stoltenberg", "Stoltenberg"}
    assert "Stoltenberg" not in {e.canonical for e in result.entities}


def test_usa_us_and_united_states_are_one_entity(result: EnrichedArticle) -> None:
    us = entity(result, "United States")
    assert (us.label, us.wikidata_id, us.count) == ("GPE", "Q30", 4)
    assert set(surface_forms(result)["United States"]) == {"USA", "US", "United States"}


def test_no_junk_no_byline_and_anti_is_found(result: EnrichedArticle) -> None:
    names = {e.canonical for e in result.entities}
    assert not any("Sputnik" in name or "Follow" in name for name in names)
    assert "Clay Curtis" not in names
    islamic_state = entity(result, "Islamic State")
    assert (islamic_state.wikidata_id, islamic_state.count) == ("Q2429253", 2)
    assert set(surface_forms(result)["Islamic State"]) == {"ISIS", "IS"}
    assert {"Iraq", "Baghdad", "Brussels", "Qasem Soleimani"} <= names


def test_demonyms_are_norp_with_their_country_id(result: EnrichedArticle) -> None:
    iraqi = entity(result, "Iraqi")
    assert (iraqi.label, iraqi.wikidata_id) == ("NORP", entity(result, "Iraq").wikidata_id)
    assert set(surface_forms(result)["Iraqi"]) == {"Iraqi", "Iraqis"}


def test_the_two_virus_paragraphs_are_flagged_and_nothing_else_of_the_story(
    result: EnrichedArticle,
) -> None:
    paragraphs = result.paragraphs
    flagged = [p.text for p in paragraphs if p.offtopic]
    furniture = ["Clay Curtis", "February 16, 2020", "Other reports by", "Discuss This Article"]
    assert sorted(flagged) == sorted(
        [*furniture, *(p.text for p in paragraphs if p.text.startswith(VIRUS))]
    )
    assert all(p.offtopic_score < 0.3 for p in paragraphs if not p.offtopic)


def test_flagged_paragraphs_leave_the_entity_counts(result: EnrichedArticle) -> None:
    names = {e.canonical for e in result.entities}
    assert not names & {"Liu Xiaoming", "SARS", "France"}
    # Europe is also in a paragraph of the story, and is counted from there only.
    assert entity(result, "Europe").count == 1


def test_language_is_detected_for_an_undeclared_page(result: EnrichedArticle) -> None:
    assert result.language == "en"
    assert result.entities_skipped is None
