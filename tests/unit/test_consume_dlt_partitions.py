"""Where dead letters go on the DLT, without a broker."""

from __future__ import annotations

from kafka.partitioner import DefaultPartitioner

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
