"""Offset bookkeeping and backoff of the consumer loop, without a broker."""

from __future__ import annotations

from kafka import TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from pipeline.consume.backoff import Backoff
from pipeline.consume.offsets import BatchOffsets, in_order

T = "news.articles.cleaned.v1"


def record(
    partition: int,
    offset: int,
    value: bytes | None = b"{}",
    key: bytes | None = b"k",
    headers: list[tuple[str, bytes]] | None = None,
) -> ConsumerRecord:
    """A consumed record as kafka-python returns it (2025-11-28 07:00 UTC)."""
    return ConsumerRecord(
        T, partition, -1, offset, 1_764_313_200_000, 0, key, value, headers or [], None, -1, -1, -1
    )


def test_in_order_flattens_a_poll_by_partition_then_offset():
    polled = {
        TopicPartition(T, 2): [record(2, 7), record(2, 8)],
        TopicPartition(T, 0): [record(0, 3)],
    }
    assert [(r.partition, r.offset) for r in in_order(polled)] == [(0, 3), (2, 7), (2, 8)]


def test_batch_offsets_know_where_to_retry_and_what_to_commit():
    offsets = BatchOffsets.of([record(0, 5), record(1, 40), record(0, 6), record(0, 9)])
    assert offsets.first == {TopicPartition(T, 0): 5, TopicPartition(T, 1): 40}
    assert offsets.to_store() == {(T, 0): 10, (T, 1): 41}
    assert offsets.to_commit() == {
        TopicPartition(T, 0): OffsetAndMetadata(10, "", -1),
        TopicPartition(T, 1): OffsetAndMetadata(41, "", -1),
    }


def test_lag_counts_records_behind_the_highwater_once_the_broker_reported_it():
    offsets = BatchOffsets.of([record(0, 9), record(1, 40)])
    marks = {TopicPartition(T, 0): 15, TopicPartition(T, 1): 41}
    assert offsets.lag(marks.get) == 5
    assert offsets.lag({TopicPartition(T, 0): 15}.get) is None


def test_empty_batch_has_no_offsets():
    assert BatchOffsets.of([]).to_store() == {}


def test_backoff_doubles_up_to_the_cap_and_starts_over_after_a_success():
    backoff = Backoff(initial=1.0, maximum=8.0)
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, base in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert 0.8 * base <= delay <= 1.2 * base
    backoff.reset()
    assert backoff.next_delay() <= 1.2


def test_backoff_survives_a_very_long_outage():
    backoff = Backoff(initial=0.5, maximum=30.0)
    backoff.attempts = 100_000
    assert backoff.next_delay() <= 36.0
