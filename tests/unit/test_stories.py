"""Story clustering, the pure half: probes, scores, the in-memory index (assignment, idempotence,
the time window, ids that replays repeat) and a French and an English report of one event
joining one story on their Wikidata ids alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.enrich.stories import (
    DEFAULT_PARAMS,
    MemoryStoryIndex,
    StoryParams,
    StoryProbe,
    content_terms,
    entity_key,
    probe_for,
    score,
    with_story,
)
from pipeline.records import (
    EnrichedArticle,
    EnrichedParagraph,
    Enricher,
    Entity,
    Extractor,
    article_id_for,
    content_hash,
)

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)

# Entities of a NATO summit in Vilnius, and of an unrelated flood in Valencia.
SUMMIT = {"Q7184": 2.0, "Q216": 1.5, "Q37": 1.0, "Q212": 1.7, "n:jens stoltenberg": 1.4}
FLOOD = {"Q8818": 2.0, "Q29": 1.0, "n:aemet": 1.0}
# Background: many stories about other things, so that IDF means something.
OTHER = [{f"Q{900 + n}": 1.0, f"Q{950 + n % 7}": 1.0} for n in range(30)]


def probe(
    name: str,
    entities: dict[str, float],
    title: str,
    lead: str = "",
    *,
    hours: float = 0,
    language: str = "en",
    source: str = "wire",
) -> StoryProbe:
    return StoryProbe(
        article_id=article_id_for(f"https://{source}.example/{name}"),
        source=source,
        published=T0 + timedelta(hours=hours),
        language=language,
        title=title,
        entities=entities,
        terms=content_terms(title, lead),
    )


def background() -> list[StoryProbe]:
    return [
        probe(f"other-{n}", entities, f"Item {n} about topic {n * 7919 % 101} gadgets", hours=-n)
        for n, entities in enumerate(OTHER)
    ]


EN = probe(
    "summit-en",
    SUMMIT,
    "NATO leaders gather in Vilnius as Ukraine seeks membership path",
    "Alliance leaders met in the Lithuanian capital on Tuesday, where Kyiv pressed for a "
    "timetable to join and Stoltenberg promised long-term support.",
)
FR = probe(
    "summit-fr",
    # The French model finds the same entities; "OTAN" resolves to NATO's id.
    {"Q7184": 1.7, "Q216": 1.0, "Q212": 2.0, "n:jens stoltenberg": 1.0, "Q37": 1.0},
    "Sommet atlantique : Kiev réclame une feuille de route",
    "Réunis mardi en Lituanie, les dirigeants alliés ont promis un soutien "
    "durable à Kiev, sans calendrier d'adhésion.",
    hours=3,
    language="fr",
    source="lemonde",
)


def test_content_terms_drop_stop_words_and_weight_the_title() -> None:
    terms = content_terms("The harbour reopens", "The harbour was closed for weeks")
    assert "the" not in terms and "was" not in terms and "for" not in terms
    assert terms["harbour"] > terms["closed"] == 1.0  # title twice + lead once, against once
    assert "reopens" in terms  # seven characters: kept whole
    assert content_terms("Internationalization")["interna"] > 0  # cut to seven


def test_an_article_joins_the_story_it_matches_and_another_starts_one() -> None:
    index = MemoryStoryIndex()
    index.assign(background())
    follow_up = probe(
        "summit-2",
        {"Q7184": 1.0, "Q212": 1.0, "n:jens stoltenberg": 1.0, "Q216": 1.0},
        "NATO summit in Vilnius ends with Ukraine pledge",
        "Stoltenberg said the alliance would support Kyiv as long as it takes.",
        hours=20,
        source="other",
    )
    flood = probe("flood", FLOOD, "Floods hit Valencia after record rainfall", hours=5)
    ids = index.assign([EN, flood, follow_up])
    assert ids[0] == EN.article_id  # a story is named after its first article
    assert ids[1] == flood.article_id
    assert ids[2] == EN.article_id
    story = index.stories[EN.article_id]
    assert story.article_count == 2
    assert (story.first_source, story.earliest, story.latest) == (
        "wire",
        T0,
        T0 + timedelta(hours=20),
    )


def test_french_and_english_reports_of_one_event_share_a_story_on_entities_alone() -> None:
    # No content term in common: only the Wikidata ids (and one canonical name) agree.
    assert not set(EN.terms) & set(FR.terms)
    index = MemoryStoryIndex()
    index.assign(background())
    assert index.assign([EN, FR]) == [EN.article_id, EN.article_id]
    assert index.stories[EN.article_id].languages == {"en": 1, "fr": 1}
    # The same French report with other entities does not join on its words.
    unrelated = probe("fr-other", FLOOD, FR.title, hours=4, language="fr", source="lemonde")
    assert index.assign([unrelated]) == [unrelated.article_id]


def test_entities_dominate_one_shared_common_entity_is_not_enough() -> None:
    index = MemoryStoryIndex()
    index.assign(background())
    shares_one = probe(
        "us-budget",
        {"Q30": 2.0, "Q37": 1.0, "n:congress": 1.0},
        "Congress passes budget as shutdown looms",
        hours=2,
    )
    assert index.assign([EN, shares_one]) == [EN.article_id, shares_one.article_id]


def test_assign_is_idempotent_and_replays_give_the_same_ids() -> None:
    probes = [*background(), EN, FR, probe("flood", FLOOD, "Floods hit Valencia", hours=2)]
    index = MemoryStoryIndex()
    first = index.assign(probes)
    stories = {sid: (s.article_count, dict(s.entities)) for sid, s in index.stories.items()}
    # The same articles again, one by one and reversed: nothing moves, nothing is added.
    assert [index.assign([p])[0] for p in reversed(probes)] == first[::-1]
    assert {sid: (s.article_count, dict(s.entities)) for sid, s in index.stories.items()} == (
        stories
    )
    assert index.total == len(probes)
    # A fresh index given the same records in the same order names the same stories.
    assert MemoryStoryIndex().assign(probes) == first
    # An article twice in one batch: one story, counted once.
    again = MemoryStoryIndex()
    assert again.assign([EN, EN]) == [EN.article_id, EN.article_id]
    assert again.stories[EN.article_id].article_count == 1


def test_a_story_accepts_articles_only_within_its_time_window() -> None:
    later = StoryProbe(**{**EN.__dict__, "article_id": "b" * 64})
    window = DEFAULT_PARAMS.window
    for offset, joins in [
        (window - timedelta(hours=1), True),
        (window + timedelta(hours=1), False),
        (-(window + timedelta(hours=1)), False),  # published long before: not this story
    ]:
        index = MemoryStoryIndex()
        index.assign(background())
        moved = StoryProbe(**{**later.__dict__, "published": EN.published + offset})
        ids = index.assign([EN, moved])
        assert (ids[1] == EN.article_id) is joins, offset
    # The window runs from the story's latest article: a story that keeps going keeps matching.
    index = MemoryStoryIndex()
    chain = [
        StoryProbe(**{**EN.__dict__, "article_id": f"{n:064x}", "published": T0 + n * window / 2})
        for n in range(5)
    ]
    assert set(index.assign(chain)) == {f"{0:064x}"}


def test_score_decays_with_time_and_ignores_terms_across_languages() -> None:
    index = MemoryStoryIndex()
    index.assign([EN])
    story = index.stories[EN.article_id]
    same = score(story.entities, story.terms, T0, "en", story)
    assert same == pytest.approx(1.0)
    day_later = score(story.entities, story.terms, T0 + timedelta(days=3), "en", story)
    assert day_later < same
    assert score(story.entities, {}, T0, "fr", story) == pytest.approx(1.0)
    # In another language, terms are not compared: matching words alone give nothing.
    assert score({}, story.terms, T0, "de", story) == 0.0
    assert score({}, story.terms, T0, "en", story) == pytest.approx(1.0)


def test_candidates_are_bounded() -> None:
    params = StoryParams(max_candidates=3)
    index = MemoryStoryIndex(params)
    # Ten stories that share one entity and no word (a headline with two entities weighs
    # its words more than its entities: one common title word would join them).
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()
    index.assign(
        [
            probe(f"s{n}", {"Q30": 1.0, f"Q{n + 5000}": 3.0}, word.title(), hours=n)
            for n, word in enumerate(words)
        ]
    )
    assert len(index.stories) == 10
    found = index.candidates(probe("x", {"Q30": 1.0}, "Anything", hours=10))
    assert len(found) == 3
    assert [s.latest for s in found] == sorted((s.latest for s in found), reverse=True)


def enriched(entities: list[Entity], language: str = "fr") -> EnrichedArticle:
    url = "https://lemonde.example/otan"
    text = "Les dirigeants de l'OTAN se sont réunis à Vilnius."
    return EnrichedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id="lemonde",
        title="Sommet de l'OTAN à Vilnius",
        description="Les alliés promettent un soutien durable",
        fetched_at=T0,
        language=language,
        text=text,
        paragraphs=[
            EnrichedParagraph(text=text),
            EnrichedParagraph(text="Abonnez-vous à notre lettre", offtopic=True),
        ],
        word_count=9,
        content_hash=content_hash(text),
        extractor=Extractor(name="test", version="0"),
        entities=entities,
        enricher=Enricher(name="test", model="none"),
    )


def test_probe_for_an_enriched_article() -> None:
    article = enriched(
        [
            Entity(
                name="OTAN",
                label="ORG",
                canonical="NATO",
                count=3,
                first_offset=19,
                wikidata_id="Q7184",
            ),
            Entity(name="Vilnius", label="GPE", canonical="Vilnius", count=1, first_offset=40),
        ]
    )
    made = probe_for(article)
    assert made.article_id == article.article_id and made.source == "lemonde"
    assert made.published == T0  # no published_at: the fetch time
    assert made.language == "fr"
    assert set(made.entities) == {"Q7184", "n:vilnius"}
    assert made.entities["Q7184"] > made.entities["n:vilnius"]
    assert "sommet" in made.terms and "alliés" in made.terms and "dirigea" in made.terms
    assert "abonnez" not in made.terms  # an off-topic paragraph is not the lead
    assert entity_key("Vilnius", None) == "n:vilnius"
    assert with_story(article, "a" * 64).story_id == "a" * 64
    assert article.story_id is None  # a record enriched without stories


def test_newsflow_enrich_gives_each_record_the_story_of_its_run() -> None:
    """`newsflow enrich` (JSON lines): two reports of one event share a story, named after the
    first; a report of another event and the line that fails have theirs (or none)."""
    import io
    import json

    from enrich_cases import make_record

    from pipeline.enrich import Enricher, enrich_jsonl

    iraq = [
        "NATO defence ministers agreed in Brussels on Tuesday to expand the alliance's training "
        "mission in Iraq. Jens Stoltenberg said it would stay with the consent of Baghdad.",
    ]
    records = [
        make_record("NATO expands its Iraq mission", iraq, slug="a"),
        make_record(
            "Leeds backs a tram to the airport",
            ["Leeds City Council approved a tram line to Leeds Bradford Airport in Leeds."],
            slug="b",
        ),
        make_record(
            "Stoltenberg: more NATO trainers for Iraq",
            [
                "Jens Stoltenberg told reporters in Brussels that NATO would send more trainers to "
                "Iraq, at the request of the government in Baghdad."
            ],
            slug="c",
        ),
    ]
    lines = [
        records[0].model_dump_json(),
        records[1].model_dump_json(),
        "{not json",
        records[2].model_dump_json(),
    ]
    stdout, stderr = io.StringIO(), io.StringIO()
    assert (
        enrich_jsonl(io.StringIO("\n".join(lines) + "\n"), stdout, stderr, enricher=Enricher()) == 1
    )
    out = [
        EnrichedArticle.model_validate(json.loads(line)) for line in stdout.getvalue().splitlines()
    ]
    assert [a.story_id for a in out] == [
        records[0].article_id,
        records[1].article_id,
        records[0].article_id,
    ]
