"""The size prior: a candidate story of n articles has its score × (1 + size_prior · ln n)
before it is compared with the threshold and with the other candidates, worked out by hand."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from story_profiles import T0, story

from pipeline.enrich.stories import DEFAULT_PARAMS, best_story, score

# Term vectors: the article is "gox" alone, so its cosine with each story is the share of "gox".
BIG = story("big", articles=20, terms={"gox": 4.0, "bankrupt": 3.0})  # cosine 4/5 = 0.8
SMALL = story(
    "small", articles=1, terms={"gox": 9.0, "exchange": 1.0}
)  # cosine 9/sqrt(82) = 0.9939


def test_default_size_prior() -> None:
    assert DEFAULT_PARAMS.size_prior == 0.1


def test_a_larger_story_is_weighed_up_by_its_size() -> None:
    assert score({}, {"gox": 1.0}, T0, "en", BIG) == pytest.approx(0.8)  # score() as it was
    assert score({}, {"gox": 1.0}, T0, "en", SMALL) == pytest.approx(9 / math.sqrt(82))
    params = replace(DEFAULT_PARAMS, threshold=0.4)
    match = best_story({}, {"gox": 1.0}, T0, "en", [SMALL, BIG], params)
    assert match is not None
    # 0.8 × (1 + 0.1 ln 20) = 1.0397 > 0.9939: the story of 20 articles, not the closer one.
    assert match[0].story_id == "big"
    assert match[1] == pytest.approx(0.8 * (1 + 0.1 * math.log(20)))


def test_the_threshold_applies_to_the_weighed_score_and_one_article_is_not_weighed() -> None:
    params = replace(DEFAULT_PARAMS, threshold=0.9)
    match = best_story({}, {"gox": 1.0}, T0, "en", [BIG], params)
    assert match is not None and match[0].story_id == "big"  # 0.8 alone is below 0.9
    alone = story(
        "alone", articles=1, terms={"gox": 4.0, "bankrupt": 3.0}
    )  # the same profile, one article
    assert best_story({}, {"gox": 1.0}, T0, "en", [alone], params) is None


def test_without_the_prior_the_closer_story_wins() -> None:
    params = replace(DEFAULT_PARAMS, threshold=0.4, size_prior=0.0)
    match = best_story({}, {"gox": 1.0}, T0, "en", [SMALL, BIG], params)
    assert match is not None and match[0].story_id == "small"
    assert match[1] == pytest.approx(9 / math.sqrt(82))
