"""The off-topic features and content words are the floats and stems of the plain formulas
(as written before the stems were remembered), on real paragraphs (the fixture articles) and on
articles where paragraphs are peeled off the core."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from offtopic_formulas import reference_features_and_peeled, reference_salience

from pipeline.enrich import offtopic
from pipeline.enrich.offtopic import ParagraphTerms, content_words, features

_ARTICLES = Path(__file__).resolve().parents[1] / "fixtures" / "enrich" / "articles.jsonl"


def _fixture_articles() -> list[tuple[str, list[str]]]:
    articles = []
    for line in _ARTICLES.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        paragraphs = [p if isinstance(p, str) else p["text"] for p in record["paragraphs"]]
        articles.append((record.get("title") or "", paragraphs))
    return articles


def test_fixture_articles_and_spliced_ones_give_the_same_floats() -> None:
    articles = _fixture_articles()
    assert len(articles) >= 20
    rng = random.Random(21)
    peeled_cases = 0
    for title, paragraphs in articles:
        # As published, then with two paragraphs of another article spliced in.
        _, other = rng.choice(articles)
        spliced = paragraphs[:]
        for text in rng.sample(other, min(2, len(other))):
            spliced.insert(rng.randint(0, len(spliced)), text)
        for texts in (paragraphs, spliced):
            terms = [
                ParagraphTerms(content_words(t), frozenset(rng.sample(["Q1", "Q2", "n:x"], 1)))
                for t in texts
            ]
            expected, peeled = reference_features_and_peeled(title, terms)
            assert features(title, terms) == expected
            peeled_cases += bool(peeled)
    assert peeled_cases >= 10  # the subtraction path ran


def test_salience_as_before_for_both_minus() -> None:
    rng = random.Random(5)
    vocabulary = [f"t{i}" for i in range(50)]
    for _ in range(500):
        own = frozenset(rng.sample(vocabulary, rng.randint(1, 30)))
        counts = Counter({t: rng.randint(1, 12) for t in vocabulary})
        title = frozenset(rng.sample(vocabulary, rng.randint(0, 5)))
        for minus in (0, 1):
            assert offtopic._salience(own, counts, minus, title) == reference_salience(
                own, counts, minus, title
            )


def plain_content_words(text: str) -> frozenset[str]:
    """content_words as written before the stems were remembered in a dictionary."""
    stems = set()
    for token in set(offtopic._WORD.findall(text)):
        word = token.lower().replace("’", "'").removesuffix("'s")
        if len(word) >= 3 and word not in offtopic.STOP_WORDS and word not in offtopic._GENERIC:
            stems.add(word[:6])
    return frozenset(stems)


def test_content_words_as_before_also_when_the_stems_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [text for _, paragraphs in _fixture_articles() for text in paragraphs]
    texts += ["The minister’s ministers said: Ministers' MINISTER's pre-war re-run It's", ""]
    for text in texts:
        assert content_words(text) == plain_content_words(text)
    monkeypatch.setattr(offtopic, "_STEMS_MAX", 5)  # emptied every few tokens
    for text in texts[:50]:
        assert content_words(text) == plain_content_words(text)
