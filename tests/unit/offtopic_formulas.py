"""The off-topic features by their plain formulas (`math.log1p`, counts recomputed for the
core): what `pipeline.enrich.offtopic` must give to the last bit, however it computes them."""

from __future__ import annotations

import math
from collections import Counter

from pipeline.enrich import offtopic


def reference_salience(
    own: frozenset[str], counts: Counter[str], minus: int, title: frozenset[str]
) -> float:
    return math.fsum(math.log1p(counts[t] - minus) + (t in title) for t in own) / len(own)


def reference_features_and_peeled(
    title: str, paragraphs: list[offtopic.ParagraphTerms]
) -> tuple[list[list[float] | None], set[int]]:
    """The features of each paragraph, and the paragraphs peeled off the core."""
    title_terms = offtopic.content_words(title)
    sets = [p.terms for p in paragraphs]
    everywhere = Counter(t for terms in sets for t in terms)
    first = [reference_salience(t, everywhere, 1, title_terms) if t else 0.0 for t in sets]
    weakest = sorted(range(len(sets)), key=first.__getitem__)[: max(1, len(sets) // 3)]
    peeled = {i for i in weakest if first[i] < 0.35 and len(sets[i]) >= offtopic.MIN_TERMS}
    core = Counter(t for i, terms in enumerate(sets) if i not in peeled for t in terms)
    rows: list[list[float] | None] = []
    for i, terms in enumerate(sets):
        if len(terms) < offtopic.MIN_TERMS:
            rows.append(None)
            continue
        rows.append(
            [
                reference_salience(terms, core, 0 if i in peeled else 1, title_terms),
                first[i],
                min(len(terms & title_terms), 3) / 3,
            ]
        )
    return rows, peeled


def reference_features(
    title: str, paragraphs: list[offtopic.ParagraphTerms]
) -> list[list[float] | None]:
    return reference_features_and_peeled(title, paragraphs)[0]
