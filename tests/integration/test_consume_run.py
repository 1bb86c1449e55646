"""The enricher service on the test stack's Kafka and PostgreSQL: effectively-once storage.

The cleaned topic is shared with other tests, so every test tags its records with a source id
(or keys) of its own and asserts on those; counts of consumed records are taken from the topic.
Each test stores into a database of its own (`fresh_db`) under a consumer group of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from sqlalchemy import Engine, delete, text
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    enriched,
    fresh_db_fixture,
    make_cleaned,
    snapshot,
)

from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.consume.dlt import list_dead_letters, replay
from pipeline.errors import PoisonRecord
from pipeline.jobs import run_consumer
from pipeline.publish.producer import make_producer
from pipeline.records import CleanedArticle, EnrichedArticle, encode, headers_for
from pipeline.warehouse.db import load_offsets, store_batch
from pipeline.warehouse.models import ConsumerOffset

pytestmark = pytest.mark.integration

Message = tuple[bytes | None, bytes, list[tuple[str, bytes]]]  # key, value, headers


class FakeEnricher:
    """One entity per article (Paris, a GPE); rejects titles it was told to, like a model
    that cannot handle them, until `reject` is emptied."""

    def __init__(self, reject: Sequence[str] = ()) -> None:
        self.reject = set(reject)

    def enrich_each(self, records: list[CleanedArticle]):
        return [
            PoisonRecord(f"cannot enrich {r.title!r}", stage="enrich")
            if r.title in self.reject
            else enriched(r)
            for r in records
        ]


def message_of(article: CleanedArticle) -> Message:
    return article.article_id.encode(), encode(article), headers_for(article)


def publish(settings: Settings, messages: list[Message]) -> list[tuple[int, int]]:
    """Publish and wait for every acknowledgement; returns (partition, offset) per message."""
    producer = make_producer(settings, client_id="test-consume")
    try:
        futures = [producer.send(CLEANED_TOPIC, key=k, value=v, headers=h) for k, v, h in messages]
        producer.flush(timeout=30)
        return [(m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


def read_topic(settings: Settings, topic: str) -> tuple[dict[int, int], list]:
    """End offsets of every partition, and every record of `topic`."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(tps)
        end = consumer.end_offsets(tps)
        consumer.seek_to_beginning(*tps)
        records = []
        while any(consumer.position(tp) < end[tp] for tp in tps):
            records.extend(r for batch in consumer.poll(timeout_ms=2000).values() for r in batch)
        return {tp.partition: end[tp] for tp in tps}, records
    finally:
        consumer.close()


def start_at_end(settings: Settings, engine: Engine, group: str) -> dict[tuple[str, int], int]:
    """Make `group` read only what is published from now on (the topic is shared with other
    tests), the way the consumer itself resumes: from offsets stored in the warehouse."""
    ends, _ = read_topic(settings, CLEANED_TOPIC)
    offsets = {(CLEANED_TOPIC, partition): end for partition, end in ends.items()}
    store_batch(engine, group, [], offsets)
    return offsets


def forget_kafka_offsets(settings: Settings, group: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        assert admin.delete_groups([group]) == {group: "OK"}
    finally:
        admin.close()


def stored_articles(engine: Engine, source_id: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.article_id, array_agg(e.canonical ORDER BY e.canonical) AS entities "
                "FROM articles a LEFT JOIN mentions m USING (article_id) "
                "LEFT JOIN entities e USING (entity_id) WHERE a.source_id = :s "
                "GROUP BY a.article_id"
            ),
            {"s": source_id},
        ).all()


def dead_letters_of(settings: Settings, group: str) -> list:
    _, records = read_topic(settings, DLT_TOPIC)
    return [r for r in records if dict(r.headers).get("consumer.group") == group.encode()]


@pytest.fixture
def names() -> tuple[str, str]:
    """A source id and a consumer group of this test's own."""
    run = uuid.uuid4().hex[:10]
    return f"consume-{run}", f"test-consume-{run}"


def test_consumer_stores_valid_records_dead_letters_poison_and_stores_end_offsets(
    stack, fresh_db, engine, names
):
    source, group = names
    start_at_end(stack, engine, group)
    articles = [make_cleaned(n, run=source, source_id=source) for n in range(30)]
    record = json.loads(encode(make_cleaned(99, run=source, source_id=source)))
    poison: list[Message] = [
        (f"{source}-json".encode(), b'{"article_id": "trunc', []),
        (
            f"{source}-version".encode(),
            json.dumps({**record, "schema_version": 2}).encode(),
            [("schema", b"article.cleaned/2"), ("content-type", b"application/json")],
        ),
        (
            f"{source}-title".encode(),
            json.dumps({k: v for k, v in record.items() if k != "title"}).encode(),
            [],
        ),
    ]
    published = publish(
        stack,
        [message_of(a) for a in articles[:15]] + poison + [message_of(a) for a in articles[15:]],
    )

    stats = run_consumer(
        fresh_db, group=group, max_records=33, idle_exit=30, enricher=FakeEnricher()
    )

    assert (stats.consumed, stats.stored, stats.dead_lettered) == (33, 30, 3)
    rows = stored_articles(engine, source)
    assert sorted(r.article_id for r in rows) == sorted(a.article_id for a in articles)
    assert all(r.entities == ["Paris"] for r in rows)

    dead = {r.key: r for r in dead_letters_of(stack, group)}
    assert set(dead) == {key for key, _, _ in poison}
    for (key, value, headers), (partition, offset) in zip(poison, published[15:18], strict=True):
        letter = dead[key]
        got = dict(letter.headers)
        assert letter.value == value
        assert got["stage"] == b"validate" and got["error"]
        assert got["source.topic"] == CLEANED_TOPIC.encode()
        assert (got["source.partition"], got["source.offset"]) == (
            str(partition).encode(),
            str(offset).encode(),
        )
        assert all(got[k] == v for k, v in headers)
    assert b"schema_version" in dict(dead[poison[1][0]].headers)["error"]
    assert b"title" in dict(dead[poison[2][0]].headers)["error"]

    ends, _ = read_topic(stack, CLEANED_TOPIC)
    assert load_offsets(engine, group, CLEANED_TOPIC) == ends
    _, enriched_records = read_topic(stack, ENRICHED_TOPIC)
    ours = {r.key.decode(): dict(r.headers) for r in enriched_records}
    assert all(ours[a.article_id]["schema"] == b"article.enriched/1" for a in articles)


def test_rerun_without_kafka_offsets_resumes_at_the_warehouse_offsets(
    stack, fresh_db, engine, names
):
    source, group = names
    start = start_at_end(stack, engine, group)
    first = [make_cleaned(n, run=source, source_id=source) for n in range(5)]
    publish(stack, [message_of(a) for a in first])
    run_consumer(fresh_db, group=group, max_records=5, idle_exit=30, enricher=FakeEnricher())
    before = snapshot(engine)

    # Kafka forgets the group; two new records arrive. Reading from Kafka's position (the
    # earliest record) would re-read old records and miss the new ones within max_records.
    forget_kafka_offsets(stack, group)
    later = [make_cleaned(n, run=source, source_id=source) for n in range(5, 7)]
    publish(stack, [message_of(a) for a in later])
    stats = run_consumer(
        fresh_db, group=group, max_records=2, idle_exit=30, enricher=FakeEnricher()
    )

    after = snapshot(engine)
    new_ids = {a.article_id for a in later}
    assert stats.consumed == 2
    for table in ("articles", "article_versions", "mentions", "entities"):
        assert [r for r in after[table] if r[0] not in new_ids] == before[table], table
    assert {r.article_id for r in stored_articles(engine, source)} == {
        a.article_id for a in first + later
    }
    assert load_offsets(engine, group, CLEANED_TOPIC) == read_topic(stack, CLEANED_TOPIC)[0]

    # An operator rewinds the group to before these records: reading them all again changes
    # no row.
    with engine.begin() as conn:
        conn.execute(delete(ConsumerOffset).where(ConsumerOffset.group_id == group))
    store_batch(engine, group, [], start)
    forget_kafka_offsets(stack, group)
    stats = run_consumer(
        fresh_db, group=group, max_records=7, idle_exit=30, enricher=FakeEnricher()
    )
    assert stats.consumed == 7
    replayed = snapshot(engine)
    assert {t: rows for t, rows in replayed.items() if t != "consumer_offsets"} == {
        t: rows for t, rows in after.items() if t != "consumer_offsets"
    }


def test_record_postgres_refuses_is_dead_lettered_at_stage_store(stack, fresh_db, engine, names):
    source, group = names
    start_at_end(stack, engine, group)
    good = [make_cleaned(n, run=source, source_id=source) for n in range(2)]
    bad = make_cleaned(2, run=source, source_id=source, body="A NUL \x00 in the text.")
    publish(stack, [message_of(a) for a in [*good, bad]])

    stats = run_consumer(
        fresh_db, group=group, max_records=3, idle_exit=30, enricher=FakeEnricher()
    )

    assert (stats.stored, stats.dead_lettered) == (2, 1)
    assert {r.article_id for r in stored_articles(engine, source)} == {a.article_id for a in good}
    [letter] = dead_letters_of(stack, group)
    assert letter.key == bad.article_id.encode() and letter.value == encode(bad)
    assert dict(letter.headers)["stage"] == b"store"
    assert b"NUL" in dict(letter.headers)["error"]


def test_dead_letters_are_listed_and_replayed_once(stack, fresh_db, engine, names):
    source, group = names
    start_at_end(stack, engine, group)
    fine, hard = (make_cleaned(n, run=source, source_id=source) for n in range(2))
    publish(stack, [message_of(fine), message_of(hard)])
    enricher = FakeEnricher(reject=[hard.title])
    run_consumer(fresh_db, group=group, max_records=2, idle_exit=30, enricher=enricher)
    assert {r.article_id for r in stored_articles(engine, source)} == {fine.article_id}

    listed = [e for e in list_dead_letters(stack, limit=10_000) if e["key"] == hard.article_id]
    assert [(e["stage"], e["error"], e["source_topic"]) for e in listed] == [
        ("enrich", f"cannot enrich {hard.title!r}", CLEANED_TOPIC)
    ]
    assert listed[0]["value_preview"] == encode(hard).decode()[:200]

    assert replay(stack) >= 1
    assert replay(stack) == 0  # progress is committed: nothing is replayed twice
    _, cleaned = read_topic(stack, CLEANED_TOPIC)
    copies = [r for r in cleaned if r.key == hard.article_id.encode()]
    assert len(copies) == 2 and {r.value for r in copies} == {encode(hard)}
    assert dict(copies[-1].headers)["schema"] == b"article.cleaned/1"

    enricher.reject.clear()  # the cause is fixed; the same group picks up the replayed copy
    stored = load_offsets(engine, group, CLEANED_TOPIC)
    ends, _ = read_topic(stack, CLEANED_TOPIC)
    unread = sum(end - stored[p] for p, end in ends.items())
    run_consumer(fresh_db, group=group, max_records=unread, idle_exit=30, enricher=enricher)
    assert {r.article_id for r in stored_articles(engine, source)} == {
        fine.article_id,
        hard.article_id,
    }


def test_the_real_enricher_stores_entities(stack, fresh_db, engine, names):
    from pipeline.enrich import Enricher

    source, group = names
    start_at_end(stack, engine, group)
    articles = [make_cleaned(n, run=source, source_id=source) for n in range(3)]
    publish(stack, [message_of(a) for a in articles])

    run_consumer(fresh_db, group=group, max_records=3, idle_exit=30, enricher=Enricher())

    rows = stored_articles(engine, source)
    assert len(rows) == 3
    assert all({"Ada Lovelace", "Paris"} <= set(r.entities) for r in rows)


NATO_BODY = (
    "Jens Stoltenberg arrived in Brussels on Tuesday for talks with NATO ministers.\n\n"
    "Stoltenberg said the alliance would expand its training mission in Iraq.\n\n"
    "The North Atlantic Treaty Organization (NATO) was founded in 1949 in Washington.\n\n"
    "NATO's members agreed, and Stoltenberg thanked the Iraqi government for its consent."
)


def mentions_from_record(article: EnrichedArticle) -> set[tuple]:
    """The mentions rows of an article, made from its enriched record alone, the way
    schemas/README.md tells a consumer: entries of one canonical and label merged, counts
    summed, the first offset kept, surface forms in order (an entry without any: its name)."""
    merged: dict[tuple[str, str], tuple[int, int, list[str]]] = {}
    for e in article.entities:
        count, first, forms = merged.get((e.canonical, e.label), (0, e.first_offset, []))
        forms += [f for f in e.surface_forms or [e.name] if f not in forms]
        merged[e.canonical, e.label] = (count + e.count, min(first, e.first_offset), forms)
    return {
        (canonical, label, count, first, tuple(forms))
        for (canonical, label), (count, first, forms) in merged.items()
    }


def test_mentions_can_be_rebuilt_from_the_enriched_topic(stack, fresh_db, engine, names):
    from pipeline.enrich import Enricher

    source, group = names
    start_at_end(stack, engine, group)
    articles = [
        make_cleaned(n, run=source, source_id=source, body=body)
        for n, body in enumerate([NATO_BODY, None])
    ]
    publish(stack, [message_of(a) for a in articles])

    run_consumer(fresh_db, group=group, max_records=2, idle_exit=30, enricher=Enricher())

    _, published = read_topic(stack, ENRICHED_TOPIC)
    from_topic = {}
    for message in published:
        if message.key.decode() in {a.article_id for a in articles}:
            record = EnrichedArticle.model_validate_json(message.value)
            from_topic[record.article_id] = record  # a copy (at least once) is the same record
    assert set(from_topic) == {a.article_id for a in articles}
    nato = from_topic[articles[0].article_id]
    assert any(len(e.surface_forms) > 1 for e in nato.entities)  # "NATO", "The North ..."
    with engine.connect() as conn:
        for article_id, record in from_topic.items():
            stored = conn.execute(
                text(
                    "SELECT e.canonical, e.label, m.count, m.first_offset, m.surface_forms "
                    "FROM mentions m JOIN entities e USING (entity_id) WHERE m.article_id = :a"
                ),
                {"a": article_id},
            ).all()
            assert stored
            assert {(c, lb, n, o, tuple(f)) for c, lb, n, o, f in stored} == mentions_from_record(
                record
            )
