"""Splitting a polled batch into enriched items and dead letters; what counts as transient."""

from __future__ import annotations

import json

import pytest
from kafka.errors import CommitFailedError, KafkaTimeoutError
from sqlalchemy.exc import DataError, OperationalError
from test_consume_offsets import record
from test_warehouse_rows import cleaned, enriched

from pipeline.consume.batch import enrich_batch
from pipeline.consume.runner import is_transient
from pipeline.errors import NewsflowError, PoisonRecord, TransientError
from pipeline.records import encode

PARIS = {
    "name": "Paris",
    "label": "GPE",
    "canonical": "Paris",
    "count": 1,
    "first_offset": 22,
    "surface_forms": ["Paris"],
}


class FakeEnricher:
    def __init__(self, reject: str = "") -> None:
        self.reject = reject
        self.calls = []

    def enrich_each(self, records):
        self.calls.append(records)
        return [
            PoisonRecord("model choked", stage="enrich")
            if r.title == self.reject
            else enriched(r, [PARIS])
            for r in records
        ]


def test_poison_is_split_off_with_its_stage_and_the_rest_is_enriched_in_one_call():
    good, rejected = cleaned(1), cleaned(2)
    data = json.loads(encode(cleaned(3)))
    batch = [
        record(0, 0, encode(good)),
        record(0, 1, b"{oops"),
        record(0, 2, json.dumps({**data, "schema_version": 2}).encode()),
        record(0, 3, encode(rejected)),
        record(0, 4, json.dumps({k: v for k, v in data.items() if k != "title"}).encode()),
    ]
    enricher = FakeEnricher(reject=rejected.title)

    out = enrich_batch(batch, enricher)
    pairs, dead = out.pairs, out.dead

    assert len(enricher.calls) == 1 and len(enricher.calls[0]) == 2
    assert [
        (r.offset, item.article_id, {e.canonical: e.surface_forms for e in item.entities})
        for r, item in pairs
    ] == [(0, good.article_id, {"Paris": ["Paris"]})]
    assert [(r.offset, stage) for r, _, stage in dead] == [
        (1, "validate"),
        (2, "validate"),
        (4, "validate"),
        (3, "enrich"),
    ]
    assert "title" in dead[2][1] and dead[3][1] == "model choked"


def test_a_batch_of_poison_never_calls_the_enricher():
    enricher = FakeEnricher()
    out = enrich_batch([record(0, 0, None)], enricher)
    pairs, dead = out.pairs, out.dead
    assert (pairs, enricher.calls) == ([], []) and dead[0][2] == "validate"


def test_an_enricher_that_drops_results_is_a_bug_not_poison():
    class Lossy(FakeEnricher):
        def enrich_each(self, records):
            return super().enrich_each(records)[:-1]

    with pytest.raises(NewsflowError, match="one per record"):
        enrich_batch([record(0, 0, encode(cleaned(1))), record(0, 1, encode(cleaned(2)))], Lossy())


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
        (KafkaTimeoutError("Unable to bootstrap"), True),
        (TransientError("broker restarting"), True),
        (DataError("INSERT", {}, Exception("NUL byte")), False),
        (CommitFailedError(), False),
    ],
    ids=["db-down", "kafka-timeout", "transient", "bad-data", "commit-failed"],
)
def test_only_infrastructure_errors_are_retried(exc, transient):
    assert is_transient(exc) is transient
