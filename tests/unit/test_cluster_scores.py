"""B-cubed and pairwise clustering scores on examples worked out by hand."""

from __future__ import annotations

import pytest

from devtools.bench.cluster_scores import Scores, bcubed, pairwise

# Gold: {a, b, c} and {d, e}. Predicted: {a, b} and {c, d, e}.
GOLD = {"a": 1, "b": 1, "c": 1, "d": 2, "e": 2}
PREDICTED = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}


def approx(precision: float, recall: float, f1: float) -> object:
    return pytest.approx((precision, recall, f1))


def as_tuple(scores: Scores) -> tuple[float, float, float]:
    return (scores.precision, scores.recall, scores.f1)


def test_bcubed_of_a_split_and_a_merge() -> None:
    # Per item (precision, recall): a, b: (2/2, 2/3); c: (1/3, 1/3); d, e: (2/3, 2/2).
    # P = (1 + 1 + 1/3 + 2/3 + 2/3) / 5 = 11/15; R = (2/3 + 2/3 + 1/3 + 1 + 1) / 5 = 11/15.
    assert as_tuple(bcubed(GOLD, PREDICTED)) == approx(11 / 15, 11 / 15, 11 / 15)


def test_bcubed_of_everything_in_one_cluster() -> None:
    # Gold {a, b} {c}; all predicted together: P = (2/3 + 2/3 + 1/3) / 3 = 5/9, R = 1,
    # F1 = 2 * 5/9 / (5/9 + 1) = 5/7.
    gold = {"a": "g1", "b": "g1", "c": "g2"}
    predicted = {"a": 0, "b": 0, "c": 0}
    assert as_tuple(bcubed(gold, predicted)) == approx(5 / 9, 1.0, 5 / 7)


def test_bcubed_of_all_singletons_has_full_precision() -> None:
    # Gold {a, b, c, d}; each alone: P = 1, R = 1/4 for each, F1 = 2 * 1/4 / (5/4) = 2/5.
    gold = dict.fromkeys("abcd", "g")
    predicted = {item: item for item in "abcd"}
    assert as_tuple(bcubed(gold, predicted)) == approx(1.0, 0.25, 0.4)


def test_a_perfect_clustering_scores_one_whatever_the_labels() -> None:
    relabelled = {item: f"story-{label}" for item, label in GOLD.items()}
    assert as_tuple(bcubed(GOLD, relabelled)) == approx(1.0, 1.0, 1.0)
    assert as_tuple(pairwise(GOLD, relabelled)) == approx(1.0, 1.0, 1.0)


def test_pairwise_of_a_split_and_a_merge() -> None:
    # Pairs together in gold: ab ac bc de = 4; predicted: ab cd ce de = 4; both: ab de = 2.
    assert as_tuple(pairwise(GOLD, PREDICTED)) == approx(0.5, 0.5, 0.5)


def test_pairwise_of_singletons_is_zero_as_in_the_reference_script() -> None:
    # No pair put together: precision 0/0 counts as 0 (Priberam's eval_lib.ScoreSet does so).
    gold = {"a": 1, "b": 1, "c": 2}
    predicted = {"a": 1, "b": 2, "c": 3}
    assert as_tuple(pairwise(gold, predicted)) == approx(0.0, 0.0, 0.0)


def test_items_must_match() -> None:
    with pytest.raises(ValueError, match="different items"):
        bcubed({"a": 1, "b": 1}, {"a": 1, "c": 1})
