"""Spliced paragraphs: precision and recall of the off-topic flags on 240 splice cases, and the
false-flag rate on unmodified articles, all from the held-out half of the fixture articles
(the weights were fit on the other half; see pipeline/enrich/offtopic.py).

Thresholds: precision at least 0.9 (the issue's bar; measured 0.94 when the weights were fit),
recall at least 0.6 (measured 0.72), and at most 2% of the paragraphs of unmodified articles
flagged (measured about 1%).
"""

from __future__ import annotations

import pytest
from enrich_cases import dataset_articles, make_record, splice_cases, split

from pipeline.enrich import Enricher
from pipeline.enrich.offtopic import FLAG_AT, ParagraphTerms, features, scores
from pipeline.records import EnrichedArticle

CASES = 240


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


@pytest.fixture(scope="module")
def held_out():
    return split(dataset_articles())[1]


def test_spliced_paragraphs_are_flagged_with_precision_and_recall(
    enricher: Enricher, held_out
) -> None:
    cases = splice_cases(held_out, CASES, seed=6)
    results = enricher.enrich_each([case.record for case in cases])
    hits = flags = spliced = 0
    by_k: dict[int, list[int]] = {}
    for case, result in zip(cases, results, strict=True):
        assert isinstance(result, EnrichedArticle)
        flagged = {i for i, p in enumerate(result.paragraphs) if p.offtopic}
        hits += len(flagged & case.spliced)
        flags += len(flagged)
        spliced += len(case.spliced)
        found = by_k.setdefault(len(case.spliced), [0, 0])
        found[0] += len(flagged & case.spliced)
        found[1] += len(case.spliced)
    precision, recall = hits / flags, hits / spliced
    print(
        f"\nsplice cases: {len(cases)}, spliced paragraphs: {spliced}, flagged: {flags}, "
        f"precision {precision:.3f}, recall {recall:.3f}; recall by k: "
        + ", ".join(f"k={k} {h / n:.2f}" for k, (h, n) in sorted(by_k.items()))
    )
    assert len(cases) >= 200 and set(by_k) == {1, 2, 3}
    assert precision >= 0.9
    assert recall >= 0.6


def test_unmodified_articles_are_rarely_flagged(enricher: Enricher, held_out) -> None:
    records = [make_record(a.title, a.paragraphs, slug=a.slug) for a in held_out]
    results = enricher.enrich_each(records)
    paragraphs = [p for r in results if isinstance(r, EnrichedArticle) for p in r.paragraphs]
    flagged = [p.text for p in paragraphs if p.offtopic]
    articles_flagged = sum(any(p.offtopic for p in r.paragraphs) for r in results)
    rate = len(flagged) / len(paragraphs)
    print(
        f"\nunmodified: {len(records)} articles, {len(paragraphs)} paragraphs, "
        f"{len(flagged)} flagged ({rate:.2%}), articles with a flag: {articles_flagged}"
    )
    assert rate <= 0.02


def test_short_articles_and_short_paragraphs_are_never_flagged() -> None:
    far = ParagraphTerms(
        frozenset({"virus", "outbre", "travel", "sars", "respir", "minist"}), frozenset()
    )
    story = ParagraphTerms(
        frozenset({"nato", "iraq", "traini", "allian", "missio", "stolte"}), frozenset()
    )
    assert scores("NATO eyes Iraq training", [story, story, far]) == [0.0, 0.0, 0.0]
    tiny = ParagraphTerms(frozenset({"declin", "commen"}), frozenset())
    assert features("NATO eyes Iraq training", [story, story, story, tiny])[3] is None
    many = scores("NATO eyes Iraq training", [story, story, story, far])
    assert many[3] >= FLAG_AT > 0.1 > max(many[:3])
