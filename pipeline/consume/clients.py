"""Kafka clients of the consume stage, with one error for an unreachable broker."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError

from pipeline.config import Settings
from pipeline.errors import TransientError
from pipeline.kafka_security import make_client
from pipeline.publish.producer import make_producer


def _unreachable(settings: Settings, exc: KafkaError) -> TransientError:
    return TransientError(
        f"cannot reach Kafka at {settings.kafka_bootstrap_servers} ({exc}): is it running "
        "(`newsflow stack up kafka`), or is NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS right?"
    )


@contextmanager
def _quiet_bootstrap() -> Iterator[None]:
    """kafka-python logs each failed bootstrap attempt; the error above says it once. A
    long-running consumer keeps the client's warnings once connected."""
    logger = logging.getLogger("kafka")
    level = logger.level
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def connect_consumer(settings: Settings, client_id: str, **config: Any) -> KafkaConsumer:
    """A consumer that never commits on its own: callers commit what they finished."""
    try:
        with _quiet_bootstrap():
            consumer: KafkaConsumer = make_client(
                KafkaConsumer,
                settings,
                client_id=client_id,
                enable_auto_commit=False,
                **config,
            )
            return consumer
    except KafkaError as exc:
        raise _unreachable(settings, exc) from exc


def connect_producer(settings: Settings, client_id: str) -> KafkaProducer:
    """The project's producer settings (acks=all, idempotence on, compression)."""
    try:
        with _quiet_bootstrap():
            return make_producer(settings, client_id=client_id)
    except KafkaError as exc:
        raise _unreachable(settings, exc) from exc
