"""Where reading resumes after a rebalance: at the offsets stored with the warehouse rows."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import cast

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Engine

from pipeline.warehouse.db import load_offsets

log = logging.getLogger(__name__)


class WarehousePositions(ConsumerRebalanceListener):
    """Seeks each newly assigned partition to the next offset stored in `consumer_offsets`.

    kafka-python 3 calls listeners on its I/O thread, the one that also sends heartbeats, so a
    database round trip there (or a database outage) would stall the whole group. The listener
    therefore only pauses new partitions; the poll loop calls `position_pending`, which reads
    the stored offsets, seeks and resumes. A paused partition yields no records, so nothing is
    read from the position Kafka picked in between. A partition with no stored offset keeps
    that position (the group's Kafka commit, else the earliest record). The stored offsets are
    committed to Kafka too, so lag tools catch up after a commit the broker missed.
    """

    def __init__(self, consumer: KafkaConsumer, engine: Engine, group: str, topic: str) -> None:
        self._consumer = consumer
        self._engine = engine
        self._group = group
        self._topic = topic
        self._pending: set[TopicPartition] = set()
        self._lock = threading.Lock()  # the listener runs on kafka's thread, the loop on ours

    def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        with self._lock:
            self._pending.difference_update(revoked)

    def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        if assigned:
            self._consumer.pause(*assigned)
            with self._lock:
                self._pending.update(assigned)

    def is_pending(self, tp: TopicPartition) -> bool:
        with self._lock:
            return tp in self._pending

    def position_pending(self) -> bool:
        """Seek and resume the partitions assigned since the last call; True when there were
        any (raises on a database error, leaving them paused for the next try)."""
        with self._lock:
            pending = set(self._pending)
        if not pending:
            return False
        stored = load_offsets(self._engine, self._group, self._topic)
        owned = self._consumer.assignment()
        ready = sorted(tp for tp in pending if tp in owned)
        for tp in ready:
            if tp.partition in stored:
                self._consumer.seek(tp, stored[tp.partition])
        self._consumer.resume(*ready)
        self.commit({tp: stored[tp.partition] for tp in ready if tp.partition in stored})
        with self._lock:
            self._pending.difference_update(pending)
        log.info(
            "assigned %s; resuming at stored offsets %s",
            [tp.partition for tp in ready],
            {tp.partition: stored[tp.partition] for tp in ready if tp.partition in stored},
        )
        return True

    def commit_positions(self) -> None:
        """Commit where reading stands on every positioned partition (on a clean exit, every
        record before it is in the warehouse)."""
        owned = [tp for tp in self._consumer.assignment() if not self.is_pending(tp)]
        try:
            # position() without a timeout waits for the position: its None is for a timed call.
            self.commit({tp: cast(int, self._consumer.position(tp)) for tp in owned})
        except KafkaError as exc:
            log.warning("could not read positions to commit them to Kafka: %s", exc)

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit offsets to Kafka, for lag tools; a failure is only logged."""
        if not offsets:
            return
        try:
            self._consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
            )
        except KafkaError as exc:
            # Only lag tools read these; reading resumes from the offsets in the warehouse.
            log.warning("could not commit offsets to Kafka (%s); the warehouse has them", exc)
