"""`newsflow stack up --secure --brokers 3` on a stack of its own: three KRaft nodes whose
brokers talk to each other over SASL_SSL (SCRAM) and to the controllers over SASL PLAIN on
TLS; the pipeline's user writes records that are replicated on three brokers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient
from side_stack import newsflow, side_env, side_settings, stop_side_stack

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.kafka_security import make_client
from pipeline.publish.producer import make_producer

pytestmark = pytest.mark.integration
OFFSET = 570


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Settings, dict[str, str]]]:
    settings = side_settings(
        "secure-cluster", OFFSET, kafka_secure=True, kafka_brokers=3, topic_partitions=3
    )
    newsflow(side_env(settings), "stack", "down")
    shutil.rmtree(settings.home_dir, ignore_errors=True)
    env = side_env(settings)
    try:
        yield settings, env
    finally:
        stop_side_stack(env, settings.home_dir)


def test_secure_cluster_replicates_the_pipeline_users_records(cluster):
    settings, env = cluster
    up = newsflow(env, "stack", "up", "kafka", "--secure")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "kafka: 3 brokers in the cluster" in up.stdout
    assert "SASL_SSL, 8 ACLs for the pipeline's user" in up.stdout
    ensured = newsflow(env, "topics", "--ensure")
    assert ensured.returncode == 0, ensured.stdout + ensured.stderr
    assert f"created {CLEANED_TOPIC}" in ensured.stdout

    producer = make_producer(settings, client_id="test-secure-cluster")
    try:
        sent = [
            producer.send(CLEANED_TOPIC, key=f"k{i}".encode(), value=b"{}").get(timeout=60)
            for i in range(30)
        ]
    finally:
        producer.close()
    assert len({(m.partition, m.offset) for m in sent}) == 30

    admin = make_client(KafkaAdminClient, settings, "admin")
    try:
        (topic,) = admin.describe_topics([CLEANED_TOPIC])
    finally:
        admin.close()
    assert len(topic["partitions"]) == 3
    for partition in topic["partitions"]:
        assert len(partition["replica_nodes"]) == 3
        assert len(partition["isr_nodes"]) == 3
    status = newsflow(env, "stack", "status")
    for node in ("kafka-1", "kafka-2", "kafka-3"):
        assert any(line.split()[:2] == [node, "running"] for line in status.stdout.splitlines())
