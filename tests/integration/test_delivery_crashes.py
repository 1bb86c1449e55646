"""The proof: nothing lost, nothing doubled, with consumers killed and the broker and the
database restarted under them.

N cleaned records and 50 poison records are published in waves while two `newsflow consume`
processes of one group work on them. Meanwhile a consumer is killed with SIGKILL three times,
each time while its batch transaction is open (checked in pg_stat_activity with the process
stopped), and restarted; the Kafka broker is restarted once and PostgreSQL once, each while
records wait. The consumers run the stub enricher (NEWSFLOW_ENRICHER=stub): NER is not what is
under test, and spaCy in every process would only make the test slow.

The cleaned topic is shared with other tests, so "the topic" here is the range from the end
offsets measured before publishing to the end offsets after: the group starts there, and the
replay goes back there.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from sqlalchemy import Engine, create_engine, delete, make_url, text
from test_consume_run import publish, read_topic, start_at_end
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
    snapshot,
)

from devtools.stub_enricher import StubEnricher
from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.jobs import run_consumer
from pipeline.publish.topics import topic_offsets
from pipeline.records import encode, headers_for
from pipeline.stack import airflow
from pipeline.stack.manager import Stack, settings_env
from pipeline.warehouse.db import load_offsets, store_batch
from pipeline.warehouse.models import ConsumerOffset

pytestmark = pytest.mark.integration

N = 5000
WAVES = 5
NEWSFLOW = str(Path(sys.executable).parent / "newsflow")


def body(n: int) -> str:
    # The stub enricher makes an entity of every capitalized word: five per article, one of
    # them the article's own.
    return f"Ada Lovelace met Reporter{n} in Paris on day {n}.\n\nThe talk ran long."


def poison_messages(run: str) -> list[tuple[bytes | None, bytes, list]]:
    """50 records no consumer can store: invalid JSON, a wrong schema version, missing fields."""
    valid = json.loads(encode(make_cleaned(0, run=f"{run}-poison", source_id=run)))
    messages = []
    for n in range(50):
        kind = n % 3
        if kind == 0:
            value = b'{"article_id": "' + str(n).encode() + b'", truncated'
        elif kind == 1:
            value = json.dumps({**valid, "schema_version": 2, "title": f"v2 {n}"}).encode()
        else:
            value = json.dumps(
                {k: v for k, v in valid.items() if k not in ("text", "fetched_at")}
                | {"title": f"t{n}"}
            ).encode()
        key = None if n % 10 == 9 else f"{run}-poison-{n}".encode()
        messages.append((key, value, [("content-type", b"application/json")]))
    return messages


class Consumer:
    """One `newsflow consume` process of the test's group, restartable."""

    def __init__(self, name: str, env: dict[str, str], group: str, logs: Path) -> None:
        self.name, self.env, self.group, self.logs = name, env, group, logs
        self.starts = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.starts += 1
        log = open(self.logs / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [NEWSFLOW, "consume", "--group", self.group],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    @property
    def application_name(self) -> str:
        return f"newsflow-consume pid {self.proc.pid} {self.group}"[:63]

    def kill_mid_batch(self, admin: Engine, timeout: float = 90) -> str:
        """SIGKILL the process while its batch transaction has written rows and not committed:
        stop it, look at its database session, kill it if it is in a batch transaction, else
        let it go on and look again. Returns the statement the transaction was at."""
        deadline = time.monotonic() + timeout
        query = text(
            "SELECT query FROM pg_stat_activity WHERE application_name = :name "
            "AND backend_xid IS NOT NULL AND query NOT LIKE '%SKIP LOCKED%' "
            "AND query NOT LIKE 'UPDATE consumer_dead_letters%'"
        )
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name} exited: {self.tail()}"
            os.kill(self.proc.pid, signal.SIGSTOP)
            try:
                with admin.connect() as conn:
                    at = conn.execute(query, {"name": self.application_name}).scalar()
                if at is not None:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=30)
                    return at
            finally:
                if self.proc.poll() is None:
                    os.kill(self.proc.pid, signal.SIGCONT)
            time.sleep(random.uniform(0.005, 0.04))  # noqa: S311 - probing at random moments
        pytest.fail(f"{self.name} was never seen inside a batch transaction")

    def assigned(self) -> bool:
        """Its current run owns partitions (it logs "assigned [...]" when it takes them)."""
        log = self.logs / f"{self.name}-{self.starts}.log"
        return "assigned [" in log.read_text(errors="replace")

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def tail(self) -> str:
        log = self.logs / f"{self.name}-{self.starts}.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


def eventually(check: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def wait_for(check: Callable[[], bool], what: str, timeout: float) -> None:
    if not eventually(check, timeout):
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def group_is_stable(settings: Settings, group: str, members: int) -> bool:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    return described["group_state"] == "Stable" and len(described["members"]) == members


def leave_healthy(stack_manager: Stack) -> None:
    """Whatever happened, leave the session's stack as later tests expect it: Kafka and
    PostgreSQL up, and Airflow, if an earlier test started it, healthy on the new database."""
    stack_manager.up(["postgres", "kafka"])
    running = {name for name, run in stack_manager.status() if run is not None and run.alive}
    if "airflow" in running and not eventually(lambda: airflow.ready(stack_manager.settings), 120):
        stack_manager.restart(["airflow"])


def end_offsets(settings: Settings) -> dict[int, int]:
    [(_, partitions)] = topic_offsets(settings, [CLEANED_TOPIC]).items()
    return {partition: end for partition, _, end in partitions}


def count(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_kills_and_restarts_lose_nothing_and_double_nothing(
    stack, stack_manager, fresh_db, engine, tmp_path
):
    run = uuid.uuid4().hex[:8]
    source, group = f"delivery-{run}", f"delivery-{run}"
    articles = [make_cleaned(n, run=run, source_id=source, body=body(n)) for n in range(N)]
    good = [(a.article_id.encode(), encode(a), headers_for(a)) for a in articles]
    poison = poison_messages(run)
    messages = list(good)
    for i, message in enumerate(poison):  # spread through the stream
        messages.insert((i * len(messages)) // len(poison) + i, message)
    waves = [messages[i::WAVES] for i in range(WAVES)]
    start = start_at_end(stack, engine, group)
    admin = create_engine(
        make_url(fresh_db.database_url()).set(database="postgres"), pool_pre_ping=True
    )

    def stored() -> int:
        return count(engine, "SELECT count(*) FROM articles WHERE source_id = :s", s=source)

    # A killed consumer's partitions wait for its session to time out: 6 s, the broker's minimum.
    # Two processes on one machine: no metrics server, or the second's port would be taken.
    consumers = fresh_db.model_copy(
        update={"enricher": "stub", "consumer_session_timeout_seconds": 6, "metrics_port": 0}
    )
    env = {**os.environ, **settings_env(consumers)}
    a, b = (Consumer(name, env, group, tmp_path) for name in ("a", "b"))
    events: list[str] = []
    began = time.monotonic()
    note = lambda event: events.append(f"{time.monotonic() - began:6.1f}s {event}")  # noqa: E731
    published: dict[bytes, tuple[int, int]] = {}  # value → (partition, offset)

    def publish_wave(n: int) -> None:
        published.update(zip((v for _, v, _ in waves[n]), publish(stack, waves[n]), strict=True))
        note(f"published wave {n + 1}: {len(waves[n])} records")

    def both_working() -> None:
        """Both processes own partitions, so the next wave gives each of them batches."""
        wait_for(
            lambda: a.assigned() and b.assigned() and group_is_stable(stack, group, 2),
            "both consumers to own partitions",
            90,
        )

    def kill(consumer: Consumer) -> None:
        at = consumer.kill_mid_batch(admin)
        note(f"kill -9 {consumer.name} (pid {consumer.proc.pid}) during: {at[:60]}")
        consumer.start()
        both_working()

    def restart(component: str) -> None:
        before = stored()
        wait_for(lambda: stored() > before, "the consumers to be working", 60)
        lag = len(published) - stored()
        stack_manager.restart([component])
        note(f"restart {component} with about {lag} records waiting")

    try:
        a.start()
        b.start()
        both_working()
        publish_wave(0)
        kill(a)
        publish_wave(1)
        restart("kafka")
        publish_wave(2)
        kill(b)
        publish_wave(3)
        restart("postgres")
        publish_wave(4)
        kill(a)
        ends = end_offsets(stack)
        wait_for(
            lambda: (
                load_offsets(engine, group, CLEANED_TOPIC) == ends
                and count(
                    engine, "SELECT count(*) FROM consumer_dead_letters WHERE sent_at IS NULL"
                )
                == 0
            ),
            "the consumers to reach the end of the topic",
            240,
        )
        note("all stored")
        exits = [a.terminate(), b.terminate()]
        note("both consumers stopped")
    finally:
        for consumer in (a, b):
            if consumer.proc and consumer.proc.poll() is None:
                consumer.proc.kill()
                consumer.proc.wait()
        leave_healthy(stack_manager)
    print("\n".join(["", f"N = {N} records + {len(poison)} poison in {WAVES} waves", *events]))

    # Both consumers stopped cleanly on SIGTERM.
    assert exits == [0, 0], a.tail() + "\n" + b.tail()
    # Exactly N articles, one version each, and exactly the mentions the enricher found.
    assert stored() == N
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT article_id FROM articles")).scalars())
        versions = conn.execute(text("SELECT article_id, version FROM article_versions")).all()
        mentions = conn.execute(
            text(
                "SELECT m.article_id, e.canonical FROM mentions m JOIN entities e USING (entity_id)"
            )
        ).all()
    assert ids == {a.article_id for a in articles}
    assert sorted(versions) == sorted((a.article_id, 1) for a in articles)
    expected = {
        (item.article_id, e.canonical)
        for item in StubEnricher().enrich_each(articles)
        for e in item.entities
    }
    assert len(mentions) == len(expected) == 5 * N and set(mentions) == expected
    # The stored offsets are the topic's end offsets.
    assert load_offsets(engine, group, CLEANED_TOPIC) == ends
    # Exactly 50 dead letters, one per poison record, each with its original bytes and error.
    _, dlt = read_topic(stack, DLT_TOPIC)
    letters = [r for r in dlt if dict(r.headers).get("consumer.group") == group.encode()]
    assert len(letters) == len(poison) == 50
    assert {
        (int(dict(r.headers)["source.partition"]), int(dict(r.headers)["source.offset"]))
        for r in letters
    } == {published[v] for _, v, _ in poison}
    assert all(
        dict(r.headers)["error"] and dict(r.headers)["stage"] == b"validate" for r in letters
    )
    assert sorted(r.value for r in letters) == sorted(v for _, v, _ in poison)
    # Every stored article is on the enriched topic (at least once: a kill between publishing
    # and committing repeats a batch).
    _, enriched = read_topic(stack, ENRICHED_TOPIC)
    ours = [r.key.decode() for r in enriched if r.key and r.key.decode() in ids]
    assert set(ours) == ids
    print(
        f"observed: {len(ids)} articles, {len(versions)} versions, {len(mentions)} mentions, "
        f"{len(letters)} dead letters, stored offsets = end offsets {ends}, "
        f"{len(ours)} enriched messages for {N} articles"
    )
    # Kafka's commits (for lag tools) caught up with the warehouse.
    kafka_admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    try:
        committed = kafka_admin.list_group_offsets({group: None})[group]
    finally:
        kafka_admin.close()
    assert {
        tp.partition: o.offset for tp, o in committed.items() if tp.topic == CLEANED_TOPIC
    } == ends

    # Replaying the whole range into the same warehouse changes no row.
    before = snapshot(engine)
    with engine.begin() as conn:
        conn.execute(delete(ConsumerOffset).where(ConsumerOffset.group_id == group))
    store_batch(engine, group, [], start)
    stats = run_consumer(
        fresh_db, group=group, max_records=len(messages), idle_exit=30, enricher=StubEnricher()
    )
    assert stats.consumed == len(messages)
    after = snapshot(engine)
    assert {t: rows for t, rows in after.items() if t != "consumer_offsets"} == {
        t: rows for t, rows in before.items() if t != "consumer_offsets"
    }
    assert load_offsets(engine, group, CLEANED_TOPIC) == ends
    _, dlt = read_topic(stack, DLT_TOPIC)
    assert sum(dict(r.headers).get("consumer.group") == group.encode() for r in dlt) == 50
    admin.dispose()
