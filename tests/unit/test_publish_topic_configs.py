"""How the pipeline's topics are configured, without a broker."""

from __future__ import annotations

import pytest

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.publish.topics import TopicInfo, topic_configs


def test_defaults_keep_seven_days_and_never_elect_an_unclean_leader():
    assert topic_configs(Settings()) == {
        "retention.ms": str(7 * 24 * 3600 * 1000),
        "unclean.leader.election.enable": "false",
        "min.insync.replicas": "1",
        "max.message.bytes": str(16 * 1024 * 1024),
    }


@pytest.mark.parametrize(
    ("replicas", "configured", "expected"),
    [
        (1, None, "1"),
        (2, None, "2"),
        (3, None, "2"),
        (5, None, "2"),
        (3, 3, "3"),
        (3, 1, "1"),
    ],
)
def test_min_insync_replicas_follows_the_replication_factor_unless_set(
    replicas, configured, expected
):
    settings = Settings(topic_replication_factor=replicas, topic_min_insync_replicas=configured)
    assert topic_configs(settings)["min.insync.replicas"] == expected


def test_more_in_sync_replicas_than_replicas_is_refused():
    with pytest.raises(ConfigError, match="NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS=3 is more than"):
        topic_configs(Settings(topic_replication_factor=2, topic_min_insync_replicas=3))


def test_retention_is_configured_in_days():
    assert topic_configs(Settings(topic_retention_days=1.5))["retention.ms"] == str(129_600_000)


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(604_800_000, "7 d"), (129_600_000, "1.5 d"), (43_200_000, "12 h"), (None, "forever")],
)
def test_retention_is_shown_in_days_or_hours(ms, shown):
    info = TopicInfo("t", 3, 1, 0, ms, 1, False)
    assert info.retention == shown
