"""What a dead letter carries, and how it is shown, without a broker."""

from __future__ import annotations

from test_consume_offsets import record

from pipeline.consume.dlt import MAX_ERROR_CHARS, dead_letter_headers, describe, send_dead_letter


def test_headers_name_the_error_stage_group_and_source_and_keep_the_schema():
    original = record(
        2,
        41,
        headers=[
            ("schema", b"article.cleaned/1"),
            ("content-type", b"application/json"),
            ("traceparent", b"00-abc"),
        ],
    )
    headers = dead_letter_headers(original, "schema violation at title", "validate", "g1")
    assert headers == [
        ("error", b"schema violation at title"),
        ("stage", b"validate"),
        ("consumer.group", b"g1"),
        ("source.topic", b"news.articles.cleaned.v1"),
        ("source.partition", b"2"),
        ("source.offset", b"41"),
        ("schema", b"article.cleaned/1"),
        ("content-type", b"application/json"),
    ]


def test_a_long_error_is_cut_and_a_record_without_headers_is_fine():
    headers = dict(dead_letter_headers(record(0, 1, headers=None), "x" * 10_000, "enrich", "g"))
    assert len(headers["error"]) == MAX_ERROR_CHARS
    assert "schema" not in headers


class Producer:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, topic, **kwargs):
        self.sent.append({"topic": topic, **kwargs})


def test_dead_letter_keeps_the_original_key_and_bytes():
    producer = Producer()
    send_dead_letter(
        producer, record(0, 7, value=b"\xff not json", key=b"id-7"), "bad", "validate", "g"
    )
    [sent] = producer.sent
    assert (sent["topic"], sent["key"], sent["value"]) == (
        "news.articles.cleaned.v1.DLT",
        b"id-7",
        b"\xff not json",
    )


def test_a_record_with_neither_key_nor_value_gets_an_empty_value():
    producer = Producer()
    send_dead_letter(producer, record(0, 7, value=None, key=None), "tombstone", "validate", "g")
    assert producer.sent[0]["value"] == b""


def test_describe_shows_a_dead_letter_for_humans():
    letter = record(
        1,
        3,
        value=b'{"title": "' + "é".encode() * 300,
        key=b"abc",
        headers=dead_letter_headers(record(2, 41), "boom", "enrich", "g"),
    )
    shown = describe(letter)
    assert shown["key"] == "abc" and shown["error"] == "boom" and shown["stage"] == "enrich"
    assert (shown["source_topic"], shown["source_partition"], shown["source_offset"]) == (
        "news.articles.cleaned.v1",
        2,
        41,
    )
    assert shown["value_preview"].startswith('{"title": "é')
    assert len(shown["value_preview"]) <= 200
    assert shown["dead_lettered_at"].startswith("2025-11-28")
