"""Publishing cleaned records: a send counts only when its future resolved."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.errors import TransientError
from pipeline.records import CleanedArticle, encode, headers_for

log = logging.getLogger(__name__)


def make_producer(settings: Settings, **overrides: object) -> KafkaProducer:
    config: dict[str, object] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": "newsflow-publisher",
        "acks": "all",
        # Explicit, so a conflicting setting raises instead of silently turning it off.
        "enable_idempotence": True,
        "compression_type": "gzip",
        "linger_ms": 20,
        "max_in_flight_requests_per_connection": 5,
        "retries": 2147483647,
        "request_timeout_ms": 30000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


@dataclass
class PublishResult:
    published: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (article_id, error)


def publish_records(
    producer: KafkaProducer,
    records: Iterable[CleanedArticle],
    topic: str = CLEANED_TOPIC,
    timeout: float = 60.0,
) -> PublishResult:
    """Send every record keyed by article_id, then wait for each future."""
    futures = []
    for record in records:
        future = producer.send(
            topic,
            key=record.article_id.encode(),
            value=encode(record),
            headers=headers_for(record),
        )
        futures.append((record.article_id, future))
    producer.flush(timeout=timeout)
    result = PublishResult()
    for article_id, future in futures:
        try:
            future.get(timeout=timeout)
            result.published += 1
        except KafkaError as exc:
            log.error("publishing %s failed: %s", article_id, exc)
            result.failed.append((article_id, str(exc)))
    if result.failed and not result.published:
        raise TransientError(
            f"no record reached {topic}: {result.failed[0][1]} (is Kafka up at "
            f"{producer.config['bootstrap_servers']}?)"
        )
    return result
