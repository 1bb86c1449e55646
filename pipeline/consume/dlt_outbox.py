"""Dead letters exactly once on the dead-letter topic: recorded with the batch, sent after.

Sending a dead letter before the batch's transaction commits (the obvious order) puts it on
the DLT again whenever the batch is retried or the consumer dies before the commit. Instead:

1. `letters()` turns the batch's poison records into outbox rows; `store_batch` writes them in
   the transaction that moves the offsets past those records, so a row exists exactly when the
   record will never be read again by this group;
2. `drain()` sends the group's unsent rows and marks them sent, in one transaction that holds
   their row locks (so two consumers never both send one);
3. a consumer killed between sending and marking leaves the row unsent. Each row knows its DLT
   partition and that partition's end offset from before the row existed, so the next drain
   first reads the DLT from there and marks the copies it finds instead of sending them again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.partitioner import murmur2
from sqlalchemy import Engine

from pipeline.config import DLT_TOPIC, Settings
from pipeline.consume.clients import connect_consumer
from pipeline.consume.dlt import COPIED_HEADERS, read_range, send_dead_letter
from pipeline.errors import TransientError
from pipeline.warehouse.outbox import DRAIN_LIMIT, LetterId, OutboxLetter, drain

log = logging.getLogger(__name__)

DeadLetter = tuple[ConsumerRecord, str, str]  # record, error, stage


def dlt_partition_for(key: bytes | None, source_partition: int, partitions: int) -> int:
    """Kafka's default partitioning of keyed records (murmur2), so one key's dead letters stay
    in order; a record without a key goes with its source partition."""
    if key is None:
        return source_partition % partitions
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def _letter_id(record: ConsumerRecord) -> LetterId | None:
    headers = {name: value for name, value in record.headers or ()}
    try:
        return (
            headers["source.topic"].decode(),
            int(headers["source.partition"]),
            int(headers["source.offset"]),
        )
    except (KeyError, ValueError, UnicodeDecodeError):
        return None  # not written by a newsflow consumer


class DeadLetterOutbox:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        producer: KafkaProducer,
        group: str,
        send_timeout: float = 60.0,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.producer = producer
        self.group = group
        self.send_timeout = send_timeout
        self.unsent = True  # unknown at start: a consumer before us may have left some
        self._reader: KafkaConsumer | None = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close(autocommit=False)

    @contextmanager
    def _dlt_reader(self) -> Iterator[KafkaConsumer]:
        """A consumer without a group, for the DLT's offsets and records; made on first use.

        A reader that failed is dropped, so the batch's retry starts from a fresh bootstrap.
        kafka-python keeps asking a dead partition leader for offsets until its metadata
        expires (`metadata.max.age.ms`, 5 minutes) when nothing else marks that metadata
        stale, and this reader has no group whose rebalance would.
        """
        if self._reader is None:
            self._reader = connect_consumer(self.settings, f"newsflow-dlt-outbox-{self.group}")
        try:
            yield self._reader
        except KafkaError:
            reader, self._reader = self._reader, None
            try:
                reader.close(autocommit=False)
            except KafkaError as exc:  # closing a broken client is best effort
                log.debug("closing the DLT reader failed: %s", exc)
            raise

    def letters(self, dead: Sequence[DeadLetter]) -> list[OutboxLetter]:
        """Outbox rows for the batch's dead letters, each with its DLT partition and that
        partition's current end offset."""
        if not dead:
            return []
        with self._dlt_reader() as reader:
            partitions = len(reader.partitions_for_topic(DLT_TOPIC) or ())
            if not partitions:
                raise TransientError(
                    f"{DLT_TOPIC} has no partitions (or Kafka is not answering); "
                    "create the topics with `newsflow topics --ensure`"
                )
            targets = [
                dlt_partition_for(record.key, record.partition, partitions) for record, _, _ in dead
            ]
            ends = reader.end_offsets([TopicPartition(DLT_TOPIC, p) for p in set(targets)])
        letters = []
        for (record, error, stage), target in zip(dead, targets, strict=True):
            letters.append(
                OutboxLetter(
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                    value=record.value,
                    headers=[(k, v) for k, v in record.headers or () if k in COPIED_HEADERS],
                    stage=stage,
                    error=error,
                    dlt_partition=target,
                    dlt_from_offset=ends[TopicPartition(DLT_TOPIC, target)],
                )
            )
        return letters

    def drain(self) -> int:
        """Send what this group still owes the DLT; returns how many were marked sent. Rows
        another consumer of the group is draining are left to it."""
        if not self.unsent:
            return 0
        total = 0
        while True:
            marked = drain(self.engine, self.group, self._send, DRAIN_LIMIT)
            total += marked
            if marked < DRAIN_LIMIT:
                break
        self.unsent = False
        if total:
            log.info("sent %d dead letters to %s", total, DLT_TOPIC)
        return total

    def _send(self, letters: list[OutboxLetter]) -> dict[LetterId, int]:
        sent = self._already_on_topic(letters)
        if sent:
            log.info(
                "%d dead letters were on %s already (sent before a crash); not resending",
                len(sent),
                DLT_TOPIC,
            )
        futures = []
        for letter in letters:
            if letter.id in sent:
                continue
            log.warning(
                "dead-lettering %s[%d]@%d at stage %s: %s",
                letter.topic,
                letter.partition,
                letter.offset,
                letter.stage,
                letter.error,
            )
            futures.append(
                (
                    letter.id,
                    send_dead_letter(
                        self.producer,
                        letter,
                        letter.error,
                        letter.stage,
                        self.group,
                        partition=letter.dlt_partition,
                    ),
                )
            )
        if futures:
            self.producer.flush(timeout=self.send_timeout)
            for letter_id, future in futures:
                sent[letter_id] = future.get(timeout=self.send_timeout).offset
        return sent

    def _already_on_topic(self, letters: list[OutboxLetter]) -> dict[LetterId, int]:
        """Copies of these letters on the DLT (letter id → DLT offset), read from the lowest
        offset any of them could be at."""
        start: dict[TopicPartition, int] = {}
        for letter in letters:
            tp = TopicPartition(DLT_TOPIC, letter.dlt_partition)
            start[tp] = min(start.get(tp, letter.dlt_from_offset), letter.dlt_from_offset)
        wanted = {letter.id for letter in letters}
        group = self.group.encode()
        found: dict[LetterId, int] = {}
        with self._dlt_reader() as reader:
            end = reader.end_offsets(list(start))
            begin = reader.beginning_offsets(list(start))
            start = {tp: max(offset, begin[tp]) for tp, offset in start.items() if offset < end[tp]}
            if not start:
                return {}
            reader.assign(list(start))
            for batch in read_range(reader, start, end):
                for record in batch:
                    letter_id = _letter_id(record)
                    if (
                        letter_id in wanted
                        and letter_id not in found
                        and dict(record.headers or ()).get("consumer.group") == group
                    ):
                        found[letter_id] = record.offset
        return found
