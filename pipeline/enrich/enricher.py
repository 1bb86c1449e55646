"""The enrich stage: language, named entities, off-topic paragraphs and near-duplicates for
cleaned articles, with one spaCy pipeline per language, each loaded once per process (English
at start-up, the others on their first article: pipeline/enrich/ner_models.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import spacy

import pipeline
from pipeline.enrich.duplicates import DuplicateIndex, MemoryDuplicateIndex, Probe, signature
from pipeline.enrich.entities import Mention, mention_from_span
from pipeline.enrich.gazetteer import Gazetteer, default_gazetteer
from pipeline.enrich.ner_models import ENGLISH_MODEL, NerModels, load_pipeline
from pipeline.enrich.offtopic import FLAG_AT, ParagraphTerms, content_words, scores
from pipeline.enrich.prepare import Prepared, prepare
from pipeline.enrich.resolution import Resolved, aggregate, resolve
from pipeline.errors import PoisonRecord
from pipeline.language import load_in_background
from pipeline.records import CleanedArticle, EnrichedArticle, EnrichedParagraph
from pipeline.records import Enricher as EnricherInfo

DEFAULT_MODEL = ENGLISH_MODEL
ENRICHER_NAME = "newsflow-enrich"

# Each model runs its "ner" component alone (ner_models.load_pipeline): the NER component of
# these models embeds its own tok2vec (no listener). Measured on the 82 English pages of
# datasets/article-extraction-dev, per paragraph: of 5952 entity spans the full pipeline finds,
# "ner" alone changes 4, in 3 pages (without the parser's sentence breaks a span can run on:
# "IL-25. Locksley"), at 2.4x the articles/s on ~600-word articles. Keeping tok2vec + parser
# gives identical spans but only 1.1x.


@dataclass
class EnrichStats:
    """Where the time went, summed over the enricher's life (for `newsflow bench enrich`)."""

    records: int = 0
    ner_seconds: float = 0.0
    total_seconds: float = 0.0


@dataclass
class _Work:
    prepared: Prepared
    mentions: list[Mention] = field(default_factory=list)


class Enricher:
    """Enriches cleaned articles; see DESIGN.md for the record it produces.

    - `enrich_each(records)` is what a consumer calls (`port.ArticleEnricher`): one result per
      record, in order, either the `EnrichedArticle` or the `PoisonRecord` (stage "enrich") of
      a record this stage cannot handle, so that record alone is dead-lettered and the rest of
      the batch goes on.
    - `enrich(records)` is all-or-nothing: the articles, or the first record's PoisonRecord.

    Per record: page furniture (bylines, share prompts) is flagged and cut out; the language is
    detected, and NER runs with that language's model (ner_models.MODELS; a language without
    one is tagged by the gazetteer's rules if the gazetteer has its names, `entities_skipped`
    saying so, and gets no entities and `entities_skipped` saying why otherwise); the model
    tags each remaining paragraph, captions skipped, so no entity spans two paragraphs;
    mentions are resolved
    into canonical entities, each listing its surface forms; paragraphs spliced in from
    another story (English only) are flagged and their mentions left out of the counts; the
    near-duplicate index `duplicates` (the warehouse's, shared by every consumer and kept
    across restarts, is passed in by whoever builds the consumer; one in memory otherwise)
    names the earliest article this one nearly duplicates.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        *,
        duplicates: DuplicateIndex | None = None,
        gazetteer: Gazetteer | None = None,
    ) -> None:
        load_in_background()  # the language detector, while spaCy loads
        self.nlp = load_pipeline(model)
        self.gazetteer = gazetteer or default_gazetteer()
        self.models = NerModels(self.nlp, model, gazetteer=self.gazetteer)
        # Paragraphs per model batch; throughput measured flat from 32 to 128 paragraphs.
        self.batch_size = batch_size
        self.duplicates = duplicates or MemoryDuplicateIndex()
        self.stats = EnrichStats()
        self.info = EnricherInfo(
            name=ENRICHER_NAME,
            model=f"{self.nlp.meta['lang']}_{self.nlp.meta['name']} {self.nlp.meta['version']}",
            versions={"spacy": spacy.__version__, "newsflow": pipeline.__version__},
        )
        self._infos = {"en": self.info}  # language → the provenance its records carry

    def enrich(self, records: Sequence[CleanedArticle]) -> list[EnrichedArticle]:
        """The enriched articles; raises the PoisonRecord of the first record that has one."""
        articles = []
        for result in self.enrich_each(records):
            if isinstance(result, PoisonRecord):
                raise result
            articles.append(result)
        return articles

    def enrich_each(
        self,
        records: Sequence[CleanedArticle],
    ) -> list[EnrichedArticle | PoisonRecord]:
        """One result per record, in order: the enriched record, or its `PoisonRecord`."""
        started = time.perf_counter()
        work: list[_Work | PoisonRecord] = []
        for record in records:
            try:
                work.append(
                    _Work(
                        prepare(
                            record,
                            self.nlp.max_length,
                            self.models.skip_reason,
                            self.models.partial_reason,
                        )
                    )
                )
            except PoisonRecord as exc:
                work.append(exc)
        ready = [w for w in work if isinstance(w, _Work)]
        tagged = [w for w in ready if w.prepared.decision.skipped is None]
        ner_started = time.perf_counter()
        for item, mentions in self._tag(tagged):
            item.mentions.extend(mentions)
        self.stats.ner_seconds += time.perf_counter() - ner_started
        near = self.duplicates.assign(
            [
                Probe(
                    w.prepared.record.article_id,
                    signature(w.prepared.prose),
                    w.prepared.record.published_at or w.prepared.record.fetched_at,
                )
                for w in ready
            ]
        )
        results: list[EnrichedArticle | PoisonRecord] = [
            w
            if isinstance(w, PoisonRecord)
            else self._enriched(w, near[w.prepared.record.article_id])
            for w in work
        ]
        self.stats.records += len(records)
        self.stats.total_seconds += time.perf_counter() - started
        return results

    def _enriched(self, work: _Work, near_duplicate_of: str | None) -> EnrichedArticle:
        prepared = work.prepared
        record = prepared.record
        language = prepared.decision.ner_language
        resolved = resolve(work.mentions, self.gazetteer, language)
        offtopic = self._offtopic(work, resolved)
        entities = aggregate(
            work.mentions,
            self.gazetteer,
            excluded_paragraphs=frozenset(i for i, s in offtopic.items() if s >= FLAG_AT),
            resolved=resolved,
            language=language,
        )
        paragraphs = []
        for index, paragraph in enumerate(record.paragraphs):
            score = 1.0 if index in prepared.furniture else offtopic.get(index, 0.0)
            paragraphs.append(
                EnrichedParagraph(
                    text=paragraph.text,
                    kind=paragraph.kind,
                    offtopic=score >= FLAG_AT,
                    offtopic_score=round(score, 3),
                )
            )
        return EnrichedArticle.model_validate(
            {
                **record.model_dump(),
                "language": prepared.decision.language,
                "paragraphs": paragraphs,
                "entities": entities,
                "entities_skipped": prepared.decision.skipped or prepared.decision.partial,
                "near_duplicate_of": near_duplicate_of,
                "enricher": self._info(language if prepared.decision.skipped is None else "en"),
            }
        )

    def _info(self, language: str) -> EnricherInfo:
        if language not in self._infos:
            self._infos[language] = self.info.model_copy(
                update={"model": self.models.description(language)}
            )
        return self._infos[language]

    def _offtopic(self, work: _Work, resolved: Resolved) -> dict[int, float]:
        """paragraph index → off-topic score, for the paragraphs of the story (English only:
        the scores' stop words and stems are English)."""
        decision = work.prepared.decision
        if decision.skipped is not None or decision.ner_language != "en":
            return {}
        indexes, terms = self.story_terms(work, resolved)
        return dict(zip(indexes, scores(work.prepared.record.title, terms), strict=True))

    def story_terms(
        self,
        work: _Work,
        resolved: Resolved | None = None,
    ) -> tuple[list[int], list[ParagraphTerms]]:
        """The story's paragraph indexes and the terms the off-topic scores compare."""
        resolved = resolved or resolve(
            work.mentions, self.gazetteer, work.prepared.decision.ner_language
        )
        named: dict[int, set[str]] = {}
        for mention, key in zip(resolved.mentions, resolved.keys, strict=True):
            canonical, _, wikidata_id = resolved.entities[key]
            # A demonym carries its country's id: "Iraqi" and "Iraq" are one term here.
            named.setdefault(mention.paragraph, set()).add(wikidata_id or canonical.casefold())
        paragraphs = work.prepared.record.paragraphs
        indexes = work.prepared.story
        return indexes, [
            ParagraphTerms(content_words(paragraphs[i].text), frozenset(named.get(i, ())))
            for i in indexes
        ]

    def _tag(self, items: list[_Work]) -> Iterator[tuple[_Work, list[Mention]]]:
        by_language: dict[str, list[_Work]] = {}
        for item in items:
            by_language.setdefault(item.prepared.decision.ner_language, []).append(item)
        for language, group in by_language.items():
            yield from self._tag_language(language, group)

    def _tag_language(
        self, language: str, items: list[_Work]
    ) -> Iterator[tuple[_Work, list[Mention]]]:
        nlp = self.models.pipeline(language)
        model = self.models.model(language)
        texts = (
            (segment.text, (item, segment)) for item in items for segment in item.prepared.segments
        )
        for doc, (item, segment) in nlp.pipe(texts, as_tuples=True, batch_size=self.batch_size):
            spans = [
                (ent.start_char, ent.end_char, label)
                for ent in doc.ents
                if (label := model.record_label(ent.label_)) is not None
            ]
            # Mentions the model is known to miss ("the anti-IS coalition"), where it found none.
            spans += [
                (start, end, entry.label)
                for start, end, entry in self.gazetteer.pattern_mentions(segment.text, language)
                if not any(a < end and start < b for a, b, _ in spans)
            ]
            found = (
                mention_from_span(
                    segment.text, start, end, label, segment.offset, segment.paragraph
                )
                for start, end, label in spans
            )
            yield item, [mention for mention in found if mention is not None]
