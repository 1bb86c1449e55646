"""The Airflow watchdog's series, end to end: `newsflow stack up --metrics` on a stack of its own
(PostgreSQL, Airflow, the Pushgateway and Prometheus; side_settings offset 640). The watchdog
pushes Airflow's health, Prometheus scrapes it with the pushed labels, a hung scheduler's
restart counts, and `stack down airflow` deletes the group once Airflow is stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator

import httpx
import pytest
from airflow_support import eventually_watched as eventually
from airflow_support import scheduler_pids
from monitoring_queries import alert_rules, dashboard_promql, metric_names, reads_airflow
from prometheus_client.parser import text_string_to_metric_families
from side_stack import newsflow, side_env, side_settings, stop_side_stack

from pipeline.config import Settings
from pipeline.stack.watchdog_metrics import JOB

pytestmark = pytest.mark.integration

OFFSET = 640


@pytest.fixture(scope="module")
def watched() -> Iterator[tuple[Settings, dict[str, str]]]:
    step = 1000 * int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0")) + OFFSET
    settings = side_settings(
        "watchdog", OFFSET, prometheus_port=9090 + step, pushgateway_port=9091 + step
    )
    env = side_env(settings)
    newsflow(env, "stack", "down")
    # From nothing: Prometheus and the Pushgateway keep what earlier runs pushed (a restart
    # counted within the hour would make the rules fire).
    shutil.rmtree(settings.home_dir)
    env = side_env(settings)
    try:
        up = newsflow(
            env,
            "stack",
            "up",
            "postgres",
            "pushgateway",
            "prometheus",
            "airflow",
            "--metrics",
            timeout=600,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        yield settings, env
    finally:
        stop_side_stack(env, settings.home_dir)


def gateway_samples(settings: Settings) -> dict[tuple[str, tuple], float]:
    """(name, sorted labels) → value of the Pushgateway's newsflow_airflow_ samples."""
    text = httpx.get(f"http://127.0.0.1:{settings.pushgateway_port}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("newsflow_airflow_") and sample.labels.get("job") == JOB
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    found = [
        v for (n, got), v in samples.items() if n == name and labels.items() <= dict(got).items()
    ]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


def query(settings: Settings, expr: str) -> list[dict]:
    answer = httpx.get(
        f"http://127.0.0.1:{settings.prometheus_port}/api/v1/query",
        params={"query": expr},
        timeout=10,
    ).json()
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_the_watchdog_reports_airflow_healthy_and_prometheus_has_it(watched):
    settings, _env = watched
    instance = f"127.0.0.1:{settings.airflow_port}"

    def healthy():
        samples = gateway_samples(settings)
        age = value(samples, "newsflow_airflow_heartbeat_age_seconds", component="scheduler")
        return samples if age is not None and age < 60 else None

    samples = eventually(healthy, 120, "a pushed scheduler heartbeat", settings)
    assert value(samples, "newsflow_airflow_api_up", airflow=instance) == 1
    assert value(samples, "newsflow_airflow_metadatabase_up", airflow=instance) == 1
    for component in ("scheduler", "dag-processor", "triggerer"):
        age = value(samples, "newsflow_airflow_heartbeat_age_seconds", component=component)
        assert age is not None and 0 <= age < 60, (component, age)
        restarts = value(samples, "newsflow_airflow_watchdog_restarts_total", component=component)
        assert restarts == 0, (component, restarts)
    # Scraped with the pushed labels (honor_labels), as the alert rules select them; the
    # first scrapes may still hold the pushes from before the API server answered.
    selector = f'{{job="{JOB}", airflow="{instance}"}}'

    def scraped():
        up = query(settings, f"newsflow_airflow_api_up{selector} == 1")
        ages = query(settings, f"newsflow_airflow_heartbeat_age_seconds{selector}")
        components = sorted(r["metric"]["component"] for r in ages)
        return components if up and len(components) == 3 else None

    components = eventually(scraped, 60, "Prometheus to scrape a healthy Airflow", settings)
    assert components == ["dag-processor", "scheduler", "triggerer"]


def test_the_dashboards_airflow_panels_and_the_airflow_rules_have_data(watched):
    settings, _env = watched
    panels = {
        title: expr
        for title, expr in dashboard_promql(rate_interval="5m").items()
        if reads_airflow(expr)
    }
    assert len(panels) == 6, sorted(panels)  # heartbeat age, up ×2, restarts ×2, last report

    def empty() -> list[str]:
        return [title for title, expr in panels.items() if not query(settings, expr)]

    eventually(lambda: not empty(), 90, "data in every Airflow panel", settings)
    rules = {name: expr for name, expr in alert_rules().items() if reads_airflow(expr)}
    assert sorted(rules) == [
        "NewsflowAirflowComponentStale",
        "NewsflowAirflowDown",
        "NewsflowAirflowRestartedByWatchdog",
        "NewsflowAirflowUnwatched",
    ]
    for name, expr in rules.items():
        assert query(settings, expr) == [], name  # valid, and quiet on a healthy Airflow
        for metric in metric_names(expr):
            selector = f'{metric}{{job="{JOB}"}}'
            assert query(settings, f"count({selector})"), (name, metric)


def test_a_restart_by_the_watchdog_is_counted(watched):
    settings, _env = watched
    (before,) = scheduler_pids(settings)
    os.kill(before, signal.SIGSTOP)  # alive to supervisord, no more heartbeats
    try:
        samples = eventually(
            lambda: (
                s
                if value(
                    s := gateway_samples(settings),
                    "newsflow_airflow_watchdog_restarts_total",
                    component="scheduler",
                )
                == 1
                else None
            ),
            300,
            "the scheduler's restart to be counted",
            settings,
        )
    finally:
        try:
            os.kill(before, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert value(samples, "newsflow_airflow_watchdog_restarts_total", component="triggerer") == 0
    assert before not in scheduler_pids(settings)
    # The restarted scheduler heartbeats again, and the pushed age says so.
    eventually(
        lambda: (
            (
                age := value(
                    gateway_samples(settings),
                    "newsflow_airflow_heartbeat_age_seconds",
                    component="scheduler",
                )
            )
            is not None
            and age < 30
        ),
        180,
        "the new scheduler's heartbeat",
        settings,
    )


def test_stopping_airflow_deletes_the_watchdogs_group(watched):
    settings, env = watched
    assert gateway_samples(settings), "nothing pushed before the stop"
    down = newsflow(env, "stack", "down", "airflow")
    assert down.returncode == 0, down.stdout + down.stderr
    assert gateway_samples(settings) == {}
