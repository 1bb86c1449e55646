"""The producer's settings and what counts as published, without a broker."""

from __future__ import annotations

import os
import signal

import pytest
from kafka.errors import KafkaConfigurationError, KafkaTimeoutError, NotLeaderForPartitionError
from kafka.record import default_records
from kafka.record import util as record_util
from test_warehouse_rows import cleaned

from pipeline.config import Settings
from pipeline.errors import TransientError
from pipeline.publish.producer import (
    PublishError,
    PublishInterrupted,
    crc32c_in_use,
    make_producer,
    publish_cleaned,
    publish_records,
)
from pipeline.records import encode

NOWHERE = Settings(kafka_bootstrap_servers="127.0.0.1:1")  # nothing listens on port 1


def test_kafka_python_checksums_batches_with_the_crc32c_extension():
    import crc32c

    assert crc32c_in_use()
    assert default_records.calc_crc32c.__defaults__[0] is crc32c.crc32c
    assert record_util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # CRC-32C check


def test_crc32c_check_notices_the_pure_python_fallback(monkeypatch):
    monkeypatch.setattr(
        default_records, "calc_crc32c", lambda data, _crc32c=record_util.crc32c_py: _crc32c(data)
    )
    assert not crc32c_in_use()


def test_producer_acknowledges_with_all_replicas_idempotently_and_compresses():
    producer = make_producer(NOWHERE, api_version=(3, 9))  # a known version: no bootstrap
    try:
        config = producer.config
        assert (config["acks"], config["enable_idempotence"]) == (-1, True)
        assert config["compression_type"] == "zstd"
        assert config["batch_size"] >= 64 * 1024 and config["linger_ms"] > 0
    finally:
        producer.close(timeout=0)


def test_a_setting_that_would_turn_idempotence_off_raises():
    with pytest.raises(KafkaConfigurationError, match="acks"):
        make_producer(NOWHERE, api_version=(3, 9), acks=1)


class Future:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get(self, timeout=None):
        if self.error:
            raise self.error
        return object()


class Producer:
    """Acknowledges every send except those of the given article ids."""

    config = {"bootstrap_servers": "broker:9092"}

    def __init__(
        self, failing: dict[str, Exception] | None = None, unreachable_after: int | None = None
    ) -> None:
        self.failing = failing or {}
        self.unreachable_after = unreachable_after
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, topic, key, value, headers):
        if self.unreachable_after is not None and len(self.sent) >= self.unreachable_after:
            raise KafkaTimeoutError("Failed to update metadata after 60.0 secs.")
        self.sent.append((topic, key, value))
        return Future(self.failing.get(key.decode()))

    def flush(self, timeout=None):
        pass


def test_every_acknowledged_record_counts_and_is_keyed_by_article_id():
    records = [cleaned(n) for n in range(3)]
    producer = Producer()
    result = publish_records(producer, records, topic="t")
    assert (result.published, result.failed) == (3, [])
    assert producer.sent == [("t", r.article_id.encode(), encode(r)) for r in records]


def test_one_unacknowledged_record_fails_the_publish_with_its_cause():
    records = [cleaned(n) for n in range(3)]
    producer = Producer(failing={records[1].article_id: NotLeaderForPartitionError("moved")})

    with pytest.raises(PublishError) as failure:
        publish_records(producer, records, topic="t", timeout=5)

    error = failure.value
    assert isinstance(error, TransientError)  # a task retry is the fix
    assert error.result.published == 2
    assert error.result.failed == [
        (records[1].article_id, "[Error 6] NotLeaderForPartitionError: moved")
    ]
    assert str(error).startswith(
        "1 of 3 records were not acknowledged by Kafka at broker:9092 "
        "(topic t) within 5s: [Error 6] NotLeaderForPartitionError"
    )


def test_records_that_cannot_even_be_sent_are_failures_too():
    records = [cleaned(n) for n in range(4)]
    with pytest.raises(PublishError) as failure:
        publish_records(Producer(unreachable_after=1), records)
    assert failure.value.result.published == 1
    assert [aid for aid, _ in failure.value.result.failed] == [r.article_id for r in records[1:]]


def test_publishing_to_an_unreachable_broker_fails_within_the_timeout():
    with pytest.raises(
        PublishError,
        match=r"1 of 1 records .* 127\.0\.0\.1:1 .* within 1s: "
        r"KafkaTimeoutError: Unable to bootstrap",
    ):
        publish_cleaned(NOWHERE, [cleaned()], timeout=1)


def test_publishing_nothing_needs_no_broker():
    assert publish_cleaned(NOWHERE, []).published == 0


class InterruptedProducer(Producer):
    """Ctrl-C arrives while the third record is handed over; every sent record is answered."""

    def send(self, topic, key, value, headers):
        if len(self.sent) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        future = super().send(topic, key, value, headers)
        future.is_done = True
        return future


def test_ctrl_c_while_publishing_stops_sending_and_reports_what_was_acknowledged():
    records = [cleaned(n) for n in range(5)]
    producer = InterruptedProducer()
    try:
        publish_records(producer, records, topic="t")
        stopped = None
    except KeyboardInterrupt as exc:
        stopped = exc

    assert isinstance(stopped, PublishInterrupted)
    # The record being handed over when Ctrl-C came is sent; the rest are not.
    assert len(producer.sent) == 3
    assert stopped.result.published == 3
    assert stopped.result.failed == [(r.article_id, "not sent: interrupted") for r in records[3:]]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
