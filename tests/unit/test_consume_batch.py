"""Splitting a polled batch into enriched items and dead letters; what counts as transient."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from kafka.errors import CommitFailedError, KafkaTimeoutError
from sqlalchemy.exc import DataError, OperationalError
from test_consume_offsets import record
from test_warehouse_rows import cleaned, enriched

from pipeline.consume.batch import enrich_batch
from pipeline.consume.runner import is_transient
from pipeline.errors import NewsflowError, PoisonRecord, TransientError
from pipeline.records import EnrichedArticle, encode


@dataclass(frozen=True)
class Enriched:  # the shape pipeline.enrich returns
    article: EnrichedArticle
    surface_forms: dict[str, list[str]]


class FakeEnricher:
    def __init__(self, reject: str = "", as_pairs: bool = False) -> None:
        self.reject = reject
        self.as_pairs = as_pairs
        self.calls = []

    def enrich_each(self, records):
        self.calls.append(records)
        out = []
        for r in records:
            article = enriched(r)
            if r.title == self.reject:
                out.append(PoisonRecord("model choked", stage="enrich"))
            elif self.as_pairs:
                out.append((article, {}))
            else:
                out.append(Enriched(article, {"Paris": ["Paris"]}))
        return out


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

    pairs, dead = enrich_batch(batch, enricher)

    assert len(enricher.calls) == 1 and len(enricher.calls[0]) == 2
    assert [(r.offset, item[0].article_id, item[1]) for r, item in pairs] == [
        (0, good.article_id, {"Paris": ["Paris"]})]
    assert [(r.offset, stage) for r, _, stage in dead] == [
        (1, "validate"), (2, "validate"), (4, "validate"), (3, "enrich")]
    assert "title" in dead[2][1] and dead[3][1] == "model choked"


def test_plain_pairs_from_an_enricher_are_accepted():
    pairs, dead = enrich_batch([record(0, 0, encode(cleaned()))], FakeEnricher(as_pairs=True))
    assert not dead and pairs[0][1][1] == {}


def test_a_batch_of_poison_never_calls_the_enricher():
    enricher = FakeEnricher()
    pairs, dead = enrich_batch([record(0, 0, None)], enricher)
    assert (pairs, enricher.calls) == ([], []) and dead[0][2] == "validate"


def test_an_enricher_that_drops_results_is_a_bug_not_poison():
    class Lossy(FakeEnricher):
        def enrich_each(self, records):
            return super().enrich_each(records)[:-1]

    with pytest.raises(NewsflowError, match="one per record"):
        enrich_batch([record(0, 0, encode(cleaned(1))), record(0, 1, encode(cleaned(2)))],
                     Lossy())


@pytest.mark.parametrize(("exc", "transient"), [
    (OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (KafkaTimeoutError("Unable to bootstrap"), True),
    (TransientError("broker restarting"), True),
    (DataError("INSERT", {}, Exception("NUL byte")), False),
    (CommitFailedError(), False),
], ids=["db-down", "kafka-timeout", "transient", "bad-data", "commit-failed"])
def test_only_infrastructure_errors_are_retried(exc, transient):
    assert is_transient(exc) is transient
