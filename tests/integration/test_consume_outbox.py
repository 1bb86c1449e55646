"""The dead-letter outbox on the real broker and database: each dead letter reaches the DLT
once, also when a consumer dies between sending it and marking it sent."""

from __future__ import annotations

import uuid

import pytest
from kafka.consumer.fetcher import ConsumerRecord
from sqlalchemy import text
from test_consume_run import dead_letters_of
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
)

from pipeline.config import CLEANED_TOPIC
from pipeline.consume.dlt import send_dead_letter
from pipeline.consume.dlt_outbox import DeadLetterOutbox
from pipeline.publish.producer import make_producer
from pipeline.warehouse.db import store_batch

pytestmark = pytest.mark.integration


def poison(offset: int, key: bytes | None) -> ConsumerRecord:
    """A consumed record that cannot be decoded; the offsets are far beyond the real ones, as
    the outbox never reads the source topic."""
    return ConsumerRecord(
        CLEANED_TOPIC,
        1,
        -1,
        offset,
        0,
        0,
        key,
        b"{not json",
        [("content-type", b"application/json"), ("traceparent", b"dropped")],
        None,
        -1,
        -1,
        -1,
    )


@pytest.fixture
def producer(stack):
    producer = make_producer(stack, client_id="test-outbox")
    yield producer
    producer.close(timeout=10)


def outbox_rows(engine, group):
    with engine.connect() as conn:
        return conn.execute(
            text(
                'SELECT "offset", dlt_partition, dlt_offset, sent_at IS NOT NULL AS sent, stage, '
                "error, header_names FROM consumer_dead_letters WHERE group_id = :g "
                'ORDER BY "offset"'
            ),
            {"g": group},
        ).all()


def test_a_dead_letter_sent_just_before_a_crash_is_not_sent_again(
    stack, fresh_db, engine, producer
):
    group = f"test-outbox-{uuid.uuid4().hex[:10]}"
    base = 10**12
    dead = [
        (poison(base + n, key), "value is not UTF-8 JSON", "validate")
        for n, key in enumerate([b"k-0", None, b"k-2"])
    ]
    first = DeadLetterOutbox(fresh_db, engine=engine, producer=producer, group=group)
    letters = first.letters(dead)
    store_batch(engine, group, [], {(CLEANED_TOPIC, 1): base + 3}, dead_letters=letters)
    # The first consumer sent one letter, then died before marking it sent.
    crashed = send_dead_letter(
        producer,
        letters[1],
        letters[1].error,
        letters[1].stage,
        group,
        partition=letters[1].dlt_partition,
    ).get(timeout=30)
    first.close()

    successor = DeadLetterOutbox(fresh_db, engine=engine, producer=producer, group=group)
    try:
        assert successor.drain() == 3
        assert successor.drain() == 0
        successor.unsent = True
        assert successor.drain() == 0  # nothing left in the warehouse either
    finally:
        successor.close()

    on_topic = dead_letters_of(stack, group)
    assert sorted(int(dict(r.headers)["source.offset"]) for r in on_topic) == [
        base,
        base + 1,
        base + 2,
    ]
    rows = outbox_rows(engine, group)
    assert all(row.sent for row in rows)
    assert rows[1].dlt_offset == crashed.offset and rows[1].dlt_partition == crashed.partition
    assert {(r.partition, r.offset) for r in on_topic} == {
        (row.dlt_partition, row.dlt_offset) for row in rows
    }
    assert [row.header_names for row in rows] == [["content-type"]] * 3
    for record in on_topic:
        headers = dict(record.headers)
        assert record.value == b"{not json"
        assert headers["error"] == b"value is not UTF-8 JSON"
        assert headers["stage"] == b"validate" and "traceparent" not in headers


def test_a_batch_stored_again_keeps_its_first_dead_letters(stack, fresh_db, engine, producer):
    group = f"test-outbox-{uuid.uuid4().hex[:10]}"
    outbox = DeadLetterOutbox(fresh_db, engine=engine, producer=producer, group=group)
    try:
        letters = outbox.letters([(poison(10**12, b"k"), "first error", "validate")])
        store_batch(engine, group, [], {}, dead_letters=letters)
        assert outbox.drain() == 1
        again = outbox.letters([(poison(10**12, b"k"), "second error", "enrich")])
        store_batch(engine, group, [], {}, dead_letters=again)
        outbox.unsent = True
        assert outbox.drain() == 0
    finally:
        outbox.close()
    [row] = outbox_rows(engine, group)
    assert (row.stage, row.error, row.sent) == ("validate", "first error", True)
    assert len(dead_letters_of(stack, group)) == 1
