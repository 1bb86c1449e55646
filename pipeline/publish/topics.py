"""Topic administration: created by the project with explicit partitions, replication and
retention, and described (with message counts) for `newsflow topics`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import (
    InvalidConfigurationError,
    InvalidReplicationFactorError,
    KafkaError,
    TopicAlreadyExistsError,
)

from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.errors import ConfigError, TransientError
from pipeline.kafka_security import make_client

TOPICS = (CLEANED_TOPIC, ENRICHED_TOPIC, DLT_TOPIC)
DAY_MS = 24 * 3600 * 1000
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
SHOWN_CONFIGS = ("retention.ms", "min.insync.replicas", "unclean.leader.election.enable")


def _admin(settings: Settings) -> KafkaAdminClient:
    try:
        admin: KafkaAdminClient = make_client(
            KafkaAdminClient, settings, "admin", client_id="newsflow-admin"
        )
        return admin
    except KafkaError as exc:
        raise TransientError(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers} ({exc}): is it running "
            "(`newsflow stack up kafka`), or is NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS right?"
        ) from exc


def topic_configs(settings: Settings) -> dict[str, str]:
    """The configuration every pipeline topic is created with."""
    rf = settings.topic_replication_factor
    min_isr = settings.topic_min_insync_replicas or min(2, rf)
    if min_isr > rf:
        raise ConfigError(
            f"NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS={min_isr} is more than "
            f"NEWSFLOW_TOPIC_REPLICATION_FACTOR={rf}: no write could ever be acknowledged; "
            "lower it or raise the replication factor"
        )
    return {
        "retention.ms": str(round(settings.topic_retention_days * DAY_MS)),
        # A replica that missed acknowledged records must never become leader: that would
        # silently drop them.
        "unclean.leader.election.enable": "false",
        "min.insync.replicas": str(min_isr),
        # Pages are capped at 5 MiB; their records (text + paragraphs) can pass Kafka's 1 MB
        # default. Without this, a long article is refused by the broker.
        "max.message.bytes": str(MAX_MESSAGE_BYTES),
    }


def ensure_topics(settings: Settings, names: Sequence[str] = TOPICS) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left as they are
    (`newsflow topics` shows their actual settings)."""
    configs = topic_configs(settings)
    rf = settings.topic_replication_factor
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics())
        created = []
        for name in names:
            if name in existing:
                continue
            try:
                admin.create_topics(
                    [NewTopic(name, settings.topic_partitions, rf, topic_configs=configs)]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another process created it between list and create
            except (InvalidReplicationFactorError, InvalidConfigurationError) as exc:
                brokers = len(admin.describe_cluster()["brokers"])
                raise ConfigError(
                    f"cannot create {name} with replication factor {rf} and "
                    f"min.insync.replicas {configs['min.insync.replicas']} on a cluster of "
                    f"{brokers} broker(s): {exc}; set NEWSFLOW_TOPIC_REPLICATION_FACTOR (and "
                    "NEWSFLOW_TOPIC_MIN_INSYNC_REPLICAS) to what the cluster has"
                ) from exc
        return created
    finally:
        admin.close()


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int
    replication_factor: int
    messages: int  # end minus beginning offsets, summed over partitions
    retention_ms: int | None  # None: kept forever (-1)
    min_insync_replicas: int
    unclean_leader_election: bool

    @property
    def retention(self) -> str:
        if self.retention_ms is None:
            return "forever"
        days = self.retention_ms / DAY_MS
        return f"{days:g} d" if days >= 1 else f"{self.retention_ms / 3_600_000:g} h"


def describe_topics(settings: Settings, names: Sequence[str] | None = None) -> list[TopicInfo]:
    """Partitions, replication, retention and message counts of the topics (default: all but
    Kafka's internal ones), by name."""
    admin = _admin(settings)
    try:
        wanted = sorted(names or (t for t in admin.list_topics() if not t.startswith("__")))
        if not wanted:
            return []
        meta = {t["name"]: t for t in admin.describe_topics(wanted) if t["error_code"] == 0}
        found = [name for name in wanted if name in meta]
        if not found:
            return []
        configs = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in found], config_filter="all"
        )["topic"]
    finally:
        admin.close()
    counts = _message_counts(settings, {name: len(meta[name]["partitions"]) for name in found})
    infos = []
    for name in found:
        partitions = meta[name]["partitions"]
        config = {key: configs[name][key]["value"] for key in SHOWN_CONFIGS}
        retention = int(config["retention.ms"])
        infos.append(
            TopicInfo(
                name=name,
                partitions=len(partitions),
                replication_factor=max(len(p["replica_nodes"]) for p in partitions),
                messages=counts[name],
                retention_ms=None if retention < 0 else retention,
                min_insync_replicas=int(config["min.insync.replicas"]),
                unclean_leader_election=config["unclean.leader.election.enable"] == "true",
            )
        )
    return infos


def _message_counts(settings: Settings, partitions: dict[str, int]) -> dict[str, int]:
    # Offsets count records, not bytes: exact for these topics, which are neither compacted nor
    # written in transactions (a transaction marker would take an offset too).
    consumer = make_client(KafkaConsumer, settings, enable_auto_commit=False)
    try:
        counts = {}
        for name, count in partitions.items():
            tps = [TopicPartition(name, p) for p in range(count)]
            begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
            counts[name] = sum(end[tp] - begin[tp] for tp in tps)
        return counts
    finally:
        consumer.close()


def topic_offsets(
    settings: Settings, topics: list[str] | None = None
) -> dict[str, list[tuple[int, int, int]]]:
    """Per topic, (partition, beginning offset, end offset) for every partition."""
    consumer = make_client(KafkaConsumer, settings, enable_auto_commit=False)
    try:
        names = topics or sorted(t for t in consumer.topics() if not t.startswith("__"))
        result: dict[str, list[tuple[int, int, int]]] = {}
        for name in names:
            parts = consumer.partitions_for_topic(name) or set()
            tps = [TopicPartition(name, p) for p in sorted(parts)]
            begin = consumer.beginning_offsets(tps)
            end = consumer.end_offsets(tps)
            result[name] = [(tp.partition, begin[tp], end[tp]) for tp in tps]
        return result
    finally:
        consumer.close()
