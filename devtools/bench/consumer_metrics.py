"""`newsflow bench delivery`'s consumer pair: the real consumer loop (`consume_cleaned`: poll,
decode, enrich, store with the offsets, publish the enriched records) with its Prometheus
metrics on and off, in the same process and run, so "metrics never slow the consumer" is a
figure.

Both variants read the same N records from a scratch topic, each round into a scratch
database of its own (the same inserts every time), under a consumer group of their own,
with the stub enricher (NER would only dilute the difference). "On" serves the metrics over
HTTP as `newsflow consume` does, scraped every SCRAPE_INTERVAL seconds by a thread of the
bench (far more often than Prometheus would); "off" passes no metrics at all. Articles/s run
from the first batch to the last (joining the group is not the loop's speed), and the
process's CPU time per article over the same span, which other processes on a busy machine
disturb far less than the wall clock; variants alternate over ROUNDS rounds and the best round
of each counts.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any
from urllib.request import urlopen

from kafka import KafkaAdminClient

from devtools.stub_enricher import StubEnricher
from pipeline.config import Settings
from pipeline.consume.clients import connect_producer
from pipeline.consume.metrics import EnricherMetrics
from pipeline.consume.runner import consume_cleaned
from pipeline.jobs.metrics import enricher_metrics
from pipeline.kafka_security import make_client
from pipeline.publish.producer import make_producer, publish_records
from pipeline.publish.topics import ensure_topics
from pipeline.records import CleanedArticle, EnrichedArticle

Echo = Callable[..., None]
ROUNDS = 5  # wall-clock rates are noisy on a shared machine; CPU time much less
SCRAPE_INTERVAL = 0.5


class _TimedStub(StubEnricher):
    """The stub enricher, noting when the first batch reached it."""

    def __init__(self) -> None:
        self.first_batch_at: float | None = None
        self.first_batch_cpu = 0.0

    def enrich_each(self, records: Sequence[CleanedArticle]) -> list[EnrichedArticle]:
        if self.first_batch_at is None:
            self.first_batch_at = time.perf_counter()
            self.first_batch_cpu = time.process_time()
        return super().enrich_each(records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _scraped(settings: Settings) -> Iterator[tuple[EnricherMetrics | None, list[int]]]:
    """The metrics served on a free port as `newsflow consume` serves them, and a thread
    scraping them; yields the metrics and the scrape count (a list, filled as it goes)."""
    served = settings.model_copy(update={"metrics_port": _free_port()})
    scrapes = [0]
    stop = threading.Event()
    with enricher_metrics(served) as metrics:

        def scrape() -> None:
            while not stop.wait(SCRAPE_INTERVAL):
                url = f"http://127.0.0.1:{served.metrics_port}/metrics"
                with urlopen(url, timeout=5) as answer:  # noqa: S310 - our own loopback server
                    answer.read()
                scrapes[0] += 1

        thread = threading.Thread(target=scrape, daemon=True)
        thread.start()
        try:
            yield metrics, scrapes
        finally:
            stop.set()
            thread.join(timeout=10)


def _consume_rate(
    settings: Settings, engine_of: Callable[[], Any], topic: str, count: int, metrics_on: bool
) -> tuple[float, float, int]:
    """Articles/s of one consumer run over the scratch topic, this process's CPU time per
    article in ms (every thread: the loop, the Kafka clients', the server's, the scraper's),
    and the scrapes it served."""
    enricher = _TimedStub()
    out_topic = f"{topic}-enriched"
    producer = connect_producer(settings, "newsflow-bench-consumer")
    try:
        with (
            engine_of() as engine,
            _scraped(settings) if metrics_on else nullcontext((None, [0])) as (metrics, scrapes),
        ):
            stats = consume_cleaned(
                settings,
                engine=engine,
                producer=producer,
                enricher=enricher,
                group=f"newsflow-bench-{uuid.uuid4().hex[:8]}",
                client_id="newsflow-bench-consumer",
                max_records=count,
                metrics=metrics,
                topic=topic,
                enriched_topic=out_topic,
            )
            ended = time.perf_counter()
            cpu = time.process_time() - enricher.first_batch_cpu
    finally:
        producer.close(timeout=10)
    if stats.stored != count or enricher.first_batch_at is None:
        raise RuntimeError(f"the bench consumer stored {stats.stored} of {count} records")
    return count / (ended - enricher.first_batch_at), cpu * 1000 / count, scrapes[0]


def bench_consumer_metrics(
    settings: Settings,
    count: int,
    records: Callable[[int, str], list[CleanedArticle]],
    scratch_database: Callable[[Settings], Any],
    echo: Echo,
) -> dict[str, Any]:
    topic = f"newsflow-bench-consume-{uuid.uuid4().hex[:8]}"
    ensure_topics(settings, [topic, f"{topic}-enriched"])
    best = {"on": 0.0, "off": 0.0}
    cpu = {"on": float("inf"), "off": float("inf")}
    scrapes = 0
    try:
        producer = make_producer(settings, client_id="newsflow-bench")
        try:
            publish_records(producer, records(count, "consume"), topic=topic, timeout=600)
        finally:
            producer.close(timeout=10)
        for round_ in range(ROUNDS):
            for variant in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
                rate, cpu_ms, scraped = _consume_rate(
                    settings,
                    lambda: scratch_database(settings),
                    topic,
                    count,
                    metrics_on=variant == "on",
                )
                scrapes += scraped
                echo(
                    f"bench delivery: consumer loop, metrics {variant}, round {round_ + 1}: "
                    f"{rate:,.0f} articles/s, {cpu_ms:.2f} ms CPU per article"
                    + (f" ({scraped} scrapes)" if scraped else ""),
                    err=True,
                )
                best[variant] = max(best[variant], rate)
                cpu[variant] = min(cpu[variant], cpu_ms)
    finally:
        admin = make_client(KafkaAdminClient, settings, "admin")
        try:
            admin.delete_topics([topic, f"{topic}-enriched"])
        finally:
            admin.close()
    return {
        "articles": count,
        "metrics_on_articles_per_s": round(best["on"]),
        "metrics_off_articles_per_s": round(best["off"]),
        "ratio": round(best["on"] / best["off"], 3),
        "metrics_on_cpu_ms_per_article": round(cpu["on"], 3),
        "metrics_off_cpu_ms_per_article": round(cpu["off"], 3),
        "cpu_ratio": round(cpu["on"] / cpu["off"], 3),
        "scrapes": scrapes,
    }
