"""A long article (a page near the 5 MiB fetch cap) still fits on the topic."""

from __future__ import annotations

import pytest
from kafka import KafkaConsumer, TopicPartition
from test_warehouse_db import make_cleaned

from pipeline.config import CLEANED_TOPIC
from pipeline.publish.producer import publish_cleaned
from pipeline.records import decode_cleaned

pytestmark = pytest.mark.integration


def test_a_four_megabyte_article_is_published_and_read_back(stack):
    paragraph = "The committee heard evidence from ministers and officials. " * 40
    body = "\n\n".join([paragraph] * 1800)  # ~4.3 MB of text, ~9 MB of JSON with paragraphs
    record = make_cleaned(1, run="large-record", body=body)
    result = publish_cleaned(stack, [record])
    assert result.published == 1 and not result.failed

    consumer = KafkaConsumer(
        bootstrap_servers=stack.kafka_bootstrap_servers,
        enable_auto_commit=False,
        consumer_timeout_ms=10000,
    )
    parts = [TopicPartition(CLEANED_TOPIC, p) for p in consumer.partitions_for_topic(CLEANED_TOPIC)]
    consumer.assign(parts)
    end = consumer.end_offsets(parts)
    for tp in parts:
        consumer.seek(tp, max(0, end[tp] - 1))
    found = [m for m in consumer if m.key == record.article_id.encode()]
    consumer.close()
    assert found, "the large record is not on the topic"
    assert decode_cleaned(found[0].value).text == body
