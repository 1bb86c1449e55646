"""Ingestion metrics, pushed to a Prometheus Pushgateway at the end of each source's run.

An ingestion run lives inside a short Airflow task (or one `newsflow ingest`): nothing stays
up for Prometheus to scrape, so, as Prometheus advises for batch jobs, each run pushes its
numbers to the Pushgateway, which Prometheus scrapes. Job `newsflow_ingest`, grouping key
`source=<id>`, pushed with POST (`pushadd`): a push replaces only the metrics it carries, so a
failed run, which carries no `last_success_timestamp_seconds`, leaves the last success's time
in place. The enabled sources' count goes under `source="_all"`.

Only with NEWSFLOW_PUSHGATEWAY_URL set. A push that fails (gateway down, refused) is one
warning line in the run's log; the run itself never fails for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from urllib.error import URLError

from prometheus_client import (
    CollectorRegistry,
    Gauge,
    Histogram,
    disable_created_metrics,
    pushadd_to_gateway,
)

from pipeline.config import Settings
from pipeline.jobs.summary import IngestSummary

log = logging.getLogger(__name__)

JOB = "newsflow_ingest"
ALL_SOURCES = "_all"
OUTCOMES = ("discovered", "fetched", "new", "changed", "unchanged", "refused", "failed")
PUSH_TIMEOUT_SECONDS = 5.0  # a gateway that does not answer must not hold up the task
# Seconds per HTTP request (robots.txt, feeds, sitemaps, pages); fetch_timeout_seconds is 20.
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30)


def source_run_registry(
    summary: IngestSummary, fetch_seconds: Iterable[float], *, failed: bool, now: float
) -> CollectorRegistry:
    """The metrics one source's run pushes (docs/metrics.md)."""
    disable_created_metrics()  # no `*_created` series: the run's time is pushed as such
    source = summary.source_id
    registry = CollectorRegistry()
    pages = Gauge(
        "newsflow_ingest_pages",
        "Pages of the source's last run, by outcome.",
        ["source", "outcome"],
        registry=registry,
    )
    for outcome in OUTCOMES:
        pages.labels(source, outcome).set(getattr(summary, outcome))
    latency = Histogram(
        "newsflow_ingest_fetch_seconds",
        "Latency of the HTTP requests of the source's last run.",
        ["source"],
        buckets=FETCH_BUCKETS,
        registry=registry,
    )
    for seconds in fetch_seconds:
        latency.labels(source).observe(seconds)
    Gauge(
        "newsflow_ingest_last_run_timestamp_seconds",
        "Unix time at which the source's last run ended.",
        ["source"],
        registry=registry,
    ).labels(source).set(now)
    Gauge(
        "newsflow_ingest_run_failed",
        "1 if the source's last run failed (every feed and sitemap, or every fetch), else 0.",
        ["source"],
        registry=registry,
    ).labels(source).set(1 if failed else 0)
    if not failed:
        Gauge(
            "newsflow_ingest_last_success_timestamp_seconds",
            "Unix time at which a run of the source last ended without failing.",
            ["source"],
            registry=registry,
        ).labels(source).set(now)
    return registry


def push_source_run(
    settings: Settings, summary: IngestSummary, fetch_seconds: Iterable[float], *, failed: bool
) -> None:
    """Push one source's run, if a gateway is configured; never raises for the gateway."""
    if not settings.pushgateway_url:
        return
    registry = source_run_registry(summary, fetch_seconds, failed=failed, now=time.time())
    _push(settings.pushgateway_url, registry, summary.source_id)


def push_sources_enabled(settings: Settings, count: int) -> None:
    """Push how many sources are enabled (under source="_all"), if a gateway is configured."""
    if not settings.pushgateway_url:
        return
    registry = CollectorRegistry()
    Gauge(
        "newsflow_ingest_sources_enabled",
        "Sources enabled in the sources file at the last run over all of them.",
        registry=registry,
    ).set(count)
    _push(settings.pushgateway_url, registry, ALL_SOURCES)


def _push(url: str, registry: CollectorRegistry, source: str) -> None:
    try:
        pushadd_to_gateway(
            url,
            job=JOB,
            registry=registry,
            grouping_key={"source": source},
            timeout=PUSH_TIMEOUT_SECONDS,
        )
    except (URLError, OSError, ValueError) as exc:
        # URLError covers refused connections and HTTP errors; OSError timeouts.
        reason = getattr(exc, "reason", None) or exc
        log.warning(
            "metrics of source %s not pushed to the Pushgateway at %s (%s); the run goes on",
            source,
            url,
            reason,
        )
