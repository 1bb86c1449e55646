"""Entity rules, on hand-made mentions (no model needed)."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from pipeline.enrich.entities import Mention, canonical_form, is_junk, mention_from_span
from pipeline.enrich.gazetteer import default_gazetteer
from pipeline.enrich.resolution import aggregate
from pipeline.records import Entity


def mentions(*spans: tuple[str, str]) -> list[Mention]:
    """Mentions in text order, ten characters apart."""
    return [Mention(surface, label, offset=10 * i) for i, (surface, label) in enumerate(spans)]


def forms_by_canonical(entities: list[Entity]) -> dict[str, list[str]]:
    return {entity.canonical: entity.surface_forms for entity in entities}


def canonicals(*spans: tuple[str, str]) -> list[tuple[str, str, int]]:
    entities = aggregate(mentions(*spans))
    return [(e.canonical, e.label, e.count) for e in entities]


@pytest.mark.parametrize(
    ("surface", "label", "canonical"),
    [
        ("The Alliance", "ORG", "Alliance"),
        ("THE HOME DEPOT", "ORG", "HOME DEPOT"),
        ("NATO's", "ORG", "NATO"),
        ("Stoltenberg’s", "PERSON", "Stoltenberg"),
        ("the Middle\nEast", "LOC", "Middle East"),
        ("Theresa May", "PERSON", "Theresa May"),
        ("non-NATO", "ORG", "NATO"),
        ("anti-IS", "ORG", "IS"),
        ("President Donald Trump", "PERSON", "Donald Trump"),
        ("Prince Andrew", "PERSON", "Prince Andrew"),
        ("Democrats'", "NORP", "Democrats"),
    ],
)
def test_canonical_form_strips_article_prefix_title_and_possessive(
    surface: str, label: str, canonical: str
) -> None:
    assert canonical_form(surface, label) == canonical


@pytest.mark.parametrize(
    ("canonical", "label"),
    [
        ("X", "PERSON"),
        ("2020", "ORG"),
        ("the alliance", "ORG"),
        ("Follow Sputnik", "PERSON"),
        ("Click Here", "ORG"),
        ("s Feed", "ORG"),
        ("'s", "ORG"),
    ],
)
def test_junk_spans_are_recognized(canonical: str, label: str) -> None:
    assert is_junk(canonical, label)


@pytest.mark.parametrize(
    ("canonical", "label"), [("muslim", "NORP"), ("Read", "PERSON"), ("Human Rights Watch", "ORG")]
)
def test_names_are_not_junk(canonical: str, label: str) -> None:
    assert not is_junk(canonical, label)


@pytest.mark.parametrize(
    ("paragraph", "span", "surface"),
    [
        ("He said “NATO” would act.", (8, 14), "NATO"),
        ("Troops left the U.S. today.", (16, 20), "U.S."),
        ("They bought IL-25. Locksley", (12, 18), "IL-25"),
        ("(Reuters) reported", (0, 9), "Reuters"),
    ],
)
def test_span_is_trimmed_and_offset_still_points_at_it(
    paragraph: str, span: tuple[int, int], surface: str
) -> None:
    mention = mention_from_span(paragraph, *span, "ORG", paragraph_offset=100)
    assert mention is not None
    assert mention.surface == surface
    assert paragraph[mention.offset - 100 :].startswith(surface)


def test_span_of_punctuation_only_gives_no_mention() -> None:
    assert mention_from_span("a — b", 2, 3, "ORG", paragraph_offset=0) is None


def test_numeric_types_and_junk_spans_are_dropped() -> None:
    assert canonicals(
        ("2020", "DATE"),
        ("5,200", "ORG"),
        ("X", "PERSON"),
        ("the alliance", "ORG"),
        ("Follow Sputnik's", "PERSON"),
        ("muslim", "NORP"),
        ("Iraq", "GPE"),
    ) == [("muslim", "NORP", 1), ("Iraq", "GPE", 1)]


def test_bare_surname_joins_the_full_name_and_takes_its_label() -> None:
    entities = aggregate(
        mentions(
            ("Stoltenberg", "ORG"),
            ("Jens Stoltenberg", "PERSON"),
            ("Stoltenberg", "GPE"),
            ("Stoltenberg's", "ORG"),
        )
    )
    [entity] = entities
    assert (entity.canonical, entity.label, entity.count) == ("Jens Stoltenberg", "PERSON", 4)
    assert entity.name == "Stoltenberg"  # the most common surface form
    assert entity.first_offset == 0
    assert forms_by_canonical(entities) == {
        "Jens Stoltenberg": ["Stoltenberg", "Jens Stoltenberg", "Stoltenberg's"]
    }


def test_surname_shared_by_two_people_stays_unresolved() -> None:
    assert [
        c
        for c, _, _ in canonicals(
            ("Donald Trump", "PERSON"), ("Melania Trump", "PERSON"), ("Trump", "PERSON")
        )
    ] == ["Donald Trump", "Melania Trump", "Trump"]


def test_surname_wins_over_the_country_of_the_same_name() -> None:
    assert canonicals(("Michael Jordan", "PERSON"), ("Jordan", "GPE")) == [
        ("Michael Jordan", "PERSON", 2)
    ]
    assert canonicals(
        ("Jordan", "GPE"),
    ) == [("Jordan", "GPE", 1)]


def test_acronym_defined_in_parentheses_merges_with_its_long_form() -> None:
    paragraph = "The Aire Valley Transport Authority (AVTA) met. AVTA said so."
    long_form = mention_from_span(paragraph, 0, 35, "ORG", paragraph_offset=0)
    acronym = mention_from_span(paragraph, 48, 52, "ORG", paragraph_offset=0)
    assert long_form is not None and acronym is not None
    entities = aggregate([long_form, acronym])
    forms = forms_by_canonical(entities)
    [entity] = entities
    assert (entity.canonical, entity.count) == ("Aire Valley Transport Authority", 2)
    assert forms[entity.canonical] == ["The Aire Valley Transport Authority", "AVTA"]


def test_untagged_long_form_before_parentheses_names_the_acronym() -> None:
    paragraph = "NATO Mission Iraq (NMI), made up of trainers"
    mention = mention_from_span(paragraph, 19, 22, "ORG", paragraph_offset=0)
    assert mention is not None and mention.long_form == "NATO Mission Iraq"
    entities = aggregate([mention])
    assert [e.canonical for e in entities] == ["NATO Mission Iraq"]


def test_parenthesis_that_does_not_match_the_initials_is_no_alias() -> None:
    paragraph = "Troops in Iraq (NMI) and NMI advisers"
    iraq = mention_from_span(paragraph, 10, 14, "GPE", paragraph_offset=0)
    nmi = mention_from_span(paragraph, 25, 28, "ORG", paragraph_offset=0)
    assert iraq is not None and nmi is not None
    entities = aggregate([iraq, nmi])
    assert [e.canonical for e in entities] == ["Iraq", "NMI"]


def test_initials_match_an_acronym_without_parentheses() -> None:
    assert canonicals(("Aire Valley Transport Authority", "ORG"), ("AVTA", "ORG")) == [
        ("Aire Valley Transport Authority", "ORG", 2)
    ]
    # Two letters are too easily a coincidence.
    assert len(canonicals(("Bank America", "ORG"), ("BA", "ORG"))) == 2


def test_case_variants_are_one_entity() -> None:
    assert canonicals(("THE HOME DEPOT", "ORG"), ("Home Depot", "ORG"), ("Home Depot", "ORG")) == [
        ("Home Depot", "ORG", 3)
    ]


def test_gazetteer_gives_one_entity_and_its_id_everywhere() -> None:
    for forms in [("USA", "US", "United States"), ("U.S.", "America"), ("United States",)]:
        entities = aggregate(mentions(*((form, "GPE") for form in forms)))
        assert [(e.canonical, e.label, e.wikidata_id) for e in entities] == [
            ("United States", "GPE", "Q30")
        ]


def test_gazetteer_matches_short_aliases_exactly() -> None:
    assert canonicals(
        ("US", "GPE"),
    ) == [("United States", "GPE", 1)]
    assert canonicals(
        ("Us", "GPE"),
    ) == [("Us", "GPE", 1)]


def test_demonym_is_norp_with_the_id_of_its_country() -> None:
    entities = aggregate(mentions(("Iraqis", "NORP"), ("Iraqi", "GPE"), ("Iraq", "GPE")))
    assert [(e.canonical, e.label, e.count, e.wikidata_id) for e in entities] == [
        ("Iraqi", "NORP", 2, "Q796"),
        ("Iraq", "GPE", 1, "Q796"),
    ]


def test_demonym_tagged_as_a_language_is_not_the_people() -> None:
    assert default_gazetteer().lookup("French", "LANGUAGE") is None
    assert default_gazetteer().lookup("French", "NORP").name == "French"


def test_contextual_alias_needs_the_entity_named_otherwise() -> None:
    assert canonicals(("NATO", "ORG"), ("Alliance", "ORG")) == [("NATO", "ORG", 2)]
    assert canonicals(
        ("Alliance", "ORG"),
    ) == [("Alliance", "ORG", 1)]


def test_gazetteer_entries_never_merge_into_each_other() -> None:
    # "Georgia" the country and a person surnamed Georgia are kept apart by the label rule;
    # two gazetteer entries in one group would need a bad alias, which union refuses.
    assert canonicals(("Georgia", "GPE"), ("Russia", "GPE")) == [
        ("Georgia", "GPE", 1),
        ("Russia", "GPE", 1),
    ]


def test_gazetteer_pattern_finds_what_the_model_misses() -> None:
    found = list(default_gazetteer().pattern_mentions("the anti-IS coalition and IS fighters"))
    assert [(start, end, entry.name) for start, end, entry in found] == [
        (9, 11, "Islamic State"),
        (26, 28, "Islamic State"),
    ]


def test_mentions_of_excluded_paragraphs_are_not_counted() -> None:
    spans = [
        Mention("Iraq", "GPE", 0, paragraph=0),
        Mention("SARS", "ORG", 10, paragraph=1),
        Mention("Iraq", "GPE", 20, paragraph=1),
    ]
    entities = aggregate(spans, excluded_paragraphs=frozenset({1}))
    assert [(e.canonical, e.count) for e in entities] == [("Iraq", 1)]


def test_gazetteer_names_are_unambiguous_and_ids_well_formed() -> None:
    data = yaml.safe_load(
        resources.files("pipeline.enrich").joinpath("gazetteer.yaml").read_text("utf-8")
    )
    owners: dict[str, str] = {}
    for item in data["countries"] + data["organizations"]:
        assert re.fullmatch(r"Q[1-9]\d*", item.get("id", "Q1"))
        groups = [[item["name"], *item.get("aliases", [])], item.get("demonyms", [])]
        for owner, names in zip((item["name"], f"people of {item['name']}"), groups, strict=True):
            for name in names:
                key = name if len(name) <= 4 else name.casefold()
                assert owners.setdefault(key, owner) == owner, f"{name!r} names two entries"
