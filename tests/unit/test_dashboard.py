"""The Grafana dashboard (monitoring/grafana/newsflow.json) without a Grafana: it has the panels
an operator needs, every PromQL expression parses (promtool checks them as recording rules) and
reads only metrics newsflow exports, and it picks its data sources through variables, so it
imports into any Grafana."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml
from monitoring_queries import (
    DASHBOARD,
    alert_rules,
    dashboard_promql,
    dashboard_sql,
    metric_names,
    panels,
)

# docs/metrics.md; histograms are read through their _bucket series.
EXPORTED = {
    "up",
    "newsflow_enricher_records_consumed_total",
    "newsflow_enricher_records_stored_total",
    "newsflow_enricher_near_duplicates_total",
    "newsflow_enricher_dead_lettered_total",
    "newsflow_enricher_store_batch_seconds_bucket",
    "newsflow_enricher_ner_seconds_bucket",
    "newsflow_enricher_consumer_lag",
    "newsflow_enricher_last_stored_timestamp_seconds",
    "newsflow_ingest_pages",
    "newsflow_ingest_fetch_seconds_bucket",
    "newsflow_ingest_last_run_timestamp_seconds",
    "newsflow_ingest_last_success_timestamp_seconds",
    "newsflow_ingest_run_failed",
    "newsflow_ingest_sources_enabled",
    "newsflow_airflow_api_up",
    "newsflow_airflow_metadatabase_up",
    "newsflow_airflow_heartbeat_age_seconds",
    "newsflow_airflow_watchdog_restarts_total",
    "newsflow_airflow_orphan_workers_stopped_total",
    "push_time_seconds",  # the Pushgateway's, per group: how old the watchdog's last push is
}


def test_every_promql_expression_parses(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: run `make test-tools` (installs Debian's prometheus)")
    queries = dashboard_promql()
    rules = [{"record": f"dashboard:query_{i}", "expr": q} for i, q in enumerate(queries.values())]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules)} rules found" in checked.stdout


def test_the_dashboard_and_the_rules_read_only_exported_metrics():
    for where, expr in [*dashboard_promql().items(), *alert_rules().items()]:
        names = metric_names(expr)
        assert names, where
        assert names <= EXPORTED, (where, names - EXPORTED)
    used = set().union(*(metric_names(q) for q in dashboard_promql().values()))
    assert used == EXPORTED  # every metric has a panel


def test_the_dashboard_has_the_operators_panels():
    queries = dashboard_promql()
    joined = "\n".join(queries.values())
    assert "rate(newsflow_enricher_records_stored_total" in joined
    assert "rate(newsflow_enricher_records_consumed_total" in joined
    assert "sum by (cause) (rate(newsflow_enricher_dead_lettered_total" in joined
    assert 'newsflow_ingest_pages{outcome="failed"}' in joined
    for histogram in ("store_batch_seconds", "ner_seconds", "fetch_seconds"):
        assert any(
            q.startswith("histogram_quantile(0.95") and histogram in q for q in queries.values()
        ), histogram
    assert "sum by (source, outcome) (newsflow_ingest_pages)" in joined
    sql = dashboard_sql()
    assert any("FROM articles" in q and "source_id" in q for q in sql.values())
    assert all("$__" not in q for q in [*sql.values(), *dashboard_promql().values()])


def test_panels_choose_their_data_source_through_the_dashboard_variables():
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["prometheus"]["query"] == "prometheus"
    assert variables["warehouse"]["query"] == "grafana-postgresql-datasource"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["datasource"]["uid"] in ("${prometheus}", "${warehouse}"), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], panel["title"]
