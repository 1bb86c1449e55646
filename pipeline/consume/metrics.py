"""The enricher's Prometheus metrics (docs/metrics.md lists them; the names are a contract with
the alert rules and the dashboard).

The loop updates them between polls, in its own thread: nothing here does I/O or takes a lock
the consumer waits on, and the HTTP server that serves them (pipeline/jobs/metrics.py) only
reads the registry. Consumer lag comes from what the consumer already knows (the highwater
of the last fetch response and its position), never from a request to the broker: a
kafka-python consumer is not thread-safe, so no scraper thread may touch it.

Labels come from small fixed sets: the topic, a partition number, and a dead letter's cause,
an error class name bounded by `bounded_cause`; never an article id or a URL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

PREFIX = "newsflow_enricher_"
# A class name, not a message: no spaces, dots, slashes or hex ids of 64 characters.
_CAUSE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
OTHER_CAUSE = "other"
MAX_CAUSES = 20  # distinct cause values per process; more fold into "other"

# Seconds. A batch of 500 stores in tens of milliseconds to a few seconds; NER takes a
# millisecond to a second per article.
STORE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
NER_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


def cause_of(exc: BaseException) -> str:
    """What dead-lettered a record: the class of the error underneath (the JSON decoder's,
    the schema validator's, the enricher's own exception), else the error's own class."""
    underneath = exc.__cause__ or exc
    return type(underneath).__name__


def bounded_cause(cause: str, seen: set[str]) -> str:
    """`cause` as a label value, from a bounded set: a class-name shape, and at most
    MAX_CAUSES distinct values (`seen`, updated) before the rest count as "other"."""
    if not _CAUSE.fullmatch(cause):
        return OTHER_CAUSE
    if cause not in seen:
        if len(seen) >= MAX_CAUSES:
            return OTHER_CAUSE
        seen.add(cause)
    return cause


class EnricherMetrics:
    """One enricher process's metrics, registered in `registry` (the process's own)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        # No `*_created` series: they double the series of every counter and histogram, and
        # nothing here reads them (the process's start time is process_start_time_seconds).
        disable_created_metrics()
        self.registry = registry
        self.port: int | None = None  # where they are served, for the log
        self.consumed = Counter(
            PREFIX + "records_consumed",
            "Records read from the cleaned topic and handled (stored or dead-lettered).",
            registry=registry,
        )
        self.stored = Counter(
            PREFIX + "records_stored",
            "Article records written to the warehouse.",
            registry=registry,
        )
        self.near_duplicates = Counter(
            PREFIX + "near_duplicates",
            "Stored records found to be a near-duplicate of an earlier article.",
            registry=registry,
        )
        self.dead_lettered = Counter(
            PREFIX + "dead_lettered",
            "Records sent to the dead-letter topic, by the error class that refused them.",
            ["cause"],
            registry=registry,
        )
        self.store_batch_seconds = Histogram(
            PREFIX + "store_batch_seconds",
            "Time to store one batch: the warehouse transaction with its offsets and the "
            "publishing of the enriched records.",
            buckets=STORE_BUCKETS,
            registry=registry,
        )
        self.ner_seconds = Histogram(
            PREFIX + "ner_seconds",
            "Enrichment time per article (NER, language, near-duplicates), the batch's time "
            "divided by its articles.",
            buckets=NER_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            PREFIX + "consumer_lag",
            "Records behind the end of each assigned partition (end offset minus position).",
            ["topic", "partition"],
            registry=registry,
        )
        self.last_stored = Gauge(
            PREFIX + "last_stored_timestamp_seconds",
            "Unix time at which this process last stored a record.",
            registry=registry,
        )
        self._causes: set[str] = set()
        self._lag_labels: set[tuple[str, str]] = set()

    def enriched(self, articles: int, seconds: float) -> None:
        """A batch's enrichment took `seconds` for `articles` articles."""
        if articles:
            per_article = seconds / articles
            for _ in range(articles):
                self.ner_seconds.observe(per_article)

    def batch_done(
        self,
        *,
        consumed: int,
        stored: int,
        near_duplicates: int,
        causes: Iterable[str],
        store_seconds: float | None,
    ) -> None:
        self.consumed.inc(consumed)
        for cause in causes:
            self.dead_lettered.labels(bounded_cause(cause, self._causes)).inc()
        if store_seconds is not None:
            self.store_batch_seconds.observe(store_seconds)
        if stored:
            self.stored.inc(stored)
            self.near_duplicates.inc(near_duplicates)
            self.last_stored.set(time.time())

    def refresh_lag(self, consumer: KafkaConsumer, skip: Iterable[TopicPartition] = ()) -> None:
        """Lag of each assigned partition from the consumer's own bookkeeping: the highwater
        of its last fetch response and its position. Partitions without both yet (just
        assigned, position pending: `skip`) keep no value; lost ones are removed."""
        pending = set(skip)
        assigned = consumer.assignment()
        for tp in assigned:
            end = consumer.highwater(tp)
            if end is None or tp in pending:
                continue
            try:
                # timeout 0: known positions only, never a wait for the coordinator.
                position = consumer.position(tp, timeout_ms=0)
            except KafkaError:
                continue
            if position is None:
                continue
            labels = (tp.topic, str(tp.partition))
            self.lag.labels(*labels).set(max(0, end - position))
            self._lag_labels.add(labels)
        still = {(tp.topic, str(tp.partition)) for tp in assigned}
        for labels in self._lag_labels - still:
            self.lag.remove(*labels)
        self._lag_labels &= still
