"""The literal a pattern's every match contains (pipeline/enrich/literals.py), and the
gazetteer's substring test before its screening search."""

from __future__ import annotations

import random
import re

from pipeline.enrich.gazetteer import default_gazetteer
from pipeline.enrich.literals import required_literal, required_literals


def test_the_literals_of_known_patterns() -> None:
    cases = {
        r"(?<=\banti-)IS\b": "IS",
        r"\bIS(?= (?:militants?|fighters?|group)\b)": "IS",
        r"(?<!\w)OTAN(?!\w)": "OTAN",
        r"x\.y": "x.y",
        "[ab]cd": "cd",
        "ab?c": "a",
        "abc|abd": "ab",  # the parser factors the common prefix out of the branches
        "a|b": None,
        "(?i)abc": None,
        "": None,
        r"\d+": None,
    }
    for pattern, literal in cases.items():
        assert required_literal(re.compile(pattern)) == literal, pattern
    assert required_literal(re.compile("abc", re.IGNORECASE)) is None
    assert required_literals([re.compile("ab"), re.compile("a|b")]) is None
    assert required_literals([]) is None
    assert required_literals([re.compile("IS"), re.compile(r"\bIS\b")]) == ("IS",)


def test_every_match_contains_its_literal() -> None:
    rng = random.Random(14)
    atoms = ["a", "b", "ab", r"\b", "(?=b)", "(?<!a)", "[ab]", "b?", "(?:a|ba)", "a+", " ", "."]
    alphabet = "ab .-"
    checked = 0
    for _ in range(2000):
        source = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 6)))
        pattern = re.compile(source)
        literal = required_literal(pattern)
        for _ in range(10):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            for match in pattern.finditer(text):
                if literal is not None:
                    assert literal in match.group(), (source, text, literal)
                    checked += 1
            if literal is not None and literal not in text:
                assert pattern.search(text) is None, (source, text, literal)
    assert checked > 1000


def test_pattern_mentions_are_the_same_with_the_substring_test() -> None:
    gazetteer = default_gazetteer()
    rng = random.Random(7)
    pieces = ["anti-", "IS", "I", "S", " fighters", " group", "is", "Is", "OTAN", "l'", " ", "\n"]
    for language in ("en", "fr", "de"):
        patterns = (
            gazetteer._patterns if language == "en" else gazetteer._language_patterns[language]
        )
        for _ in range(2000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
            expected = [
                (m.start(), m.end(), entry)
                for pattern, entry in patterns
                for m in pattern.finditer(text)
            ]
            assert list(gazetteer.pattern_mentions(text, language)) == expected
    literals, _ = gazetteer._screens["en"]
    assert literals == ("IS",)
