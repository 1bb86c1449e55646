"""Story scores of short texts (a headline with fewer than `entity_support` entities): the
separate entity and term cosines are blended with the joint cosine of entities and terms as
one vector, worked out by hand here. Articles without entities, and articles with enough of
them, are scored as before."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from story_profiles import T0, story

from pipeline.enrich.stories import DEFAULT_PARAMS, best_story, score

E, T = DEFAULT_PARAMS.entity_weight, DEFAULT_PARAMS.term_weight  # 0.65, 0.35


# Entity vector of norm 5, term vector of norm 5.
GOX = story("gox", entities={"Q1": 3.0, "Q2": 4.0}, terms={"gox": 4.0, "bankrupt": 3.0})


def test_one_entity_blends_the_separate_and_the_joint_cosine() -> None:
    # Article: entity Q1 (norm 1), term "gox" (norm 1). Entity cosine 3/5, term cosine 4/5.
    separate = (E / 4 * 0.6 + T * 0.8) / (E / 4 + T)  # E scaled by 1 of entity_support 4
    # One vector: (3 + 4) / (|(1, 1)| * |(3, 4, 4, 3)|) = 7 / (sqrt(2) * sqrt(50)) = 0.7.
    joint = 7 / (math.sqrt(2) * math.sqrt(50))
    assert joint == pytest.approx(0.7)
    expected = 0.25 * separate + 0.75 * joint
    assert score({"Q1": 1.0}, {"gox": 1.0}, T0, "en", GOX) == pytest.approx(expected)
    assert expected == pytest.approx(0.709146, abs=1e-6)  # main's separate score: 0.736585


def test_no_entity_or_enough_entities_are_scored_as_before() -> None:
    # No entity: terms alone.
    assert score({}, {"gox": 1.0}, T0, "en", GOX) == pytest.approx(0.8)
    # entity_support entities: the separate cosines at full weight, nothing blended.
    entities = {"Q1": 1.0, "Q7": 1.0, "Q8": 1.0, "Q9": 1.0}
    entity_cosine = 3 / (2 * 5)
    assert score(entities, {"gox": 1.0}, T0, "en", GOX) == pytest.approx(
        (E * entity_cosine + T * 0.8) / (E + T)
    )


def test_the_joint_cosine_leaves_terms_out_across_languages() -> None:
    # A German headline: its words are not compared with an English story's, in either part,
    # so only the entity cosine is left (3/5), not the words' 4 added to the entities' dot.
    assert score({"Q1": 1.0}, {"gox": 1.0}, T0, "de", GOX) == pytest.approx(0.6)


def test_a_headline_joins_the_story_of_its_words_not_the_one_of_its_one_entity() -> None:
    """ "Plosser: taper pace may be too slow", whose one entity is the Fed. The Plosser story
    names the Fed among other entities and shares the headline's words; another story is all
    about the Fed (its entity cosine is 1) and shares one word. Scored separately, the Fed's
    full entity cosine won; as one vector, the Fed weighs what its IDF says against the words."""
    plosser = story(
        "plosser",
        entities={"Q_fed": 2.0, "n:charles plosser": 6.0, "Q30": 3.0},
        terms={
            "plosser": 9.0,
            "taper": 6.0,
            "pace": 4.0,
            "weather": 5.0,
            "jobs": 4.0,
            "growth": 3.0,
        },
    )
    fed = story(
        "fed",
        entities={"Q_fed": 4.0},
        terms={"rates": 6.0, "hike": 5.0, "yellen": 5.0, "taper": 2.0},
    )
    entities = {"Q_fed": 1.5}
    terms = {"plosser": 1.0, "taper": 2.0, "pace": 1.0, "slow": 5.0}
    scores = {s.story_id: score(entities, terms, T0, "en", s) for s in (plosser, fed)}
    assert scores["plosser"] > scores["fed"], scores  # main: 0.3173 against 0.3688
    # At a headline stream's low threshold (see docs/bench-cluster.md) both are candidates.
    low = replace(DEFAULT_PARAMS, threshold=0.1)
    best = best_story(entities, terms, T0, "en", [fed, plosser], low)
    assert best is not None and best[0].story_id == "plosser"
