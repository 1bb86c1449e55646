"""One polled batch through the enricher: decode, enrich, store, publish, dead-letter.

The order is what makes the consumer lose nothing and double nothing in the warehouse:

1. records that do not decode, or that the enricher rejects (or cannot handle after three
   tries, see `tries.py`), become dead letters;
2. one database transaction stores the articles, the offsets past the whole batch and the
   dead letters (`store_batch`); records PostgreSQL refuses as data become dead letters too
   (stage "store") instead of failing the batch forever;
3. inside that transaction, each article first joins its story (`stories`, see
   pipeline/warehouse/stories.py); before it commits, the enriched records are published
   and every send resolved: a crash after the publish and before the commit repeats the
   batch, so the enriched topic is at-least-once (duplicates carry the same key, version and
   content hash) while nothing the warehouse has can be missing from it;
4. after the commit, the runner drains the dead letters to the DLT exactly once
   (`dlt_outbox.py`).

Any step failing before the commit leaves the offsets where they were, so the batch is read
and processed again, which changes no warehouse row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.producer.future import FutureRecordMetadata
from sqlalchemy import Engine
from sqlalchemy.exc import DataError

from pipeline.config import ENRICHED_TOPIC
from pipeline.consume.dlt_outbox import DeadLetter, DeadLetterOutbox
from pipeline.consume.metrics import cause_of
from pipeline.consume.offsets import BatchOffsets
from pipeline.consume.tries import enrich_with_tries
from pipeline.enrich.port import ArticleEnricher
from pipeline.errors import NewsflowError, PoisonRecord
from pipeline.records import CleanedArticle, EnrichedArticle, decode_cleaned, encode, headers_for
from pipeline.warehouse.db import find_unstorable, store_batch
from pipeline.warehouse.outbox import OutboxLetter
from pipeline.warehouse.stories import WarehouseStoryIndex


@dataclass(frozen=True)
class BatchOutcome:
    stored: int
    dead_lettered: int
    # For the metrics: the stored records that are near-duplicates, each dead letter's
    # cause (an error class name), the time enrichment and the store took.
    near_duplicates: int = 0
    causes: tuple[str, ...] = ()
    enriched: int = 0
    enrich_seconds: float = 0.0
    store_seconds: float | None = None


@dataclass
class EnrichedBatch:
    pairs: list[tuple[ConsumerRecord, EnrichedArticle]]
    dead: list[DeadLetter]
    causes: list[str] = field(default_factory=list)  # one per dead letter
    enriched: int = 0  # records the enricher was given
    seconds: float = 0.0  # the enricher's time on them


def enrich_batch(records: Sequence[ConsumerRecord], enricher: ArticleEnricher) -> EnrichedBatch:
    """Split a batch into (record, enriched item) pairs and dead letters, keeping the order.

    Errors are data here: a record that does not decode (stage "validate") or that the
    enricher rejects (stage "enrich") becomes a dead letter; the rest of the batch goes on.
    """
    out = EnrichedBatch([], [])
    decoded: list[tuple[ConsumerRecord, CleanedArticle]] = []
    for record in records:
        try:
            decoded.append((record, decode_cleaned(record.value)))
        except PoisonRecord as exc:
            out.dead.append((record, str(exc), exc.stage))
            out.causes.append(cause_of(exc))
    if not decoded:
        return out
    started = time.perf_counter()
    results = enrich_with_tries(enricher, [cleaned for _, cleaned in decoded])
    out.seconds = time.perf_counter() - started
    out.enriched = len(decoded)
    if len(results) != len(decoded):
        raise NewsflowError(
            f"the enricher returned {len(results)} results for "
            f"{len(decoded)} records; it must return one per record"
        )
    for (record, _), result in zip(decoded, results, strict=True):
        if isinstance(result, PoisonRecord):
            out.dead.append((record, str(result), "enrich"))
            out.causes.append(cause_of(result))
        else:
            out.pairs.append((record, result))
    return out


class BatchHandler:
    def __init__(
        self,
        *,
        engine: Engine,
        producer: KafkaProducer,
        enricher: ArticleEnricher,
        group: str,
        outbox: DeadLetterOutbox,
        send_timeout: float = 60.0,
        enriched_topic: str = ENRICHED_TOPIC,
        bulk_store: bool = True,  # False: the multi-row INSERT path (NEWSFLOW_STORE_PATH)
        stories: WarehouseStoryIndex | None = None,
    ) -> None:
        self.engine = engine
        self.bulk_store = bulk_store
        self.producer = producer
        self.enricher = enricher
        self.group = group
        self.outbox = outbox
        self.send_timeout = send_timeout
        self.enriched_topic = enriched_topic
        self.stories = stories  # assigns each article its story in the batch's transaction

    def handle(self, records: Sequence[ConsumerRecord], offsets: BatchOffsets) -> BatchOutcome:
        """Process and commit one batch (steps 1 to 3 above); the caller drains the outbox."""
        batch = enrich_batch(records, self.enricher)
        pairs, dead, causes = batch.pairs, batch.dead, batch.causes
        letters = self.outbox.letters(dead)
        started = time.perf_counter()
        try:
            self._store(pairs, offsets, letters)
        except DataError:
            refused = find_unstorable(self.engine, [item for _, item in pairs])
            if not refused:
                raise  # the batch fails as a whole: not a record's fault, so no dead letter
            store_dead = [(pairs[i][0], error, "store") for i, error in sorted(refused.items())]
            dead += store_dead
            causes += ["DataError"] * len(store_dead)
            letters += self.outbox.letters(store_dead)
            pairs = [pair for i, pair in enumerate(pairs) if i not in refused]
            started = time.perf_counter()  # the successful store, not the refused one
            self._store(pairs, offsets, letters)
        store_seconds = time.perf_counter() - started
        if dead:
            self.outbox.unsent = True
        return BatchOutcome(
            stored=len(pairs),
            dead_lettered=len(dead),
            near_duplicates=sum(item.near_duplicate_of is not None for _, item in pairs),
            causes=tuple(causes),
            enriched=batch.enriched,
            enrich_seconds=batch.seconds,
            store_seconds=store_seconds,
        )

    def _store(
        self,
        pairs: list[tuple[ConsumerRecord, EnrichedArticle]],
        offsets: BatchOffsets,
        letters: list[OutboxLetter],
    ) -> None:
        # The enriched records go out as stored: with the version the ledger settled on.
        store_batch(
            self.engine,
            self.group,
            [item for _, item in pairs],
            offsets.to_store(),
            dead_letters=letters,
            before_commit=self._publish,
            bulk=self.bulk_store,
            assign_stories=self.stories.assign_articles if self.stories else None,
        )

    def _publish(self, articles: list[EnrichedArticle]) -> None:
        self._resolve(
            [
                self.producer.send(
                    self.enriched_topic,
                    key=a.article_id.encode(),
                    value=encode(a),
                    headers=headers_for(a),
                )
                for a in articles
            ]
        )

    def _resolve(self, futures: list[FutureRecordMetadata]) -> None:
        """A send counts only once the broker acknowledged it; raises the first failure."""
        if not futures:
            return
        self.producer.flush(timeout=self.send_timeout)
        for future in futures:
            future.get(timeout=self.send_timeout)
