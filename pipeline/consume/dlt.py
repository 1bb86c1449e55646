"""The dead-letter topic: what goes on it, how to read it, how to send records back.

A dead letter is the original message (key and value bytes untouched) plus headers saying what
went wrong, at which stage, and where the record came from. The consumer sends them through
its outbox (`dlt_outbox.py`), so each is on the topic once. `replay` re-publishes the original
bytes to the cleaned topic once the cause is fixed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.producer.future import FutureRecordMetadata

from pipeline.config import CLEANED_TOPIC, DLT_REPLAY_GROUP, DLT_TOPIC, Settings
from pipeline.consume.clients import connect_consumer, connect_producer
from pipeline.consume.offsets import BatchOffsets, RecordLike
from pipeline.errors import TransientError
from pipeline.progress import LogMeter, Meter

log = logging.getLogger(__name__)

REPLAY_GROUP = DLT_REPLAY_GROUP
COPIED_HEADERS = ("schema", "content-type")
MAX_ERROR_CHARS = 2000  # a header is metadata; the full story belongs in the consumer's log
READ_TIMEOUT_S = 60.0


class SourceRecord(RecordLike, Protocol):
    """What a dead letter needs of the consumed record (kafka's ConsumerRecord fits)."""

    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]] | None: ...


def dead_letter_headers(
    record: SourceRecord, error: str, stage: str, group: str
) -> list[tuple[str, bytes]]:
    headers = [
        ("error", error[:MAX_ERROR_CHARS].encode("utf-8")),
        ("stage", stage.encode()),
        ("consumer.group", group.encode()),
        ("source.topic", record.topic.encode()),
        ("source.partition", str(record.partition).encode()),
        ("source.offset", str(record.offset).encode()),
    ]
    headers.extend((k, v) for k, v in record.headers or () if k in COPIED_HEADERS)
    return headers


def send_dead_letter(
    producer: KafkaProducer,
    record: SourceRecord,
    error: str,
    stage: str,
    group: str,
    partition: int | None = None,
) -> FutureRecordMetadata:
    # Kafka refuses a message with neither key nor value; such a record keeps an empty value.
    value = record.value if record.value is not None or record.key is not None else b""
    return producer.send(
        DLT_TOPIC,
        key=record.key,
        value=value,
        partition=partition,
        headers=dead_letter_headers(record, error, stage, group),
    )


def _text(data: bytes | None, limit: int | None = None) -> str | None:
    if data is None:
        return None
    return data[:limit].decode("utf-8", errors="replace")


def describe(record: ConsumerRecord) -> dict[str, Any]:
    """One dead letter as a JSON-ready dict (what `newsflow dlt list` prints)."""
    headers = {k: _text(v) for k, v in record.headers or ()}
    partition, offset = headers.get("source.partition"), headers.get("source.offset")
    return {
        "partition": record.partition,
        "offset": record.offset,
        "dead_lettered_at": datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(),
        "key": _text(record.key),
        "error": headers.get("error"),
        "stage": headers.get("stage"),
        "source_topic": headers.get("source.topic"),
        "source_partition": int(partition) if partition else None,
        "source_offset": int(offset) if offset else None,
        "value_preview": _text(record.value, 200),
    }


def read_range(
    consumer: KafkaConsumer, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> Iterator[list[ConsumerRecord]]:
    """Batches of the records in [start, end) of each assigned partition, in offset order."""
    for tp, offset in start.items():
        consumer.seek(tp, offset)
    deadline = time.monotonic() + READ_TIMEOUT_S
    # position() without a timeout waits for the position: its None is for a timed call.
    while any(cast(int, consumer.position(tp)) < end[tp] for tp in start):
        if time.monotonic() > deadline:
            raise TransientError(f"timed out reading {DLT_TOPIC}; is Kafka healthy?")
        polled = consumer.poll(timeout_ms=1000)
        batch = [r for tp, records in sorted(polled.items()) for r in records if r.offset < end[tp]]
        if batch:
            deadline = time.monotonic() + READ_TIMEOUT_S
            yield batch


def _assign_all(consumer: KafkaConsumer) -> list[TopicPartition]:
    partitions = consumer.partitions_for_topic(DLT_TOPIC) or set()
    tps = [TopicPartition(DLT_TOPIC, p) for p in sorted(partitions)]
    consumer.assign(tps)
    return tps


def list_dead_letters(settings: Settings, limit: int = 50) -> list[dict[str, Any]]:
    """The `limit` most recent dead letters, oldest first."""
    consumer = connect_consumer(settings, "newsflow-dlt-list")
    try:
        tps = _assign_all(consumer)
        if not tps:
            return []
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        # The newest `limit` of each partition are enough to find the newest `limit` overall.
        start = {tp: max(begin[tp], end[tp] - limit) for tp in tps}
        records = [r for batch in read_range(consumer, start, end) for r in batch]
    finally:
        consumer.close()
    records.sort(key=lambda r: (r.timestamp, r.partition, r.offset))
    return [describe(r) for r in records[-limit:]] if limit > 0 else []


def replay(settings: Settings, meter: Meter | None = None) -> int:
    """Re-publish dead letters to the cleaned topic with their original key, value and schema
    headers; returns how many. Progress is committed as consumer group `newsflow-dlt-replay`,
    so each dead letter is replayed once. Records dead-lettered again while this runs wait for
    the next replay (the end offsets are taken at the start). Run one replay at a time.
    `meter` hears each batch (default: plain log lines).
    """
    own = meter is None
    meter = LogMeter(log) if meter is None else meter
    replayed = 0
    with ExitStack() as cleanup:
        consumer = connect_consumer(
            settings, REPLAY_GROUP, group_id=REPLAY_GROUP, auto_offset_reset="earliest"
        )
        cleanup.callback(consumer.close, autocommit=False)
        producer = connect_producer(settings, REPLAY_GROUP)
        cleanup.callback(producer.close, timeout=10)
        tps = _assign_all(consumer)
        if not tps:
            return 0
        end = consumer.end_offsets(tps)
        # Committed by the last replay; position() without a timeout waits for it (not None).
        start = {tp: cast(int, consumer.position(tp)) for tp in tps}
        meter.start(sum(end[tp] - start[tp] for tp in tps), "dlt replay", "records")
        for batch in read_range(consumer, start, end):
            futures = [
                producer.send(
                    CLEANED_TOPIC,
                    key=r.key,
                    value=r.value,
                    headers=[(k, v) for k, v in r.headers or () if k in COPIED_HEADERS],
                )
                for r in batch
            ]
            producer.flush(timeout=READ_TIMEOUT_S)
            for future in futures:
                future.get(timeout=READ_TIMEOUT_S)
            # Committed only once every send of the batch resolved: nothing is lost, and a
            # failure repeats at most this batch.
            consumer.commit(BatchOffsets.of(batch).to_commit())
            replayed += len(batch)
            meter.advance(len(batch))
    if own:
        meter.done(f"replayed {replayed} records to {CLEANED_TOPIC}")
    return replayed
