"""`newsflow stack up --metrics` on a real stack of its own (its own NEWSFLOW_HOME and ports,
Debian's prometheus and prometheus-pushgateway): after N records (some poison) and one
ingestion run over the sample site, Prometheus's query API agrees with the warehouse and the
dead-letter topic; every query of the Grafana dashboard returns data, every SQL panel returns
rows as newsflow_reader; an enricher killed with SIGKILL is `up` 0 and NewsflowEnricherDown
pending or firing.

The alert rules are loaded as they are in the repository (NewsflowEnricherDown has `for: 1m`),
so the test asserts the alert is pending or firing, not that it fires. For the alert rules'
expressions, which compare against thresholds the run does not cross, it asserts that each is a
valid query and that every metric it reads has series.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from monitoring_queries import (
    alert_rules,
    dashboard_promql,
    dashboard_sql,
    metric_names,
    reads_airflow,
)
from pydantic import SecretStr
from side_stack import home_processes, newsflow, side_env, side_settings, stop_side_stack
from sqlalchemy import create_engine, make_url, text
from test_consume_run import publish
from test_delivery_crashes import poison_messages
from test_warehouse_db import make_cleaned

from devtools.sample_site import SampleSite, stories
from pipeline.config import DLT_TOPIC, Settings
from pipeline.publish.topics import topic_offsets
from pipeline.records import encode, headers_for
from pipeline.warehouse.reader_role import READER

pytestmark = pytest.mark.integration
N = 120
POISON = 12
READER_PASSWORD = "reader-" + uuid.uuid4().hex
COMPONENTS = ["postgres", "kafka", "pushgateway", "prometheus", "enricher"]


OFFSET = 600  # side stacks' ports: 500 enrichers, 520 celery, 540 lone, 560 and 570 secure Kafka,
# 580 and 590 PostgreSQL passwords and Connections, 620 cold start, 640 the watchdog's metrics,
# 670 a hung API server


def metrics_settings() -> Settings:
    step = 1000 * int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0")) + OFFSET
    return side_settings(
        "metrics",
        OFFSET,
        enricher="stub",
        topic_partitions=3,
        consumer_session_timeout_seconds=6,
        prometheus_port=9090 + step,
        pushgateway_port=9091 + step,
        reader_password=SecretStr(READER_PASSWORD),
    )


@pytest.fixture(scope="module")
def metered() -> Iterator[tuple[Settings, dict[str, str]]]:
    settings = metrics_settings()
    env = side_env(settings)
    env.pop("NEWSFLOW_ENRICHERS", None)  # the test says how many on the command line
    newsflow(env, "stack", "down")
    # From nothing: the counts compared are the whole warehouse, DLT and Prometheus's.
    shutil.rmtree(settings.home_dir)
    env = side_env(settings)
    try:
        yield settings, env
    finally:
        stop_side_stack(env, settings.home_dir)


class Prometheus:
    def __init__(self, settings: Settings) -> None:
        self.url = f"http://127.0.0.1:{settings.prometheus_port}"

    def query(self, expr: str) -> list[dict]:
        resp = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = resp.json()
        assert resp.status_code == 200 and body["status"] == "success", (expr, body)
        return body["data"]["result"]

    def scalar(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def alerts(self) -> list[dict]:
        return httpx.get(f"{self.url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]

    def wait_for(self, expr: str, want: float, timeout: float = 90) -> float | None:
        """Poll until `expr` equals `want` (the next scrapes), then return what it says."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.scalar(expr)
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(2)


def warehouse_counts(settings: Settings) -> tuple[int, int]:
    """(articles, article versions) in the stack's warehouse."""
    engine = create_engine(settings.database_url())
    try:
        with engine.connect() as conn:
            return tuple(
                conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM articles), "
                        "(SELECT count(*) FROM article_versions)"
                    )
                ).one()
            )
    finally:
        engine.dispose()


def dlt_count(settings: Settings) -> int:
    offsets = topic_offsets(settings, [DLT_TOPIC])[DLT_TOPIC]
    return sum(end - begin for _, begin, end in offsets)


def status_rows(env: dict[str, str]) -> dict[str, list[str]]:
    out = newsflow(env, "stack", "status", timeout=60)
    return {line.split()[0]: line.split() for line in out.stdout.splitlines()[2:] if line.strip()}


def test_prometheus_agrees_with_the_warehouse_and_alerts_on_a_killed_enricher(metered, tmp_path):
    settings, env = metered
    up = newsflow(env, "stack", "up", *COMPONENTS, "--metrics", "--enrichers", "2")
    assert up.returncode == 0, up.stdout + up.stderr
    rows = status_rows(env)
    for name, port in [
        ("prometheus", settings.prometheus_port),
        ("pushgateway", settings.pushgateway_port),
    ]:
        assert rows[name][1:2] == ["running"] and rows[name][3] == str(port), rows
    prometheus = Prometheus(settings)
    # The latency panels are quantiles of a rate, which needs a sample from before the
    # enrichers' first batch (their histograms start at 0): two batches done between two
    # scrapes would leave every rate 0 and each quantile NaN.
    for histogram in ("store_batch_seconds", "ner_seconds"):
        assert prometheus.wait_for(f"count(newsflow_enricher_{histogram}_count)", 2) == 2

    # N records with POISON poison records among them, then one ingestion run that pushes.
    run = uuid.uuid4().hex[:8]
    messages = [
        (a.article_id.encode(), encode(a), headers_for(a))
        for a in (make_cleaned(n, run=run, source_id=f"metrics-{run}") for n in range(N))
    ]
    for i, message in enumerate(poison_messages(run)[:POISON]):
        messages.insert(i * (N // POISON), message)
    publish(settings, messages)
    site = SampleSite().start()
    try:
        sources = site.write_sources_yaml(tmp_path / "sources.yaml", "metrics-site")
        gateway = f"http://127.0.0.1:{settings.pushgateway_port}"
        ingest = newsflow(
            {**env, "NEWSFLOW_PUSHGATEWAY_URL": gateway}, "ingest", "--sources", str(sources)
        )
    finally:
        site.stop()
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    expected = N + len(stories())
    deadline = time.monotonic() + 180
    while warehouse_counts(settings)[0] < expected and time.monotonic() < deadline:
        time.sleep(2)
    articles, versions = warehouse_counts(settings)
    assert articles == versions == expected
    dead = dlt_count(settings)
    assert dead == POISON

    stored = prometheus.wait_for("sum(newsflow_enricher_records_stored_total)", articles)
    assert stored == articles
    lettered = prometheus.wait_for("sum(newsflow_enricher_dead_lettered_total)", dead)
    assert lettered == dead
    consumed = prometheus.scalar("sum(newsflow_enricher_records_consumed_total)")
    assert consumed == articles + dead
    site_pages = prometheus.wait_for(
        'sum(newsflow_ingest_pages{job="newsflow_ingest", source="metrics-site", outcome="new"})',
        len(stories()),
    )
    assert site_pages == len(stories())

    # Every query of the dashboard returns data; the latency percentiles are numbers. A rate
    # needs two samples of a series, and a series such as a new dead-letter cause appears with
    # its first increment: a query may need the next scrapes before it has data.
    deadline = time.monotonic() + 60
    while True:
        empty, nan = [], []
        for title, expr in dashboard_promql(rate_interval="5m").items():
            if reads_airflow(expr):
                continue  # no Airflow in this stack: test_airflow_watchdog_metrics.py
            result = prometheus.query(expr)
            if not result:
                empty.append(title)
            elif all(math.isnan(float(series["value"][1])) for series in result):
                nan.append(title)
        if (not empty and not nan) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert empty == [], empty
    assert nan == [], nan
    # Every alert expression is a valid query, and the metrics it reads have series.
    for name, expr in alert_rules().items():
        prometheus.query(expr)
        if reads_airflow(expr):
            continue  # no Airflow in this stack: test_airflow_watchdog_metrics.py
        for metric in metric_names(expr):
            selector = 'up{job="newsflow_enricher"}' if metric == "up" else metric
            assert prometheus.query(f"count({selector})"), (name, metric)
    # Every SQL panel returns rows as the analysts' read-only role (`db upgrade` gives it the
    # login of NEWSFLOW_READER_PASSWORD, as docs/sql.md says).
    upgraded = newsflow(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    reader = create_engine(
        make_url(settings.database_url()).set(username=READER, password=READER_PASSWORD)
    )
    try:
        with reader.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == READER
            for title, sql in dashboard_sql().items():
                assert conn.execute(text(sql)).all(), title
    finally:
        reader.dispose()

    # SIGKILL one enricher: its target goes down and the enricher-down alert becomes active.
    victim = int(status_rows(env)["enricher-2"][2])
    os.kill(victim, signal.SIGKILL)
    assert prometheus.wait_for('up{job="newsflow_enricher", enricher="enricher-2"}', 0) == 0
    assert prometheus.scalar('up{job="newsflow_enricher", enricher="enricher-1"}') == 1
    deadline = time.monotonic() + 60
    while True:
        active = [
            alert
            for alert in prometheus.alerts()
            if alert["labels"]["alertname"] == "NewsflowEnricherDown"
        ]
        if active or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert [alert["labels"]["enricher"] for alert in active] == ["enricher-2"], active
    assert active[0]["state"] in ("pending", "firing"), active
    print(
        f"\nstored {stored:.0f} = warehouse {articles}, dead-lettered {lettered:.0f} = DLT {dead}, "
        f"{len(dashboard_promql())} dashboard queries and {len(dashboard_sql())} SQL panels with "
        f"data, {len(alert_rules())} alert expressions valid; enricher-2 killed: up 0, "
        f"NewsflowEnricherDown {active[0]['state']}"
    )

    down = newsflow(env, "stack", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "prometheus: stopping" in down.stdout and "pushgateway: stopping" in down.stdout
    assert not home_processes(settings.home_dir)
