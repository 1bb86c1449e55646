"""Scores of a clustering against gold clusters: B-cubed and pair-counting precision, recall, F1.

Both take two mappings from item id to cluster label (gold, predicted) over the same items; the
labels' names do not matter, only which items share one.

- **B-cubed** (Bagga and Baldwin, 1998), averaged over items: an item's precision is the share
  of its predicted cluster that is in its gold cluster, its recall the share of its gold cluster
  that is in its predicted cluster; P and R are the means over all items, F1 their harmonic
  mean. Every item counts once, so a big cluster weighs by its size, not by its square.
- **Pairwise** (pair counting, the measure of Priberam/news-clustering's `eval_lib.ScoreSet`,
  which the published figure of that dataset uses): over all unordered pairs of items, a true
  positive is a pair in one gold and one predicted cluster; P = tp / pairs put together,
  R = tp / pairs that belong together. A denominator of zero gives 0, as there.

Both are computed from the contingency counts n(gold, predicted), in O(items).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _contingency(
    gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]
) -> tuple[Counter[tuple[Hashable, Hashable]], Counter[Hashable], Counter[Hashable]]:
    if gold.keys() != predicted.keys():
        missing = sorted(gold.keys() - predicted.keys())[:3]
        extra = sorted(predicted.keys() - gold.keys())[:3]
        raise ValueError(
            f"gold and predicted cover different items (not predicted: {missing}, "
            f"not in gold: {extra})"
        )
    joint = Counter((gold[item], predicted[item]) for item in gold)
    return joint, Counter(gold.values()), Counter(predicted.values())


def bcubed(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> Scores:
    """Item-averaged B-cubed precision, recall and F1 (0s for no items)."""
    if not gold and not predicted:
        return Scores(0.0, 0.0, 0.0)
    joint, gold_sizes, predicted_sizes = _contingency(gold, predicted)
    items = len(gold)
    # Each of the n(g, p) items of a cell has n(g, p) of its predicted cluster's items right.
    precision = sum(n * n / predicted_sizes[p] for (_, p), n in joint.items()) / items
    recall = sum(n * n / gold_sizes[g] for (g, _), n in joint.items()) / items
    return Scores(precision, recall, _f1(precision, recall))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(gold: Mapping[str, Hashable], predicted: Mapping[str, Hashable]) -> Scores:
    """Pair-counting precision, recall and F1 (a zero denominator gives 0)."""
    joint, gold_sizes, predicted_sizes = _contingency(gold, predicted)
    together = sum(_pairs(n) for n in joint.values())
    put_together = sum(_pairs(n) for n in predicted_sizes.values())
    belong_together = sum(_pairs(n) for n in gold_sizes.values())
    precision = together / put_together if put_together else 0.0
    recall = together / belong_together if belong_together else 0.0
    return Scores(precision, recall, _f1(precision, recall))
