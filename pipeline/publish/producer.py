"""Publishing records: the project's producer settings, and sends that count only once the
broker acknowledged them.

`publish_cleaned` is what an ingestion task calls: it either returns with every record
acknowledged (`acks=all`) or raises `PublishError` naming how many records failed and why, so
the task fails and its retry publishes again. A retry may put a record on the topic twice; the
consumer stores each article version once, so the warehouse does not change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError
from kafka.record import default_records
from kafka.record import util as record_util

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.errors import TransientError
from pipeline.interrupt import deferred_interrupt
from pipeline.kafka_security import make_client
from pipeline.publish.topics import MAX_MESSAGE_BYTES
from pipeline.records import CleanedArticle, encode, headers_for

log = logging.getLogger(__name__)

# Measured with `newsflow bench delivery` (3 KB records): bigger batches compress better and
# cost fewer requests; 10 ms of linger fills them without adding noticeable latency.
BATCH_BYTES = 256 * 1024
LINGER_MS = 10
# The codec, chosen with `newsflow bench delivery` (3 KB records, every codec in one run):
# zstd compresses these records as well as gzip (about 5×) and published 10,600 to 12,000
# records/s against gzip's 2,600 to 4,200; lz4 compresses them 3× and its rate swung from
# 6,000 to 13,500 between runs; kafka-python's gzip runs at level 9, with no setting to lower
# it. Every topic the project writes is zstd-compressed, so a consumer needs
# the zstandard package (kafka-python[zstd]); schemas/README.md says so. The setting
# NEWSFLOW_KAFKA_COMPRESSION (default this one) lets the benchmarks run the old codec.
COMPRESSION = "zstd"
REQUEST_TIMEOUT_MS = 30_000
DELIVERY_TIMEOUT_MS = 120_000
# After Ctrl-C, how long the records already handed to the producer get to be acknowledged
# before they are reported as not acknowledged.
INTERRUPT_GRACE_SECONDS = 2.0
NOT_SENT = "not sent: interrupted"
NOT_ACKNOWLEDGED = "interrupted before Kafka acknowledged it"


def crc32c_in_use() -> bool:
    """True when kafka-python checksums record batches with the `crc32c` C extension.

    kafka-python imports `crc32c` in `kafka.record.util` when it is installed and binds it as
    the default of `calc_crc32c`, which `default_records` imported by name; without it every
    batch is checksummed in pure Python, which caps a producer at a few MB/s.
    """
    # Implementation details the kafka-python stubs do not declare.
    c_impl = record_util.crc32c_c  # type: ignore[attr-defined]
    calc = default_records.calc_crc32c  # type: ignore[attr-defined]
    return c_impl is not None and (getattr(calc, "__defaults__", None) or (None,))[0] is c_impl


def make_producer(settings: Settings, **overrides: object) -> KafkaProducer:
    config: dict[str, Any] = {  # KafkaProducer's keyword arguments
        "client_id": "newsflow-publisher",
        "acks": "all",
        # Explicit, so a conflicting setting (acks=1, retries=0) raises instead of silently
        # turning idempotence off.
        "enable_idempotence": True,
        "compression_type": settings.kafka_compression,
        "batch_size": BATCH_BYTES,
        "linger_ms": LINGER_MS,
        "max_in_flight_requests_per_connection": 5,
        "request_timeout_ms": REQUEST_TIMEOUT_MS,
        "delivery_timeout_ms": DELIVERY_TIMEOUT_MS,
        "max_request_size": MAX_MESSAGE_BYTES,
    }
    config.update(overrides)
    if not crc32c_in_use():
        log.warning(
            "kafka-python computes CRC-32C in pure Python; install the crc32c package "
            "(kafka-python[crc32c]) for full throughput"
        )
    producer: KafkaProducer = make_client(KafkaProducer, settings, **config)
    return producer


@dataclass
class PublishResult:
    topic: str
    published: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (article_id, error)


class PublishError(TransientError):
    """Some records were not acknowledged; `result` says which and why."""

    def __init__(self, result: PublishResult, servers: str, timeout: float) -> None:
        total = result.published + len(result.failed)
        cause = result.failed[0][1] if result.failed else "unknown"
        hint = (
            "Kafka denied this user the topic: check NEWSFLOW_KAFKA_SASL_USERNAME and its ACLs"
            if "AuthorizationFailed" in cause
            else "Is the broker up (`newsflow stack status`)? Retrying is safe: the warehouse "
            "stores each article version once"
        )
        super().__init__(
            f"{len(result.failed)} of {total} records were not acknowledged by Kafka at "
            f"{servers} (topic {result.topic}) within {timeout:g}s: {cause}. {hint}"
        )
        self.result = result


class PublishInterrupted(KeyboardInterrupt):
    """Ctrl-C while publishing: the records handed to the producer were flushed, and `result`
    says which Kafka acknowledged; the others (and those never sent) are in `result.failed`."""

    def __init__(self, result: PublishResult) -> None:
        super().__init__(
            f"interrupted: {result.published} records acknowledged, {len(result.failed)} not"
        )
        self.result = result


def _cause(exc: KafkaError) -> str:
    name, text = type(exc).__name__, str(exc)
    return text if name in text else f"{name}: {text}".rstrip(": ")


def publish_records(
    producer: KafkaProducer,
    records: Iterable[CleanedArticle],
    topic: str = CLEANED_TOPIC,
    timeout: float = 60.0,
) -> PublishResult:
    """Send every record keyed by article_id and wait for each acknowledgement; raises
    PublishError when any record is not acknowledged within `timeout` seconds.

    Ctrl-C stops the sending, gives the records already sent INTERRUPT_GRACE_SECONDS to be
    acknowledged and raises PublishInterrupted saying which were: nothing is left in flight
    unaccounted for.
    """
    deadline = time.monotonic() + timeout
    result = PublishResult(topic)
    futures = []
    pending = iter(records)
    with deferred_interrupt() as interrupted:
        for record in pending:
            if interrupted.is_set():
                result.failed.extend((r.article_id, NOT_SENT) for r in (record, *pending))
                break
            try:
                futures.append(
                    (
                        record.article_id,
                        producer.send(
                            topic,
                            key=record.article_id.encode(),
                            value=encode(record),
                            headers=headers_for(record),
                        ),
                    )
                )
            except KafkaError as exc:  # no metadata within max_block_ms: the broker is away
                result.failed.append((record.article_id, _cause(exc)))
                result.failed.extend((rest.article_id, _cause(exc)) for rest in pending)
        if not _flush(producer, deadline, interrupted):
            log.warning("not every record was acknowledged within %gs", timeout)
    for article_id, future in futures:
        if interrupted.is_set() and not getattr(future, "is_done", True):
            result.failed.append((article_id, NOT_ACKNOWLEDGED))
            continue
        try:
            future.get(timeout=max(0.0, deadline - time.monotonic()))
            result.published += 1
        except KafkaError as exc:
            result.failed.append((article_id, _cause(exc)))
    if interrupted.is_set():
        raise PublishInterrupted(result)
    if result.failed:
        log.error(
            "publishing to %s: %d records failed, first %s: %s",
            topic,
            len(result.failed),
            *result.failed[0],
        )
        raise PublishError(result, producer.config["bootstrap_servers"], timeout)
    return result


def _flush(producer: KafkaProducer, deadline: float, interrupted: threading.Event) -> bool:
    """Wait for the sent records until `deadline`, or for INTERRUPT_GRACE_SECONDS more once
    `interrupted` is set; whether every record was answered. In short waits, because Ctrl-C
    only sets the event."""
    while (left := deadline - time.monotonic()) > 0:
        try:
            producer.flush(timeout=min(left, 0.25))
            return True
        except KafkaTimeoutError:
            pass
        if interrupted.is_set():
            deadline = min(deadline, time.monotonic() + INTERRUPT_GRACE_SECONDS)
    return False


def publish_cleaned(
    settings: Settings,
    records: Iterable[CleanedArticle],
    *,
    topic: str = CLEANED_TOPIC,
    timeout: float = 60.0,
) -> PublishResult:
    """Publish with a producer of its own; every Kafka wait is bounded by `timeout` seconds,
    so a missing broker fails the call (PublishError) instead of hanging the task."""
    records = list(records)
    if not records:
        return PublishResult(topic)
    timeout_ms = int(timeout * 1000)
    request_ms = min(REQUEST_TIMEOUT_MS, max(1000, timeout_ms // 2))
    try:
        producer = make_producer(
            settings,
            bootstrap_timeout_ms=timeout_ms,
            max_block_ms=timeout_ms,
            request_timeout_ms=request_ms,
            # Unacknowledged batches expire inside our wait, so every future has resolved
            # (one way or the other) when we report, and close() has nothing left to send.
            delivery_timeout_ms=max(LINGER_MS + request_ms + 1, timeout_ms - 1000),
        )
    except KafkaError as exc:
        result = PublishResult(topic, failed=[(r.article_id, _cause(exc)) for r in records])
        raise PublishError(result, settings.kafka_bootstrap_servers, timeout) from exc
    close_within = 5.0
    try:
        return publish_records(producer, records, topic=topic, timeout=timeout)
    except PublishInterrupted:
        close_within = 0.0  # the grace is over: what is not acknowledged was reported so
        raise
    finally:
        try:
            producer.close(timeout=close_within)
        except KafkaTimeoutError:
            log.warning(
                "the producer closed with records still unresolved; they were reported as failed"
            )
