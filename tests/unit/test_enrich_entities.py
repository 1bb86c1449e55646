"""Entity aggregation rules, on hand-made mentions (no model needed)."""

from __future__ import annotations

import pytest

from pipeline.enrich.entities import Mention, aggregate, canonical_form, mention_from_span


def mentions(*spans: tuple[str, str]) -> list[Mention]:
    """Mentions in text order, ten characters apart."""
    return [Mention(surface, label, offset=10 * i) for i, (surface, label) in enumerate(spans)]


@pytest.mark.parametrize(
    ("surface", "canonical"),
    [
        ("The Alliance", "Alliance"),
        ("THE HOME DEPOT", "HOME DEPOT"),
        ("NATO's", "NATO"),
        ("Stoltenberg’s", "Stoltenberg"),
        ("the Middle\nEast", "Middle East"),
        ("Theresa May", "Theresa May"),
    ],
)
def test_canonical_form_strips_article_possessive_and_line_breaks(
    surface: str, canonical: str
) -> None:
    assert canonical_form(surface) == canonical


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
    entities, _ = aggregate(
        mentions(
            ("2020", "DATE"),
            ("5,200", "ORG"),
            ("X", "PERSON"),
            ("the alliance", "ORG"),
            ("muslim", "NORP"),
            ("Iraq", "GPE"),
        )
    )
    assert [(e.canonical, e.label) for e in entities] == [("muslim", "NORP"), ("Iraq", "GPE")]


def test_bare_surname_joins_the_full_name_and_votes_person() -> None:
    entities, forms = aggregate(
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
    assert forms == {"Jens Stoltenberg": ["Stoltenberg", "Jens Stoltenberg", "Stoltenberg's"]}


def test_surname_shared_by_two_people_stays_unresolved() -> None:
    entities, _ = aggregate(
        mentions(("Donald Trump", "PERSON"), ("Melania Trump", "PERSON"), ("Trump", "PERSON"))
    )
    assert [e.canonical for e in entities] == ["Donald Trump", "Melania Trump", "Trump"]


def test_acronym_defined_in_parentheses_merges_with_its_long_form() -> None:
    paragraph = "The North Atlantic Treaty Organization (NATO) met. NATO said so."
    long_form = mention_from_span(paragraph, 0, 38, "ORG", paragraph_offset=0)
    acronym = mention_from_span(paragraph, 51, 55, "ORG", paragraph_offset=0)
    assert long_form is not None and acronym is not None
    entities, forms = aggregate([long_form, acronym])
    [entity] = entities
    assert entity.canonical == "North Atlantic Treaty Organization"
    assert entity.count == 2
    assert forms[entity.canonical] == ["The North Atlantic Treaty Organization", "NATO"]


def test_parenthesis_that_does_not_match_the_initials_is_no_alias() -> None:
    paragraph = "Troops in Iraq (NMI) and NMI advisers"
    iraq = mention_from_span(paragraph, 10, 14, "GPE", paragraph_offset=0)
    nmi = mention_from_span(paragraph, 25, 28, "ORG", paragraph_offset=0)
    assert iraq is not None and nmi is not None
    entities, _ = aggregate([iraq, nmi])
    assert [e.canonical for e in entities] == ["Iraq", "NMI"]


def test_case_variants_are_one_entity() -> None:
    entities, _ = aggregate(
        mentions(("THE HOME DEPOT", "ORG"), ("Home Depot", "ORG"), ("Home Depot", "ORG"))
    )
    [entity] = entities
    assert (entity.canonical, entity.count) == ("Home Depot", 3)
