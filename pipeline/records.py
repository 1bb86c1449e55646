"""The wire contract: one pydantic model per topic record, and one encode/decode pair.

Readers ignore unknown fields so producers can add fields within a schema version.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import PoisonRecord

CLEANED_SCHEMA = "article.cleaned/1"
ENRICHED_SCHEMA = "article.enriched/1"
CONTENT_TYPE = "application/json"

ParagraphKind = Literal["body", "heading", "quote", "caption"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Paragraph(_Record):
    text: str
    kind: ParagraphKind = "body"


class Extractor(_Record):
    name: str
    version: str


class Removal(_Record):
    """Text the cleaner left out of the article, summed over one reason."""

    reason: str = Field(
        description="why it is not article text: navigation, header, footer, sidebar, dialog, "
        "form, hidden, controls, cookie, newsletter, share, comments, related, paywall, promo, "
        "ad, author_box, tags, byline, dateline, title, copyright, link_list, label, "
        "outside_article, truncated (pipeline/clean/removals.py says what each means)"
    )
    blocks: int = Field(ge=0, description="how many paragraphs, lines or widgets")
    chars: int = Field(ge=0)
    sample: str = Field("", description="the start of the first text removed for this reason")


class CleanedArticle(_Record):
    """`article.cleaned` version 1: one article page after extraction."""

    schema_version: Literal[1] = 1
    article_id: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of canonical_url")
    url: str
    canonical_url: str
    source_id: str
    title: str
    description: str | None = None
    authors: list[str] = Field(default_factory=list)
    published_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    fetched_at: AwareDatetime
    language: str | None = Field(None, description="ISO 639-1")
    section: str | None = None
    tags: list[str] = Field(default_factory=list)
    text: str = Field(description="the body, paragraphs separated by a blank line")
    paragraphs: list[Paragraph]
    word_count: int = Field(
        ge=0,
        description="words separated by white space; each Chinese, "
        "Japanese or Korean character counts as one word",
    )
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    version: int = Field(1, ge=1)
    top_image: str | None = None
    extractor: Extractor
    removed: list[Removal] = Field(
        default_factory=list, description="what the cleaner left out and why, most text first"
    )


class EnrichedParagraph(Paragraph):
    offtopic: bool = False
    offtopic_score: float = Field(0.0, ge=0.0, le=1.0)


class Entity(_Record):
    name: str
    label: str
    canonical: str
    count: int = Field(ge=1)
    first_offset: int = Field(ge=0)
    wikidata_id: str | None = Field(None, description="Wikidata item, e.g. Q7184, when known")
    # Added within v1, so it has a default: records enriched before it carry none.
    surface_forms: list[str] = Field(
        default_factory=list,
        description="every way the text writes this entity, in order of first appearance (the "
        "first is at first_offset); empty in records enriched before the field existed",
    )


class Enricher(_Record):
    name: str
    model: str
    versions: dict[str, str] = Field(default_factory=dict)


class EnrichedArticle(CleanedArticle):
    """`article.enriched` version 1: the cleaned record plus enrichment."""

    paragraphs: list[EnrichedParagraph]  # type: ignore[assignment]
    entities: list[Entity]
    near_duplicate_of: str | None = None
    entities_skipped: str | None = Field(
        None,
        description="null when a NER model tagged the article; otherwise why its entities are "
        'fewer than a model\'s: none at all (e.g. "no NER model for nl installed") or only '
        'the curated gazetteer\'s ("gazetteer entities only: no NER model for de installed")',
    )
    enricher: Enricher
    # Added within v1, so it has a default: records enriched before it carry none.
    story_id: str | None = Field(
        None,
        description="the story this article joined (pipeline/enrich/stories.py): the "
        "article_id of the story's first article; null in records enriched before the field "
        "existed or by an enricher that clusters no stories",
    )


def normalize_text(text: str) -> str:
    """NFC, collapsed whitespace: the form content_hash and word counts are taken from."""
    # This runs for every text block. str.split() splits on exactly what the regex `\s+`
    # matches (both ask Py_UNICODE_ISSPACE) in about half the time of a regex substitution.
    return " ".join(unicodedata.normalize("NFC", text).split())


# Han, kana, Hangul syllables and CJK compatibility ideographs: scripts written without spaces
# between words, where one character is counted as one word.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# CJK punctuation ("、", "。", "「", fullwidth "！") is not a word.
_CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_CJK_WORD = re.compile(rf"[{CJK_CHARS}]|[^\s{CJK_CHARS}{_CJK_PUNCTUATION}]+")
_HAS_CJK = re.compile(rf"[{CJK_CHARS}]")


def count_words(text: str) -> int:
    """Words separated by white space, each CJK character one word (a Japanese article of
    1,500 characters is not 12 "words" long)."""
    if not _HAS_CJK.search(text):
        return len(text.split())
    return len(_CJK_WORD.findall(text))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def article_id_for(canonical_url: str) -> str:
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()


def encode(record: BaseModel) -> bytes:
    return record.model_dump_json().encode("utf-8")


def headers_for(record: BaseModel) -> list[tuple[str, bytes]]:
    schema = ENRICHED_SCHEMA if isinstance(record, EnrichedArticle) else CLEANED_SCHEMA
    return [("schema", schema.encode()), ("content-type", CONTENT_TYPE.encode())]


def decode_cleaned(value: bytes | None) -> CleanedArticle:
    """Parse a message value; anything that is not a valid v1 record is a PoisonRecord."""
    if value is None:
        raise PoisonRecord("message has no value (tombstone)")
    try:
        data = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonRecord(f"value is not UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise PoisonRecord("value is JSON but not an object")
    try:
        return CleanedArticle.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise PoisonRecord(f"schema violation at {where}: {first['msg']}") from exc


def utc_iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
