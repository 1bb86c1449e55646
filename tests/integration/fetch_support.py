"""Helpers of the fetch and ingest integration tests: the local HTTP server, Kafka, fetch_log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from pipeline.config import CLEANED_TOPIC, Settings

# local_http lives with the unit tests (tests/ has no shared helper package yet).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

from local_http import (  # noqa: E402
    LocalServer,
    Reply,
    article_html,
    conditional_page,
    stream_then_close,
)

__all__ = [
    "LocalServer",
    "Reply",
    "article_html",
    "conditional_page",
    "stream_then_close",
    "end_offsets",
    "records_since",
    "fetch_log",
    "query",
    "execute",
    "forget_site",
]


def _consumer(settings: Settings) -> tuple[KafkaConsumer, list[TopicPartition]]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    parts = [
        TopicPartition(CLEANED_TOPIC, p)
        for p in sorted(consumer.partitions_for_topic(CLEANED_TOPIC) or [])
    ]
    return consumer, parts


def end_offsets(settings: Settings) -> dict[TopicPartition, int]:
    """Where the cleaned topic ends now: pass to `records_since` after a run."""
    consumer, parts = _consumer(settings)
    try:
        return consumer.end_offsets(parts)
    finally:
        consumer.close()


def records_since(settings: Settings, start: dict[TopicPartition, int]) -> list[dict]:
    """Every cleaned record published after `start`, decoded."""
    consumer, parts = _consumer(settings)
    try:
        consumer.assign(parts)
        for part in parts:
            consumer.seek(part, start.get(part, 0))
        end = consumer.end_offsets(parts)
        records = []
        while any(consumer.position(p) < end[p] for p in parts):
            for batch in consumer.poll(timeout_ms=3000).values():
                records.extend(
                    json.loads(m.value)
                    for m in batch
                    if m.offset < end[TopicPartition(m.topic, m.partition)]
                )
        return records
    finally:
        consumer.close()


def rss(*links: str) -> bytes:
    """An RSS feed listing `links`."""
    items = "".join(f"<item><title>{link}</title><link>{link}</link></item>" for link in links)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    ).encode()


def query(settings: Settings, sql: str, **params: object) -> list:
    engine = create_engine(settings.database_url())
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params))
    finally:
        engine.dispose()


def execute(settings: Settings, sql: str, **params: object) -> None:
    engine = create_engine(settings.database_url())
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def fetch_log(settings: Settings, source_id: str) -> list:
    """The fetch_log rows of a source, in the order they were made."""
    return query(
        settings,
        "SELECT url, status, bytes, duration_ms, outcome, error, fetched_at "
        "FROM fetch_log WHERE source_id = :source ORDER BY fetched_at, id",
        source=source_id,
    )


def forget_site(settings: Settings, server: LocalServer) -> LocalServer:
    """Drop what the warehouse remembers of an earlier server on the same port (robots.txt for
    24 hours, page validators): test servers get reused ephemeral ports, and a kept test stack
    outlives the session that stored them."""
    origin = server.url("")
    execute(settings, "DELETE FROM robots_txt WHERE origin = :o", o=origin)
    execute(settings, "DELETE FROM fetch_state WHERE starts_with(url, :o)", o=origin + "/")
    return server
