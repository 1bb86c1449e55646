"""The wire contract as consumers in other languages see it: schemas/README.md's example,
unknown fields, and what a reader refuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from test_warehouse_rows import cleaned

from pipeline.errors import PoisonRecord
from pipeline.records import (
    EnrichedArticle,
    article_id_for,
    content_hash,
    decode_cleaned,
    encode,
    headers_for,
    normalize_text,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def readme_example() -> dict:
    readme = (SCHEMAS / "README.md").read_text()
    section = readme.split("## Example record", 1)[1]
    return json.loads(re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1))


def test_the_readme_example_is_a_valid_consistent_enriched_record():
    example = readme_example()
    jsonschema.validate(example, schema("article.enriched.v1.json"))
    article = EnrichedArticle.model_validate(example)
    assert article.article_id == article_id_for(article.canonical_url)
    assert article.content_hash == content_hash(article.text)
    assert article.word_count == len(normalize_text(article.text).split())
    assert all(article.text[e.first_offset :].startswith(e.name) for e in article.entities)
    assert article.text == "\n\n".join(p.text for p in article.paragraphs)


def test_the_readme_names_every_dead_letter_header():
    readme = (SCHEMAS / "README.md").read_text()
    for header in (
        "error",
        "stage",
        "consumer.group",
        "source.topic",
        "source.partition",
        "source.offset",
        "schema",
        "content-type",
    ):
        assert f"`{header}`" in readme


def test_readers_ignore_fields_a_producer_added_within_the_version():
    data = {**json.loads(encode(cleaned())), "reading_time_minutes": 4}
    assert decode_cleaned(json.dumps(data).encode()) == cleaned()
    jsonschema.validate(data, schema("article.cleaned.v1.json"))


def test_records_carry_their_schema_and_content_type_headers():
    assert headers_for(cleaned()) == [
        ("schema", b"article.cleaned/1"),
        ("content-type", b"application/json"),
    ]
    article = EnrichedArticle.model_validate(readme_example())
    assert dict(headers_for(article))["schema"] == b"article.enriched/1"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b'{"article_id": "trunc', "value is not UTF-8 JSON"),
        (b"\xff\xfe", "value is not UTF-8 JSON"),
        (b"[1, 2]", "JSON but not an object"),
        (None, "tombstone"),
    ],
    ids=["truncated", "not-utf8", "array", "tombstone"],
)
def test_undecodable_values_are_poison(value, message):
    with pytest.raises(PoisonRecord, match=message) as failure:
        decode_cleaned(value)
    assert failure.value.stage == "validate"


def test_another_schema_version_is_poison_in_schema_and_reader():
    data = {**json.loads(encode(cleaned())), "schema_version": 2}
    with pytest.raises(PoisonRecord, match="schema_version"):
        decode_cleaned(json.dumps(data).encode())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema("article.cleaned.v1.json"))


@pytest.mark.parametrize("field", ["article_id", "text", "fetched_at", "extractor"])
def test_a_missing_required_field_is_poison_naming_the_field(field):
    data = {k: v for k, v in json.loads(encode(cleaned())).items() if k != field}
    with pytest.raises(PoisonRecord, match=f"schema violation at {field}: Field required"):
        decode_cleaned(json.dumps(data).encode())
    with pytest.raises(jsonschema.ValidationError, match=field):
        jsonschema.validate(data, schema("article.cleaned.v1.json"))
