"""The pipeline's topics on the real broker: how they are created and what `newsflow topics`
shows about them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient

from pipeline.errors import ConfigError
from pipeline.publish.topics import TOPICS, describe_topics, ensure_topics, topic_offsets
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
NEWSFLOW = str(Path(sys.executable).parent / "newsflow")


@pytest.fixture
def scratch_topic(stack):
    name = f"test-topics-{uuid.uuid4().hex[:10]}"
    yield name
    admin = KafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap_servers)
    try:
        if name in admin.list_topics():
            admin.delete_topics([name])
    finally:
        admin.close()


def test_pipeline_topics_are_described_with_their_settings_and_message_counts(stack):
    infos = {t.name: t for t in describe_topics(stack, TOPICS)}
    offsets = topic_offsets(stack, list(TOPICS))

    assert set(infos) == set(TOPICS)
    for name, info in infos.items():
        assert (info.partitions, info.replication_factor, info.min_insync_replicas) == (
            stack.topic_partitions,
            1,
            1,
        )
        assert (info.retention_ms, info.retention) == (7 * 24 * 3600 * 1000, "7 d")
        assert info.unclean_leader_election is False
        assert info.messages == sum(end - begin for _, begin, end in offsets[name])


def test_newsflow_topics_prints_partitions_replicas_retention_and_counts(stack):
    env = {**os.environ, **settings_env(stack)}
    out = subprocess.run([NEWSFLOW, "topics"], env=env, capture_output=True, text=True, timeout=60)

    assert out.returncode == 0, out.stderr
    header, _, *rows = out.stdout.splitlines()
    assert header.split() == [
        "topic",
        "partitions",
        "replicas",
        "min",
        "isr",
        "retention",
        "messages",
    ]
    shown = {row.split()[0]: row.split()[1:] for row in rows}
    counts = {t.name: t.messages for t in describe_topics(stack, TOPICS)}
    for name in TOPICS:
        assert shown[name][:5] == [str(stack.topic_partitions), "1", "1", "7", "d"]
        assert int(shown[name][5]) >= counts[name]  # other tests may publish in between


def test_new_topics_get_the_configured_retention(stack, scratch_topic):
    settings = stack.model_copy(update={"topic_retention_days": 0.5})

    assert ensure_topics(settings, [scratch_topic]) == [scratch_topic]
    assert ensure_topics(settings, [scratch_topic]) == []  # existing topics are left alone

    [info] = describe_topics(stack, [scratch_topic])
    assert (info.partitions, info.retention, info.messages) == (stack.topic_partitions, "12 h", 0)


def test_a_replication_factor_the_cluster_cannot_give_is_a_config_error(stack, scratch_topic):
    settings = stack.model_copy(update={"topic_replication_factor": 3})

    with pytest.raises(ConfigError, match=r"NEWSFLOW_TOPIC_REPLICATION_FACTOR.*") as failure:
        ensure_topics(settings, [scratch_topic])

    assert "1 broker(s)" in str(failure.value)
    assert describe_topics(stack, [scratch_topic]) == []
