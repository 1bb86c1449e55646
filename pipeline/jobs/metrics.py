"""The enricher process's metrics server: one registry per process, served over HTTP on
NEWSFLOW_METRICS_PORT (0: no server).

The registry is the process's own, not prometheus_client's global default: only what this
process registers on purpose is exposed (no library's import-time metrics), and a benchmark
or a test can build two in one interpreter without clashing names. It adds the standard
process collector (memory, CPU, open files, start time), which a Prometheus user expects
from every target. The server listens on every interface, like any exporter, so a Prometheus
on another host or container can scrape it; it serves only counts and timings.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.errors import ConfigError

if TYPE_CHECKING:
    from pipeline.consume.metrics import EnricherMetrics


PORT_SETTING = "NEWSFLOW_METRICS_PORT"


def port_taken_message(port: int) -> str:
    return (
        f"metrics port {port} is in use by another process: set {PORT_SETTING} to a free "
        "port (0 turns the metrics server off)"
    )


@contextmanager
def enricher_metrics(settings: Settings) -> Iterator[EnricherMetrics | None]:
    """The process's enricher metrics, served on `settings.metrics_port` while the context
    lasts; None when the port is 0. A port already taken is a ConfigError naming the
    setting, raised before anything else starts."""
    from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server

    from pipeline.consume.metrics import EnricherMetrics

    port = settings.metrics_port
    if port == 0:
        yield None
        return
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    metrics = EnricherMetrics(registry)
    try:
        server, thread = start_http_server(port, addr=settings.metrics_host, registry=registry)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(port_taken_message(port)) from exc
        raise ConfigError(
            f"cannot serve metrics on port {port} ({exc}); see {PORT_SETTING}"
        ) from exc
    metrics.port = port
    try:
        yield metrics
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
