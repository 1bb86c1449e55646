"""One polled batch through the enricher: decode, enrich, dead-letter, store, publish.

The order is what makes the consumer effectively-once into the warehouse and lossless:

1. records that do not decode, or that the enricher rejects, become dead letters, and their
   sends are resolved before anything commits offsets past them;
2. one database transaction stores the articles and the offsets past the whole batch
   (`store_batch`); records PostgreSQL refuses as data are dead-lettered first (stage "store"),
   instead of failing the batch forever;
3. the enriched records are published and their sends resolved.

Any step failing leaves the offsets where they were, so the batch is read and processed again,
which changes no warehouse row. A crash between 2 and 3 is the one gap: the warehouse has the
batch but its enriched messages were never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.producer.future import FutureRecordMetadata
from sqlalchemy import Engine
from sqlalchemy.exc import DataError

from pipeline.config import ENRICHED_TOPIC
from pipeline.consume.dlt import send_dead_letter
from pipeline.consume.offsets import BatchOffsets
from pipeline.errors import NewsflowError, PoisonRecord
from pipeline.records import CleanedArticle, EnrichedArticle, decode_cleaned, encode, headers_for
from pipeline.warehouse.db import find_unstorable, store_batch
from pipeline.warehouse.rows import StoreItem, SurfaceForms


class EnrichResult(Protocol):
    """What `pipeline.enrich.Enricher.enrich_each` returns per record (its `Enriched`)."""

    @property
    def article(self) -> EnrichedArticle: ...
    @property
    def surface_forms(self) -> SurfaceForms: ...


class Enricher(Protocol):
    def enrich_each(
        self, records: list[CleanedArticle]
    ) -> Sequence[EnrichResult | StoreItem | PoisonRecord]: ...


DeadLetter = tuple[ConsumerRecord, str, str]  # record, error, stage


@dataclass(frozen=True)
class BatchOutcome:
    stored: int
    dead_lettered: int


def _store_item(result: EnrichResult | StoreItem) -> StoreItem:
    # The enricher returns `Enriched` objects; a plain (article, surface forms) pair is
    # accepted too, the shape of the contract as first written.
    if isinstance(result, tuple):
        return result
    return result.article, result.surface_forms


def enrich_batch(
    records: Sequence[ConsumerRecord], enricher: Enricher
) -> tuple[list[tuple[ConsumerRecord, StoreItem]], list[DeadLetter]]:
    """Split a batch into (record, enriched item) pairs and dead letters, keeping the order.

    Errors are data here: a record that does not decode (stage "validate") or that the
    enricher rejects (stage "enrich") becomes a dead letter; the rest of the batch goes on.
    """
    dead: list[DeadLetter] = []
    decoded: list[tuple[ConsumerRecord, CleanedArticle]] = []
    for record in records:
        try:
            decoded.append((record, decode_cleaned(record.value)))
        except PoisonRecord as exc:
            dead.append((record, str(exc), exc.stage))
    if not decoded:
        return [], dead
    results = enricher.enrich_each([cleaned for _, cleaned in decoded])
    if len(results) != len(decoded):
        raise NewsflowError(f"the enricher returned {len(results)} results for "
                            f"{len(decoded)} records; it must return one per record")
    pairs = []
    for (record, _), result in zip(decoded, results, strict=True):
        if isinstance(result, PoisonRecord):
            dead.append((record, str(result), "enrich"))
        else:
            pairs.append((record, _store_item(result)))
    return pairs, dead


class BatchHandler:
    def __init__(self, *, engine: Engine, producer: KafkaProducer, enricher: Enricher,
                 group: str, send_timeout: float = 60.0) -> None:
        self.engine = engine
        self.producer = producer
        self.enricher = enricher
        self.group = group
        self.send_timeout = send_timeout

    def handle(self, records: Sequence[ConsumerRecord], offsets: BatchOffsets) -> BatchOutcome:
        pairs, dead = enrich_batch(records, self.enricher)
        self._dead_letter(dead)
        try:
            store_batch(self.engine, self.group, [item for _, item in pairs], offsets.to_store())
        except DataError:
            refused = find_unstorable(self.engine, [item for _, item in pairs])
            if not refused:
                raise  # the batch fails as a whole: not a record's fault, so no dead letter
            store_dead = [(pairs[i][0], error, "store") for i, error in sorted(refused.items())]
            self._dead_letter(store_dead)
            dead += store_dead
            pairs = [pair for i, pair in enumerate(pairs) if i not in refused]
            store_batch(self.engine, self.group, [item for _, item in pairs], offsets.to_store())
        self._publish([article for _, (article, _) in pairs])
        return BatchOutcome(stored=len(pairs), dead_lettered=len(dead))

    def _dead_letter(self, dead: list[DeadLetter]) -> None:
        self._resolve([send_dead_letter(self.producer, record, error, stage, self.group)
                       for record, error, stage in dead])

    def _publish(self, articles: list[EnrichedArticle]) -> None:
        self._resolve([
            self.producer.send(ENRICHED_TOPIC, key=a.article_id.encode(), value=encode(a),
                               headers=headers_for(a))
            for a in articles
        ])

    def _resolve(self, futures: list[FutureRecordMetadata]) -> None:
        """A send counts only once the broker acknowledged it; raises the first failure."""
        if not futures:
            return
        self.producer.flush(timeout=self.send_timeout)
        for future in futures:
            future.get(timeout=self.send_timeout)
