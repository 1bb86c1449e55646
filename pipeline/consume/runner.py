"""The enricher service (`newsflow consume`): a poll loop around `BatchHandler`.

The job that runs it (pipeline/jobs/consume.py) hands it the warehouse engine, the producer
and the enricher; the loop owns its Kafka consumer and the dead-letter outbox.

Reading resumes at the offsets stored in the warehouse (`WarehousePositions`), not at Kafka's
commits; those are still written after each batch, on assignment and on exit, for lag tools.
Infrastructure failures (database or broker down) are retried with backoff from the batch's
first offsets, forever; anything else is a bug and stops the process. Dead letters recorded
with a batch are sent to the DLT after its commit (`DeadLetterOutbox`), and on exit.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from pipeline.config import CLEANED_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.consume.backoff import Backoff
from pipeline.consume.batch import BatchHandler
from pipeline.consume.clients import connect_consumer
from pipeline.consume.dlt_outbox import DeadLetterOutbox
from pipeline.consume.metrics import EnricherMetrics
from pipeline.consume.offsets import BatchOffsets, in_order
from pipeline.consume.positions import WarehousePositions
from pipeline.enrich.port import ArticleEnricher
from pipeline.errors import TransientError
from pipeline.warehouse.stories import WarehouseStoryIndex

log = logging.getLogger(__name__)

BATCH_SIZE = 500
POLL_TIMEOUT_MS = 1000  # also how long a stop request may wait


@dataclass
class ConsumeStats:
    consumed: int = 0
    stored: int = 0
    dead_lettered: int = 0
    batches: int = 0
    retries: int = 0


def is_transient(exc: Exception) -> bool:
    """Worth retrying: the database or the broker is unreachable or restarting."""
    if isinstance(exc, OperationalError | InterfaceError | TransientError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated
    return isinstance(exc, KafkaError) and exc.retriable


def consumer_client_id(group: str, pid: int | None = None) -> str:
    """The pid lets `newsflow stack status` tell the stack's enricher from others in the group."""
    return f"newsflow-consume-{group}-pid-{pid or os.getpid()}"


def consume_cleaned(
    settings: Settings,
    *,
    engine: Engine,
    producer: KafkaProducer,
    enricher: ArticleEnricher,
    group: str,
    client_id: str,
    max_records: int | None = None,
    idle_exit: float | None = None,
    stop_event: threading.Event | None = None,
    install_signal_handlers: bool = False,
    metrics: EnricherMetrics | None = None,
    topic: str = CLEANED_TOPIC,
    enriched_topic: str = ENRICHED_TOPIC,
) -> ConsumeStats:
    """Consume the cleaned topic until stopped, `max_records` records were handled, or no
    record came for `idle_exit` seconds; store into `engine`'s warehouse, publish enriched
    records and dead letters with `producer` (the caller closes both).

    `group` names both the Kafka consumer group and the offsets' owner in the warehouse.
    Stopping (`stop_event`, or SIGTERM/SIGINT with `install_signal_handlers`, for the CLI)
    lets the current batch finish. `metrics`, when given, are updated after each batch and
    each poll, in this thread. `topic` and `enriched_topic` are other topics than the
    cleaned and enriched ones only for benchmarks.
    """
    stop = stop_event or threading.Event()
    with ExitStack() as cleanup:  # unwinds in reverse: signals, outbox, consumer
        consumer = connect_consumer(
            settings,
            client_id,
            group_id=group,
            auto_offset_reset="earliest",
            max_poll_records=BATCH_SIZE,
            session_timeout_ms=int(settings.consumer_session_timeout_seconds * 1000),
            heartbeat_interval_ms=int(settings.consumer_session_timeout_seconds * 1000 / 5),
        )
        cleanup.callback(consumer.close, autocommit=False)
        positions = WarehousePositions(consumer, engine, group, topic)
        consumer.subscribe([topic], listener=positions)
        outbox = DeadLetterOutbox(settings, engine=engine, producer=producer, group=group)
        cleanup.callback(outbox.close)
        handler = BatchHandler(
            engine=engine,
            producer=producer,
            enricher=enricher,
            group=group,
            outbox=outbox,
            enriched_topic=enriched_topic,
            bulk_store=settings.store_path == "copy",
            stories=WarehouseStoryIndex(engine),
        )
        if install_signal_handlers:
            cleanup.callback(_stop_on_signals(stop))
        served = f"; metrics on port {metrics.port}" if metrics and metrics.port else ""
        log.info("consuming %s as group %s%s", topic, group, served)
        return _loop(consumer, positions, handler, stop, max_records, idle_exit, metrics)


def _loop(
    consumer: KafkaConsumer,
    positions: WarehousePositions,
    handler: BatchHandler,
    stop: threading.Event,
    max_records: int | None,
    idle_exit: float | None,
    metrics: EnricherMetrics | None = None,
) -> ConsumeStats:
    stats = ConsumeStats()
    backoff = Backoff()
    idle_since = time.monotonic()
    while not stop.is_set() and (max_records is None or stats.consumed < max_records):
        records: list[ConsumerRecord] = []
        try:
            if positions.position_pending():
                # A rebalance: a member that left may have left dead letters unsent.
                handler.outbox.unsent = True
            handler.outbox.drain()  # a no-op unless a batch (or an earlier process) left some
            wanted = (
                BATCH_SIZE if max_records is None else min(BATCH_SIZE, max_records - stats.consumed)
            )
            records = in_order(consumer.poll(timeout_ms=POLL_TIMEOUT_MS, max_records=wanted))
            if metrics is not None and not records:
                _refresh_lag(metrics, consumer, positions)
            if not records:
                if idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                    log.info("no records for %.0fs: stopping", idle_exit)
                    break
                continue
            offsets = BatchOffsets.of(records)
            outcome = handler.handle(records, offsets)
        except (DBAPIError, KafkaError, TransientError) as exc:
            if not is_transient(exc):
                raise
            stats.retries += 1
            delay = backoff.next_delay()
            # A DBAPIError's own text repeats the SQL statement; the driver's message is enough.
            reason = exc.orig if isinstance(exc, DBAPIError) else exc
            log.warning(
                "%s: %s; retrying%s in %.1fs",
                type(exc).__name__,
                str(reason).strip(),
                " the batch" if records else "",
                delay,
            )
            _rewind(consumer, positions, records)
            stop.wait(delay)
            continue
        positions.commit(offsets.next)
        backoff.reset()
        idle_since = time.monotonic()
        stats.consumed += len(records)
        stats.stored += outcome.stored
        stats.dead_lettered += outcome.dead_lettered
        stats.batches += 1
        if metrics is not None:
            metrics.enriched(outcome.enriched, outcome.enrich_seconds)
            metrics.batch_done(
                consumed=len(records),
                stored=outcome.stored,
                near_duplicates=outcome.near_duplicates,
                causes=outcome.causes,
                store_seconds=outcome.store_seconds,
            )
            _refresh_lag(metrics, consumer, positions)
        log.info(
            "batch %d: %d records, %d stored, %d dead-lettered, lag %s",
            stats.batches,
            len(records),
            outcome.stored,
            outcome.dead_lettered,
            offsets.lag(consumer.highwater),
        )
    if stop.is_set():
        log.info("stop requested: exiting after %d batches", stats.batches)
    _finish(positions, handler.outbox)
    return stats


def _refresh_lag(
    metrics: EnricherMetrics, consumer: KafkaConsumer, positions: WarehousePositions
) -> None:
    """Partitions whose warehouse position is not set yet have no lag worth showing."""
    pending = [tp for tp in consumer.assignment() if positions.is_pending(tp)]
    metrics.refresh_lag(consumer, skip=pending)


def _finish(positions: WarehousePositions, outbox: DeadLetterOutbox) -> None:
    """Best effort on the way out: what fails here is done by the next consumer of the group."""
    try:
        outbox.drain()
    except (DBAPIError, KafkaError, TransientError) as exc:
        log.warning(
            "dead letters stay in the warehouse for the group's next consumer to send: %s", exc
        )
    positions.commit_positions()


def _rewind(
    consumer: KafkaConsumer, positions: WarehousePositions, records: list[ConsumerRecord]
) -> None:
    """Seek back to the failed batch's first offsets, so the retry skips nothing. Partitions
    lost meanwhile are their new owner's; newly assigned ones get the warehouse's offsets."""
    owned = consumer.assignment()
    for tp, offset in BatchOffsets.of(records).first.items():
        if tp in owned and not positions.is_pending(tp):
            consumer.seek(tp, offset)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT ask the loop to stop after the current batch; returns an undo."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: stop.set())

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
