"""The Kafka cluster under faults: nothing lost, nothing doubled, with a partition leader and an
enricher killed (kill -9) while records are produced and consumed.

A cluster of three KRaft nodes (`newsflow stack up --brokers 3`, here through the stack
manager) runs under a NEWSFLOW_HOME and ports of its own; the warehouse is a fresh database on
the test stack's PostgreSQL. 5,000 cleaned records and 50 poison records are produced in paced
chunks while three `newsflow consume` processes of one group (stub enricher) work on them.
After a fifth of them is acknowledged, the broker leading some of the cleaned topic's
partitions is killed with SIGKILL and `newsflow stack status` must say the cluster is
degraded; after two fifths, one enricher is killed inside a batch transaction; then both are
restarted and the rest is produced.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from sqlalchemy import create_engine, make_url, text
from test_consume_run import read_topic, start_at_end
from test_delivery_crashes import (
    NEWSFLOW,
    Consumer,
    body,
    count,
    group_is_stable,
    poison_messages,
    wait_for,
)
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from devtools.stub_enricher import StubEnricher
from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, Settings
from pipeline.publish.producer import make_producer
from pipeline.publish.topics import ensure_topics
from pipeline.records import encode, headers_for
from pipeline.stack.kafka import jars_dir
from pipeline.stack.manager import Stack, settings_env
from pipeline.warehouse.db import load_offsets

pytestmark = pytest.mark.integration

N = 5000
CHUNK = 100
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(name="cluster")
def cluster_fixture(stack: Settings, fresh_db: Settings):
    """Settings of a 3-broker cluster of its own (fresh data, ports base + 1000*slot + 500),
    with the fresh warehouse; stopped at the end."""
    slot = int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0"))
    base = 1000 * slot + 500
    home = REPO / ".newsflow" / f"test-cluster-{slot}"
    for old in [*home.glob("kafka-*"), home / "run" / "kafka-cluster-id"]:
        if old.is_dir():
            shutil.rmtree(old)
        else:
            old.unlink(missing_ok=True)
    # The test stack resolved the jars already: the same ones, not a second Maven run.
    jars = jars_dir(stack)
    target = home / "jars" / jars.name
    if jars.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(jars)
    settings = Settings(
        home=home,
        kafka_brokers=3,
        kafka_bootstrap_servers=f"127.0.0.1:{9092 + base}",
        kafka_controller_port=9093 + base,
        topic_partitions=6,
        pg_port=stack.pg_port,
        warehouse_url=fresh_db.warehouse_url,
        enricher="stub",
        # A killed consumer's partitions wait for its session to time out: 6 s, the minimum.
        consumer_session_timeout_seconds=6,
        # Three `newsflow consume` processes on one machine: no metrics server, or two of them
        # would find the port taken and stop.
        metrics_port=0,
    )
    manager = Stack(settings, progress=lambda line: print(f"[cluster] {line}"))
    try:
        manager.up(["kafka"])
        yield settings
    finally:
        manager.down()


def stack_status(settings: Settings) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run(
        [NEWSFLOW, "stack", "status"], env=env, capture_output=True, text=True, timeout=60
    )


def leaders(settings: Settings) -> dict[int, int]:
    """partition → leader node id of the cleaned topic."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        [topic] = admin.describe_topics([CLEANED_TOPIC])
    finally:
        admin.close()
    return {p["partition_index"]: p["leader_id"] for p in topic["partitions"]}


def test_cluster_loses_and_doubles_nothing_with_a_leader_and_an_enricher_killed(
    cluster, engine, tmp_path
):
    run = uuid.uuid4().hex[:8]
    source, group = f"cluster-{run}", f"cluster-{run}"
    manager = Stack(cluster, progress=lambda line: print(f"[cluster] {line}"))
    ensure_topics(cluster)
    articles = [make_cleaned(n, run=run, source_id=source, body=body(n)) for n in range(N)]
    poison = poison_messages(run)
    messages = [(a.article_id.encode(), encode(a), headers_for(a)) for a in articles]
    for i, message in enumerate(poison):  # spread through the stream
        messages.insert((i * len(messages)) // len(poison) + i, message)
    start_at_end(cluster, engine, group)
    admin = create_engine(
        make_url(cluster.database_url()).set(database="postgres"), pool_pre_ping=True
    )

    env = {**os.environ, **settings_env(cluster)}
    consumers = [Consumer(name, env, group, tmp_path) for name in ("a", "b", "c")]
    events: list[str] = []
    began = time.monotonic()

    def note(event: str) -> None:
        events.append(f"{time.monotonic() - began:6.1f}s {event}")

    # The producer: paced chunks; every value whose future resolved is "acknowledged"; a
    # failed send is sent again later (it must then not appear twice).
    acked: dict[bytes, tuple[int, int]] = {}
    failed: list[str] = []
    resend: list[tuple] = []
    may_finish = threading.Event()
    done = threading.Event()

    def produce() -> None:
        producer = make_producer(cluster, client_id=f"test-cluster-{run}")
        try:
            pending = list(messages)
            while pending or resend:
                if len(acked) >= 0.6 * len(messages) and not may_finish.is_set():
                    may_finish.wait(timeout=300)
                chunk = [*resend, *pending[:CHUNK]]
                resend.clear()
                pending = pending[CHUNK:]
                futures = [
                    (m, producer.send(CLEANED_TOPIC, key=m[0], value=m[1], headers=m[2]))
                    for m in chunk
                ]
                producer.flush(timeout=60)
                for m, future in futures:
                    try:
                        meta = future.get(timeout=60)
                    except Exception as exc:  # noqa: BLE001 - any failure: counted, resent
                        failed.append(repr(exc))
                        resend.append(m)
                    else:
                        acked[m[1]] = (meta.partition, meta.offset)
                time.sleep(0.2)
        finally:
            producer.close()
            done.set()

    def stored() -> int:
        return count(engine, "SELECT count(*) FROM articles WHERE source_id = :s", s=source)

    producer_thread = threading.Thread(target=produce, daemon=True)
    degraded: list[str] = []
    try:
        for consumer in consumers:
            consumer.start()
        wait_for(
            lambda: all(c.assigned() for c in consumers) and group_is_stable(cluster, group, 3),
            "three consumers to own partitions",
            120,
        )
        producer_thread.start()
        wait_for(lambda: len(acked) >= 0.2 * len(messages), "a fifth acknowledged", 120)

        # kill -9 a broker that leads some of the cleaned topic's partitions.
        led = leaders(cluster)
        victim = led[0]
        node = f"kafka-{victim}"
        pid = {name: r for name, r in manager.status() if r is not None}[node].pid
        os.kill(pid, signal.SIGKILL)
        note(
            f"kill -9 {node} (pid {pid}), leader of partitions "
            f"{sorted(p for p, n in led.items() if n == victim)}, {len(acked)} acked"
        )
        status = stack_status(cluster)
        degraded.append(status.stdout)
        assert status.returncode == 1, status.stdout + status.stderr
        assert f"degraded (broker {victim} down)" in status.stdout, status.stdout

        wait_for(lambda: len(acked) >= 0.4 * len(messages), "two fifths acknowledged", 120)
        note(f"{len(acked)} acked with {node} down; new leaders {leaders(cluster)}")
        at = consumers[0].kill_mid_batch(admin)
        note(f"kill -9 enricher a during: {at[:60]}")

        manager.restart([node])
        consumers[0].start()
        note(f"{node} and enricher a restarted")
        assert stack_status(cluster).returncode == 0
        may_finish.set()
        wait_for(done.is_set, "the producer to finish", 180)
        note(f"produced: {len(acked)} acknowledged, {len(failed)} failed sends resent")

        ends, _ = read_topic(cluster, CLEANED_TOPIC)
        wait_for(
            lambda: (
                load_offsets(engine, group, CLEANED_TOPIC) == ends
                and count(
                    engine, "SELECT count(*) FROM consumer_dead_letters WHERE sent_at IS NULL"
                )
                == 0
            ),
            "the consumers to reach the end of the topic",
            180,
        )
        note(f"all stored: {stored()} articles")
        exits = [c.terminate() for c in consumers]
    finally:
        may_finish.set()
        for consumer in consumers:
            if consumer.proc and consumer.proc.poll() is None:
                consumer.proc.kill()
                consumer.proc.wait()
        admin.dispose()
    print("\n".join(["", *events, "status while the broker was down:", *degraded]))

    assert exits == [0, 0, 0], "\n".join(c.tail() for c in consumers)
    # Every acknowledged record is there: all of them were acknowledged in the end.
    assert len(acked) == len(messages)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT article_id FROM articles")).scalars())
        versions = conn.execute(text("SELECT article_id, version FROM article_versions")).all()
        mentions = conn.execute(
            text(
                "SELECT m.article_id, e.canonical FROM mentions m JOIN entities e USING (entity_id)"
            )
        ).all()
    assert len(ids) == N and set(ids) == {a.article_id for a in articles}
    assert sorted(versions) == sorted((a.article_id, 1) for a in articles)
    expected = {
        (item.article_id, e.canonical)
        for item in StubEnricher().enrich_each(articles)
        for e in item.entities
    }
    assert len(mentions) == len(expected) == 5 * N and set(mentions) == expected
    # Every poison record once in the dead-letter topic, with its original bytes.
    _, dlt = read_topic(cluster, DLT_TOPIC)
    letters = [r for r in dlt if dict(r.headers).get("consumer.group") == group.encode()]
    assert sorted(r.value for r in letters) == sorted(v for _, v, _ in poison)
    assert {
        (int(dict(r.headers)["source.partition"]), int(dict(r.headers)["source.offset"]))
        for r in letters
    } == {acked[v] for _, v, _ in poison}
    print(
        json.dumps(
            {
                "articles": len(ids),
                "versions": len(versions),
                "mentions": len(mentions),
                "dead_letters": len(letters),
                "failed_sends": len(failed),
            }
        )
    )
