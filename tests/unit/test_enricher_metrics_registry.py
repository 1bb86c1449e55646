"""The enricher's metrics: the agreed names and types, labels from bounded sets, lag from the
consumer's own bookkeeping, one port per stack enricher, a taken port named by its setting."""

from __future__ import annotations

import json
import socket

import pytest
from kafka import TopicPartition
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.consume.metrics import (
    MAX_CAUSES,
    OTHER_CAUSE,
    EnricherMetrics,
    bounded_cause,
    cause_of,
)
from pipeline.errors import ConfigError, PoisonRecord
from pipeline.jobs.metrics import enricher_metrics
from pipeline.stack.enricher_ports import enricher_env, enricher_metrics_port

# shared-names.md: the alert rules and the dashboard are written on these.
AGREED = {
    "newsflow_enricher_records_consumed": ("counter", set()),
    "newsflow_enricher_records_stored": ("counter", set()),
    "newsflow_enricher_near_duplicates": ("counter", set()),
    "newsflow_enricher_dead_lettered": ("counter", {"cause"}),
    "newsflow_enricher_store_batch_seconds": ("histogram", set()),
    "newsflow_enricher_ner_seconds": ("histogram", set()),
    "newsflow_enricher_consumer_lag": ("gauge", {"topic", "partition"}),
    "newsflow_enricher_last_stored_timestamp_seconds": ("gauge", set()),
}


class FakeConsumer:
    """What refresh_lag reads of a kafka-python consumer: its assignment, highwater marks and
    positions (pure bookkeeping; the real consumer is in the integration test)."""

    def __init__(self, marks: dict[int, int | None], positions: dict[int, int]) -> None:
        self.marks, self.positions = marks, positions

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("t", p) for p in self.marks}

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.marks[tp.partition]

    def position(self, tp: TopicPartition, timeout_ms: int | None = None) -> int:
        assert timeout_ms == 0, "the loop never waits for a position"
        return self.positions[tp.partition]


def _families(registry: CollectorRegistry) -> dict[str, object]:
    from prometheus_client import generate_latest

    text = generate_latest(registry).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def _samples(registry: CollectorRegistry, name: str) -> dict[tuple, float]:
    family = _families(registry)[name]
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples}  # type: ignore[attr-defined]


def test_the_metric_names_types_and_labels_are_the_agreed_ones():
    registry = CollectorRegistry()
    metrics = EnricherMetrics(registry)
    metrics.batch_done(
        consumed=3, stored=2, near_duplicates=1, causes=["JSONDecodeError"], store_seconds=0.2
    )
    metrics.enriched(2, 0.01)
    metrics.refresh_lag(FakeConsumer({0: 10}, {0: 7}))
    families = _families(registry)
    assert {name: (f.type, set()) for name, f in families.items()}.keys() == AGREED.keys()
    for name, (kind, labels) in AGREED.items():
        family = families[name]
        assert family.type == kind, name
        sample_labels = {k for s in family.samples for k in s.labels if k not in ("le",)}
        assert sample_labels == labels, name
    text = json.dumps([s.name for f in families.values() for s in f.samples])
    assert "newsflow_enricher_records_consumed_total" in text
    assert "newsflow_enricher_store_batch_seconds_bucket" in text


def test_a_batch_counts_consumed_stored_duplicates_causes_and_the_time_it_stored():
    registry = CollectorRegistry()
    metrics = EnricherMetrics(registry)
    metrics.batch_done(
        consumed=5,
        stored=3,
        near_duplicates=1,
        causes=["JSONDecodeError", "ValidationError", "JSONDecodeError"],
        store_seconds=0.5,
    )
    metrics.batch_done(consumed=1, stored=0, near_duplicates=0, causes=[], store_seconds=None)
    assert registry.get_sample_value("newsflow_enricher_records_consumed_total") == 6
    assert registry.get_sample_value("newsflow_enricher_records_stored_total") == 3
    assert registry.get_sample_value("newsflow_enricher_near_duplicates_total") == 1
    dead = _samples(registry, "newsflow_enricher_dead_lettered")
    assert {k: v for k, v in dead.items() if k and k[0][0] == "cause"} == {
        (("cause", "JSONDecodeError"),): 2,
        (("cause", "ValidationError"),): 1,
    }
    assert registry.get_sample_value("newsflow_enricher_store_batch_seconds_count") == 1
    assert registry.get_sample_value("newsflow_enricher_last_stored_timestamp_seconds") > 0


def test_ner_time_is_observed_per_article():
    registry = CollectorRegistry()
    EnricherMetrics(registry).enriched(4, 2.0)
    assert registry.get_sample_value("newsflow_enricher_ner_seconds_count") == 4
    assert registry.get_sample_value("newsflow_enricher_ner_seconds_sum") == pytest.approx(2.0)


@pytest.mark.parametrize(
    "cause",
    [
        "https://example.org/news/2026/12/06/a-story.html",
        "3f2a" * 16,  # an article id
        "schema violation at title: Field required",
        "pipeline.errors.PoisonRecord",
        "",
    ],
)
def test_a_cause_that_is_not_a_class_name_is_other(cause):
    assert bounded_cause(cause, set()) == OTHER_CAUSE


def test_causes_beyond_the_bound_fold_into_other():
    seen: set[str] = set()
    names = [f"Error{n}" for n in range(MAX_CAUSES + 5)]
    labels = [bounded_cause(name, seen) for name in names]
    assert labels[:MAX_CAUSES] == names[:MAX_CAUSES]
    assert set(labels[MAX_CAUSES:]) == {OTHER_CAUSE}
    assert bounded_cause("Error0", seen) == "Error0"  # a known one still counts as itself
    assert len(seen) == MAX_CAUSES


def test_the_cause_is_the_error_underneath_a_poison_record():
    try:
        try:
            json.loads("{oops")
        except ValueError as exc:
            raise PoisonRecord("value is not UTF-8 JSON") from exc
    except PoisonRecord as poison:
        assert cause_of(poison) == "JSONDecodeError"
    assert cause_of(PoisonRecord("message has no value (tombstone)")) == "PoisonRecord"


def test_the_dead_lettered_labels_stay_bounded_whatever_the_errors_say():
    registry = CollectorRegistry()
    metrics = EnricherMetrics(registry)
    urls = [f"https://example.org/{n}" for n in range(100)]
    metrics.batch_done(consumed=100, stored=0, near_duplicates=0, causes=urls, store_seconds=None)
    dead = _samples(registry, "newsflow_enricher_dead_lettered")
    assert {k: v for k, v in dead.items() if k and k[0][0] == "cause"} == {
        (("cause", OTHER_CAUSE),): 100
    }


def test_lag_is_end_minus_position_per_assigned_partition_and_lost_partitions_go():
    registry = CollectorRegistry()
    metrics = EnricherMetrics(registry)
    consumer = FakeConsumer({0: 10, 1: 5, 2: None}, {0: 7, 1: 5, 2: 0})
    metrics.refresh_lag(consumer)
    lag = "newsflow_enricher_consumer_lag"
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "0"}) == 3
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "1"}) == 0
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "2"}) is None
    # A rebalance took partition 0 away; partition 1 is pending (its position not set yet).
    metrics.refresh_lag(FakeConsumer({1: 9, 2: 4}, {1: 0, 2: 1}), skip=[TopicPartition("t", 1)])
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "0"}) is None
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "1"}) == 0  # kept
    assert registry.get_sample_value(lag, {"topic": "t", "partition": "2"}) == 3


def test_each_stack_enricher_has_its_own_port_and_zero_turns_them_off():
    settings = Settings(metrics_port=9500)
    assert enricher_metrics_port(settings, "enricher") == 9500
    assert enricher_metrics_port(settings, "enricher-1") == 9500
    assert enricher_metrics_port(settings, "enricher-3") == 9502
    assert enricher_env(settings, "enricher-2") == {"NEWSFLOW_METRICS_PORT": "9501"}
    off = Settings(metrics_port=0)
    assert enricher_metrics_port(off, "enricher-3") is None
    assert enricher_env(off, "enricher-3") == {}
    with pytest.raises(ValidationError):
        Settings(metrics_port=-1)


def test_a_taken_metrics_port_names_the_setting_that_moves_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(ConfigError, match=f"port {port} .*NEWSFLOW_METRICS_PORT"),
            enricher_metrics(Settings(metrics_port=port)),
        ):
            pass


def test_metrics_port_zero_serves_nothing():
    with enricher_metrics(Settings(metrics_port=0)) as metrics:
        assert metrics is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _other_loopback_bind(port: int) -> bool:
    """Whether 127.0.0.2:port can be bound: yes when the server holds 127.0.0.1 only, no when
    it holds every interface."""
    with socket.socket() as other:
        try:
            other.bind(("127.0.0.2", port))
        except OSError:
            return False
        return True


def test_the_metrics_server_binds_loopback_unless_told_otherwise():
    port = _free_port()
    with enricher_metrics(Settings(metrics_port=port)) as metrics:
        assert metrics is not None
        assert _other_loopback_bind(port)
    port = _free_port()
    with enricher_metrics(Settings(metrics_port=port, metrics_host="0.0.0.0")):
        assert not _other_loopback_bind(port)
