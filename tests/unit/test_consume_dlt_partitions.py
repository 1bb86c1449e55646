"""Where dead letters go on the DLT, without a broker."""

from __future__ import annotations

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaTimeoutError
from kafka.partitioner import DefaultPartitioner

from pipeline.config import Settings
from pipeline.consume import dlt_outbox
from pipeline.consume.dlt_outbox import dlt_partition_for


class Cluster:
    def topics(self):
        return {"t"}

    def partitions_for_topic(self, topic):
        return {0, 1, 2, 3, 4, 5}

    def available_partitions_for_topic(self, topic):
        return self.partitions_for_topic(topic)


def test_keyed_dead_letters_go_where_kafka_would_put_the_key():
    for n in range(50):
        key = f"article-{n}".encode()
        assert dlt_partition_for(key, 4, 6) == DefaultPartitioner().partition(
            "t", key, key, None, None, Cluster()
        )


def test_unkeyed_dead_letters_follow_their_source_partition():
    assert [dlt_partition_for(None, p, 3) for p in range(6)] == [0, 1, 2, 0, 1, 2]


class StaleReader:
    """A DLT reader whose metadata names a dead leader: every offsets request times out."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = False

    def partitions_for_topic(self, topic):
        return {0, 1, 2}

    def end_offsets(self, partitions):
        if self.fail:
            raise KafkaTimeoutError("Failed to get offsets by timestamps in 30000 ms")
        return {tp: 7 for tp in partitions}

    def close(self, autocommit=True):
        self.closed = True


def test_a_reader_that_timed_out_is_replaced_on_the_retry(monkeypatch):
    made = [StaleReader(fail=True), StaleReader(fail=False)]
    monkeypatch.setattr(dlt_outbox, "connect_consumer", lambda settings, client_id: made.pop(0))
    outbox = dlt_outbox.DeadLetterOutbox(
        Settings(), engine=None, producer=None, group="newsflow-enricher"
    )
    record = ConsumerRecord(
        topic="news.articles.cleaned",
        partition=1,
        leader_epoch=0,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"v",
        headers=[],
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        serialized_header_size=-1,
    )
    dead = [(record, "bad record", "decode")]
    with pytest.raises(KafkaTimeoutError):
        outbox.letters(dead)
    (letter,) = outbox.letters(dead)  # the retry: a new reader, fresh metadata
    assert letter.dlt_from_offset == 7
    assert made == []
