"""Topic administration: created by the project with explicit partitions and retention."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from pipeline.config import CLEANED_TOPIC, DLT_TOPIC, ENRICHED_TOPIC, Settings

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
TOPICS = (CLEANED_TOPIC, ENRICHED_TOPIC, DLT_TOPIC)


def _admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="newsflow-admin"
    )


def ensure_topics(settings: Settings) -> list[str]:
    """Create missing topics; returns the names created. Existing topics are left as they are."""
    rf = settings.topic_replication_factor
    configs = {
        "retention.ms": str(SEVEN_DAYS_MS),
        "unclean.leader.election.enable": "false",
        "min.insync.replicas": str(min(2, rf)),
    }
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(name, settings.topic_partitions, rf, topic_configs=configs)
            for name in TOPICS
            if name not in existing
        ]
        created = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another process created it between list and create
        return created
    finally:
        admin.close()


def topic_offsets(
    settings: Settings, topics: list[str] | None = None
) -> dict[str, list[tuple[int, int, int]]]:
    """Per topic, (partition, beginning offset, end offset) for every partition."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
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
