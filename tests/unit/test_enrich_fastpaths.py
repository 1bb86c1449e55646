"""The enricher's cheaper paths give exactly what the straightforward code gave.

Each fast path is checked against the code it replaced (kept here as the reference), on
random inputs built to hit its edge cases: ties, casings, punctuation, the letters that
case-insensitive matching treats specially. `newsflow bench enrich --against REV` checks the
same on whole records.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter

import pytest
from offtopic_formulas import reference_features, reference_salience

import pipeline.language
from pipeline.enrich import boilerplate, entities, language, offtopic, resolution
from pipeline.enrich.entities import Mention, canonical_form, is_junk
from pipeline.enrich.resolution import _Groups, _kept_name, _named, aggregate

ALPHABET = "aAbBsSkKiI \t\n.,;:'’\"()[]-–é€İıſK0123"


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


# --- language: one detection per record ---------------------------------------------------


def test_decide_asks_the_detector_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def detect(text: str) -> tuple[str, float]:
        calls.append(text)
        return ("en", 0.99)

    monkeypatch.setattr(pipeline.language, "detect", detect)
    monkeypatch.setattr(language, "detect", detect, raising=False)  # the old code's import
    text = "The alliance met in Brussels on Thursday to discuss its budget. " * 10
    decision = language.decide("en", text)
    assert decision.language == "en"
    assert decision.skipped is None
    assert calls == [text]


def test_decide_keeps_the_foreign_text_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one detection still serves the second question (English declared, text foreign)."""
    monkeypatch.setattr(pipeline.language, "detect", lambda text: ("es", 0.995))
    decision = language.decide("en", "La alianza se reunió en Bruselas el jueves. " * 10)
    assert decision.language == "en"
    assert decision.skipped == (
        "text reads as es (0.995) though the page declares en: no English NER on it"
    )


# --- entities: trimming and long forms ----------------------------------------------------


def _is_punct(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def reference_trim_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or _is_punct(text[start])):
        start += 1
    while start < end and (text[end - 1].isspace() or _is_punct(text[end - 1])):
        abbreviation = (
            text[end - 1] == "."
            and end - start >= 2
            and text[end - 2].isalpha()
            and (end - 3 < start or text[end - 3] in ". ")
        )
        if abbreviation:
            break
        end -= 1
    return start, end


def reference_long_form_before(paragraph: str, start: int, acronym: str) -> str | None:
    before = paragraph[:start].rstrip()
    if not before.endswith("("):
        return None
    words = before[:-1].split()
    letters = [char for char in acronym if char.isupper()]
    if len(letters) < 2:
        return None
    window = words[-(2 * len(letters) + 1) :]
    for first in range(len(window)):
        candidate = " ".join(window[first:])
        if candidate[:1].isupper() and entities.initials(candidate) == "".join(letters):
            return candidate.strip(",;:")
    return None


def test_no_letter_or_digit_is_space_or_punctuation() -> None:
    """What the trimming's shortcut relies on, for every code point."""
    odd = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if (char := chr(code)).isalnum() and (char.isspace() or _is_punct(char))
    ]
    assert odd == []


def test_trim_bounds_match_the_reference() -> None:
    rng = random.Random(14)
    for _ in range(5000):
        text = random_text(rng, rng.randint(0, 12))
        start = rng.randint(0, len(text))
        end = rng.randint(start, len(text))
        assert entities._trim_bounds(text, start, end) == reference_trim_bounds(text, start, end)


def test_long_forms_match_the_reference() -> None:
    rng = random.Random(15)
    words = ["North", "Atlantic", "Treaty", "Organization", "of", "the", "Bank", "England"]
    for _ in range(3000):
        phrase = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        gap = rng.choice(["", " ", "  ", "\n", " \t"])
        acronym = "".join(w[0] for w in phrase.split() if w[:1].isupper()) or "XY"
        paragraph = f"{phrase}{gap}{rng.choice(['(', '', '[', '( '])}{gap}{acronym})"
        start = paragraph.rfind(acronym)
        assert entities._long_form_before(paragraph, start, acronym) == reference_long_form_before(
            paragraph, start, acronym
        )
    assert entities._long_form_before("the North Atlantic Treaty Organization (NATO)", 40, "NATO")


# --- resolution: cached canonical names, one-mention groups, counters ---------------------


def test_kept_name_is_the_canonical_form_or_none_for_junk() -> None:
    cases = [
        ("The NATO’s", "ORG"),
        ("President Trump", "PERSON"),
        ("2020", "DATE"),
        ("the alliance", "ORG"),
        ("muslim", "NORP"),
        ("Follow Sputnik's", "ORG"),
        ("l'OTAN", "ORG"),
    ]
    for surface, label in cases:
        for lang in ("en", "fr"):
            canonical = canonical_form(surface, label, lang)
            expected = None if is_junk(canonical, label) else canonical
            assert _kept_name(surface, label, lang) == expected


def reference_named(groups: _Groups, kept: list[tuple[Mention, str]]) -> resolution.Resolved:
    keys = [groups.find(canonical.casefold()) for _, canonical in kept]
    by_group: dict[str, list[tuple[Mention, str]]] = {}
    for key, item in zip(keys, kept, strict=True):
        by_group.setdefault(key, []).append(item)
    found: dict[str, tuple[str, str, str | None]] = {}
    for key, items in by_group.items():
        node = groups.nodes[key]
        if node.entry is not None:
            found[key] = (node.entry.name, node.entry.label, node.entry.wikidata_id)
            continue
        canonical = node.preferred or Counter(c for _, c in items).most_common(1)[0][0]
        casings = Counter(c for _, c in items if c.casefold() == canonical.casefold())
        canonical = casings.most_common(1)[0][0] if casings else canonical
        named = [m.label for m, c in items if c.casefold() == canonical.casefold()]
        votes = Counter(named or [m.label for m, _ in items])
        found[key] = (canonical, votes.most_common(1)[0][0], None)
    return resolution.Resolved([m for m, _ in kept], keys, found)


def test_named_matches_the_counter_rule() -> None:
    rng = random.Random(16)
    names = ["Home Depot", "HOME DEPOT", "home depot", "Depot", "NATO", "Nato", "Jens"]
    labels = ["ORG", "PERSON", "GPE"]
    for _ in range(3000):
        kept = [
            (Mention(name, rng.choice(labels), offset), name)
            for offset, name in enumerate(rng.choice(names) for _ in range(rng.randint(1, 8)))
        ]

        def groups_of(kept: list[tuple[Mention, str]]) -> _Groups:
            groups = _Groups()
            rng_links = random.Random(len(kept) * 7 + sum(len(c) for _, c in kept))
            for _, canonical in kept:
                groups.add(canonical.casefold())
            keys = list(groups.nodes)
            for _ in range(rng_links.randint(0, 3)):
                a, b = rng_links.choice(keys), rng_links.choice(keys)
                preferred = rng_links.choice([None, "", "Home Depot", "HOME DEPOT", "Jens Berg"])
                groups.union(a, b, preferred=preferred)
            return groups

        assert _named(groups_of(kept), kept) == reference_named(groups_of(kept), kept)


def test_an_entity_is_named_after_its_first_surface_among_equally_common_ones() -> None:
    mentions = [
        Mention("NATO", "ORG", 0),
        Mention("North Atlantic Treaty Organization", "ORG", 10, paragraph=1),
        Mention("North Atlantic Treaty Organization", "ORG", 60, paragraph=2),
        Mention("NATO", "ORG", 120, paragraph=3),
    ]
    (entity,) = aggregate(mentions)
    assert entity.name == "NATO"
    assert entity.count == 4
    assert entity.surface_forms == ["NATO", "North Atlantic Treaty Organization"]


# --- off-topic: the log table gives the same floats ---------------------------------------


def test_features_are_the_same_floats_as_with_log1p() -> None:
    rng = random.Random(17)
    vocabulary = [f"word{i}" for i in range(40)]
    for _ in range(300):
        paragraphs = [
            offtopic.ParagraphTerms(
                frozenset(rng.sample(vocabulary, rng.randint(0, 15))),
                frozenset(rng.sample(["Q1", "Q2", "nato"], rng.randint(0, 2))),
            )
            for _ in range(rng.randint(1, 14))
        ]
        title = " ".join(rng.sample(vocabulary, 4))
        assert offtopic.features(title, paragraphs) == reference_features(title, paragraphs)


def test_salience_without_a_table_is_the_same_float() -> None:
    own = frozenset(f"term{i}" for i in range(60))
    counts = Counter({f"term{i}": 1 + (i * 7919) % 23 for i in range(60)})
    title = frozenset({"term3", "term17"})
    assert offtopic._salience(own, counts, 1, title) == reference_salience(own, counts, 1, title)


# --- boilerplate: paragraphs without inline furniture are not searched --------------------


def reference_prose_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in boilerplate._INLINE.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def test_only_the_listed_letters_match_ascii_letters_without_being_ascii() -> None:
    letters = re.compile("[a-z]", re.IGNORECASE)
    odd = {chr(c) for c in range(128, sys.maxunicode + 1) if letters.fullmatch(chr(c))}
    assert odd == set(boilerplate._CASE_ODDITIES)


def test_prose_spans_match_the_reference() -> None:
    rng = random.Random(18)
    pieces = [
        "The minister said the talks would go on. ",
        "Follow Sputnik’s Feed on Telegram. ",
        "FOLLOW US ON TWITTER. ",
        "Click here to sign up for our newsletter updates. ",
        "Subscribe to our alerts newsletter! ",
        "ſubscribe to our alerts newsletter! ",
        "Sign up for the daily newsletter. ",
        "Follow the money. ",
        "   ",
        "Clıck here for updates to our newsletter. ",
        "\u212aeep reading. ",
    ]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5)))
        assert boilerplate.prose_spans(text) == reference_prose_spans(text)
    cut = "Talks go on. Follow Sputnik’s Feed on Telegram. More talks."
    assert boilerplate.prose_spans(cut) == [(0, 13), (48, 59)]
    odd = "Talks go on. ſign up for our newsletter updates. More talks."
    assert boilerplate.prose_spans(odd) == reference_prose_spans(odd) != [(0, len(odd))]


# --- gazetteer: one screening pass for all the patterns -----------------------------------


def test_the_screen_finds_something_exactly_when_a_pattern_does() -> None:
    from pipeline.enrich.gazetteer import any_of, default_gazetteer

    gazetteer = default_gazetteer()
    patterns = [pattern for pattern, _ in gazetteer._patterns]
    screen = any_of(patterns)
    assert screen is not None
    rng = random.Random(19)
    pieces = ["anti-", "IS", " fighters", " militant", "ISIS", " group", "the ", "-", "is", "\n"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        assert (screen.search(text) is not None) == any(p.search(text) for p in patterns)
        expected = [
            (m.start(), m.end(), entry)
            for pattern, entry in gazetteer._patterns
            for m in pattern.finditer(text)
        ]
        assert list(gazetteer.pattern_mentions(text)) == expected
    # Patterns that could mean something else once joined are not joined.
    assert any_of([re.compile(r"(a)\1"), re.compile("b")]) is None
    assert any_of([re.compile("(?i)a"), re.compile("b")]) is None
    assert any_of([re.compile("a")]) is None
