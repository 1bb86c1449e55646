"""examples/enriched_consumer.py against the real stack: a downstream service with its own
group reads what the enricher published, validates it against the JSON Schema, and skips
invalid records and duplicates."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from test_consume_run import message_of, publish, read_topic, start_at_end
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from devtools.stub_enricher import StubEnricher
from pipeline.config import ENRICHED_TOPIC, Settings
from pipeline.jobs import run_consumer
from pipeline.publish.producer import make_producer
from pipeline.records import encode

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "enriched_consumer.py"


def group_offsets(settings: Settings, group: str, commit_end: bool = False) -> dict[int, int]:
    """The group's committed offsets on the enriched topic; with commit_end, first make it
    start at the current end (the topic is shared with other tests)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        tps = [
            TopicPartition(ENRICHED_TOPIC, p)
            for p in sorted(consumer.partitions_for_topic(ENRICHED_TOPIC))
        ]
        if commit_end:
            consumer.commit(
                {tp: OffsetAndMetadata(o, "", -1) for tp, o in consumer.end_offsets(tps).items()}
            )
        return {tp.partition: consumer.committed(tp) for tp in tps}
    finally:
        consumer.close(autocommit=False)


def run_example(settings: Settings, group: str) -> list[dict]:
    out = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--bootstrap-servers",
            settings.kafka_bootstrap_servers,
            "--group",
            group,
            "--idle-exit",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_example_service_validates_what_the_enricher_published(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    source, group, service = f"example-{run}", f"test-example-{run}", f"example-service-{run}"
    group_offsets(stack, service, commit_end=True)
    start_at_end(stack, engine, group)
    articles = [make_cleaned(n, run=run, source_id=source) for n in range(3)]
    publish(stack, [message_of(a) for a in articles])
    run_consumer(fresh_db, group=group, max_records=3, idle_exit=30, enricher=StubEnricher())
    # Then one record that breaks the schema, and a copy of a valid one (at-least-once).
    [article] = StubEnricher().enrich_each([articles[0]])
    broken = {k: v for k, v in json.loads(encode(article)).items() if k != "entities"}
    producer = make_producer(stack, client_id="test-example")
    try:
        for value in (json.dumps(broken).encode(), encode(article)):
            producer.send(
                ENRICHED_TOPIC,
                key=article.article_id.encode(),
                value=value,
                headers=[("schema", b"article.enriched/1")],
            ).get(timeout=30)
    finally:
        producer.close(timeout=10)

    lines = run_example(stack, service)

    ok = [line for line in lines if line["status"] == "ok"]
    assert sorted(line["article_id"] for line in ok) == sorted(a.article_id for a in articles)
    assert {line["title"] for line in ok} == {a.title for a in articles}
    [invalid] = [line for line in lines if line["status"] == "invalid"]
    assert "'entities' is a required property" in invalid["error"]
    [duplicate] = [line for line in lines if line["status"] == "duplicate"]
    assert duplicate["article_id"] == articles[0].article_id
    assert len(lines) == 5
    # It committed what it handled: a second run has nothing to do.
    assert run_example(stack, service) == []
    assert group_offsets(stack, service) == read_topic(stack, ENRICHED_TOPIC)[0]
