"""The queries of the repository's monitoring files, for the tests that check them: every PromQL
expression of the Grafana dashboard and of the alert rules, and every SQL panel's query, with
Grafana's macros replaced the way Grafana expands them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

MONITORING = Path(__file__).resolve().parents[1] / "monitoring"
DASHBOARD = MONITORING / "grafana" / "newsflow.json"
ALERTS = MONITORING / "alerts.yml"


def panels() -> list[dict]:
    found = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        found += [panel, *panel.get("panels", [])]
    return [panel for panel in found if panel.get("type") != "row"]


def dashboard_promql(rate_interval: str = "1m") -> dict[str, str]:
    """`panel title [refId]` → PromQL, with $__rate_interval as given."""
    return {
        f"{panel['title']} [{target['refId']}]": target["expr"].replace(
            "$__rate_interval", rate_interval
        )
        for panel in panels()
        if panel["datasource"]["type"] == "prometheus"
        for target in panel["targets"]
    }


def dashboard_sql(hours: int = 6) -> dict[str, str]:
    """`panel title [refId]` → SQL as Grafana's PostgreSQL data source runs it over the last
    `hours` hours."""
    found = {}
    for panel in panels():
        if panel["datasource"]["type"] != "grafana-postgresql-datasource":
            continue
        for target in panel["targets"]:
            sql = re.sub(
                r"\$__timeGroupAlias\((\w+),\s*'?(\d+)h'?\)",
                lambda m: (
                    f"floor(extract(epoch from {m[1]})/{3600 * int(m[2])})"
                    f'*{3600 * int(m[2])} AS "time"'
                ),
                target["rawSql"],
            )
            sql = re.sub(
                r"\$__timeFilter\((\w+)\)",
                lambda m: f"{m[1]} BETWEEN now() - interval '{hours} hours' AND now()",
                sql,
            )
            found[f"{panel['title']} [{target['refId']}]"] = sql
    return found


def alert_rules() -> dict[str, str]:
    """Alert name → its expression."""
    loaded = yaml.safe_load(ALERTS.read_text())
    return {rule["alert"]: rule["expr"] for group in loaded["groups"] for rule in group["rules"]}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: newsflow_* (histogram suffixes kept), up and the
    Pushgateway's push_time_seconds."""
    expr = re.sub(r'"[^"]*"', '""', expr)  # label values are not metric names
    names = set(re.findall(r"\b(newsflow_[a-z_]+)\b", expr))
    names |= {"up"} if re.search(r"\bup\s*\{", expr) else set()
    return names | ({"push_time_seconds"} if re.search(r"\bpush_time_seconds\b", expr) else set())


def reads_airflow(expr: str) -> bool:
    """Whether an expression reads the Airflow watchdog's series (job newsflow_airflow), which
    only a stack running Airflow with --metrics has (tests/integration/
    test_airflow_watchdog_metrics.py checks those)."""
    return any(
        name.startswith("newsflow_airflow_") or name == "push_time_seconds"
        for name in metric_names(expr)
    )
