"""Publishing with the broker away: a clear failure within the timeout, never a silent loss;
the retry after the broker is back puts every record in the warehouse once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from test_consume_run import read_topic, start_at_end
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from devtools.stub_enricher import StubEnricher
from pipeline.config import CLEANED_TOPIC
from pipeline.jobs import run_consumer
from pipeline.publish.producer import PublishError, make_producer, publish_cleaned, publish_records

pytestmark = pytest.mark.integration
COUNT = 200


def test_publish_fails_clearly_with_the_broker_down_and_a_retry_stores_each_record_once(
    stack, stack_manager, fresh_db, engine
):
    run = uuid.uuid4().hex[:10]
    source, group = f"publish-{run}", f"test-publish-{run}"
    start = start_at_end(stack, engine, group)
    records = [make_cleaned(n, run=run, source_id=source) for n in range(COUNT)]
    # A producer that knows the topic already, as in the middle of an ingestion task.
    running = make_producer(
        stack,
        client_id="test-publish",
        request_timeout_ms=2000,
        delivery_timeout_ms=4000,
        max_block_ms=4000,
    )
    running.partitions_for(CLEANED_TOPIC)

    stack_manager.down(["kafka"])
    try:
        with pytest.raises(PublishError) as expired:
            publish_records(running, records, timeout=8)
        with pytest.raises(PublishError) as unreachable:
            publish_cleaned(stack, records, timeout=5)
    finally:
        running.close(timeout=0)
        stack_manager.up(["kafka"])

    for failure, timeout in ((expired.value, "8s"), (unreachable.value, "5s")):
        message = str(failure)
        assert f"{COUNT} of {COUNT} records were not acknowledged" in message
        assert stack.kafka_bootstrap_servers in message and f"within {timeout}" in message
        assert failure.result.published == 0 and len(failure.result.failed) == COUNT
    assert "Timeout" in str(unreachable.value)

    result = publish_cleaned(stack, records, timeout=60)
    assert (result.published, result.failed) == (COUNT, [])
    stats = run_consumer(
        fresh_db, group=group, max_records=COUNT, idle_exit=30, enricher=StubEnricher()
    )

    assert (stats.consumed, stats.stored) == (COUNT, COUNT)
    with engine.connect() as conn:
        stored = (
            conn.execute(
                text("SELECT article_id FROM articles WHERE source_id = :s"), {"s": source}
            )
            .scalars()
            .all()
        )
        versions = conn.execute(text("SELECT count(*) FROM article_versions")).scalar_one()
    assert sorted(stored) == sorted(r.article_id for r in records) and versions == COUNT
    _, cleaned = read_topic(stack, CLEANED_TOPIC)
    ours = [r for r in cleaned if r.offset >= start[(CLEANED_TOPIC, r.partition)]]
    assert sorted(r.key.decode() for r in ours) == sorted(r.article_id for r in records)
