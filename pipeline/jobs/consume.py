"""The enricher service's job (`newsflow consume`, the stack's enricher): it opens the
warehouse engine and the producer, picks the enricher and wires the near-duplicate index on
that engine, then runs the consume stage's loop."""

from __future__ import annotations

import logging
import os
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.jobs.engines import warehouse_engine

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipeline.consume.metrics import EnricherMetrics
    from pipeline.consume.runner import ConsumeStats
    from pipeline.enrich.port import ArticleEnricher

log = logging.getLogger(__name__)


def make_enricher(settings: Settings, engine: Engine | None = None) -> ArticleEnricher:
    """spaCy NER with the near-duplicate index in the warehouse of `engine` (in memory without
    one), or another enricher named by NEWSFLOW_ENRICHER: the development tools register the
    delivery tests' stand-in, `stub`, under the `newsflow.enrichers` entry point, so an
    installed newsflow does not contain it."""
    if settings.enricher != "spacy":
        from pipeline.errors import ConfigError
        from pipeline.plugins import DEV_INSTALL, ENRICHERS, registered

        point = registered(ENRICHERS).get(settings.enricher)
        if point is None:
            raise ConfigError(
                f"NEWSFLOW_ENRICHER={settings.enricher} needs {DEV_INSTALL}; unset it for spaCy"
            )
        log.warning(
            "NEWSFLOW_ENRICHER=%s: entities are capitalized words, not NER "
            "(for delivery tests only)",
            settings.enricher,
        )
        return point.load()()
    from pipeline.enrich import Enricher  # loads spaCy: only when needed

    if engine is None:
        return Enricher()
    from pipeline.warehouse.dedup import WarehouseDuplicateIndex

    return Enricher(duplicates=WarehouseDuplicateIndex(engine))


def run_consumer(
    settings: Settings,
    *,
    group: str | None = None,
    max_records: int | None = None,
    idle_exit: float | None = None,
    enricher: ArticleEnricher | None = None,
    stop_event: threading.Event | None = None,
    install_signal_handlers: bool = False,
    serve_metrics: bool = False,
    metrics: EnricherMetrics | None = None,
) -> ConsumeStats:
    """Run one enricher on the cleaned topic (see `consume_cleaned`); `enricher` replaces the
    configured one (tests). `serve_metrics` (the `newsflow consume` process): serve its
    metrics on NEWSFLOW_METRICS_PORT, which must be free, before anything else starts;
    `metrics`: update these instead (benchmarks)."""
    from pipeline.consume.clients import connect_producer
    from pipeline.consume.runner import consume_cleaned, consumer_client_id
    from pipeline.jobs.metrics import enricher_metrics

    group = group or settings.consumer_group
    client_id = consumer_client_id(group)
    with ExitStack() as stack:
        if serve_metrics:
            metrics = stack.enter_context(enricher_metrics(settings))
        # pid first: PostgreSQL cuts application names at 63 bytes.
        engine = stack.enter_context(
            warehouse_engine(settings, f"newsflow-consume pid {os.getpid()} {group}")
        )
        enricher = enricher or make_enricher(settings, engine)
        producer = connect_producer(settings, client_id)
        try:
            return consume_cleaned(
                settings,
                engine=engine,
                producer=producer,
                enricher=enricher,
                group=group,
                client_id=client_id,
                max_records=max_records,
                idle_exit=idle_exit,
                stop_event=stop_event,
                install_signal_handlers=install_signal_handlers,
                metrics=metrics,
            )
        finally:
            producer.close(timeout=10)
