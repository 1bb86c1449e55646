"""`newsflow tail`: the last records of a topic, newest last, as JSON lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

from kafka import KafkaConsumer, TopicPartition

from pipeline.config import Settings
from pipeline.errors import NewsflowError
from pipeline.kafka_security import denied_topic, make_client


def _value(raw: bytes | None) -> object:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")


def tail_topic(settings: Settings, topic: str, count: int) -> Iterator[str]:
    consumer = make_client(
        KafkaConsumer,
        settings,
        enable_auto_commit=False,
        consumer_timeout_ms=3000,
        bootstrap_timeout_ms=10000,
    )
    try:
        parts = consumer.partitions_for_topic(topic)
        if not parts:
            denied_topic(settings, topic)
            raise NewsflowError(f"topic {topic} does not exist (see `newsflow topics`)")
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        remaining = {tp: end[tp] - max(begin[tp], end[tp] - count) for tp in tps}
        for tp in tps:
            consumer.seek(tp, max(begin[tp], end[tp] - count))
        messages = []
        while any(remaining.values()):
            batch = consumer.poll(timeout_ms=3000)
            if not batch:
                break
            for tp, records in batch.items():
                messages.extend(records)
                remaining[tp] = max(0, remaining[tp] - len(records))
        messages.sort(key=lambda m: (m.timestamp, m.partition, m.offset))
        for m in messages[-count:]:
            yield json.dumps(
                {
                    "topic": m.topic,
                    "partition": m.partition,
                    "offset": m.offset,
                    "timestamp": m.timestamp,
                    "key": m.key.decode("utf-8", errors="replace") if m.key else None,
                    "headers": {k: v.decode("utf-8", errors="replace") for k, v in m.headers or []},
                    "value": _value(m.value),
                },
                ensure_ascii=False,
            )
    finally:
        consumer.close()
