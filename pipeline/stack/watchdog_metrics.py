"""What the Airflow watchdog sees, pushed to the Pushgateway after each look (every 5 s).

The watchdog (pipeline/stack/watchdog.py) restarts a component that stops heartbeating, and an
API server that stops answering; these series let Prometheus say so, and say when a restart
did not help or Airflow is down:

- `newsflow_airflow_api_up`: 1 when the API server's health endpoint answered, else 0;
- `newsflow_airflow_metadatabase_up`: 1 when Airflow reports its metadata database healthy
  (only while the API server answers);
- `newsflow_airflow_heartbeat_age_seconds{component}`: seconds since the latest heartbeat of
  the scheduler, dag-processor and triggerer (supervisord's program names); a component that
  never heartbeated has no sample;
- `newsflow_airflow_watchdog_restarts_total{component}`: restarts by the watchdog since it
  started, 0 for each component (the api-server too) from the first push on;
- `newsflow_airflow_orphan_workers_stopped_total`: idle LocalExecutor workers of a killed
  scheduler that it stopped.

Job `newsflow_airflow`, grouping key `airflow=<host:port of the API server>`, pushed with PUT:
each push replaces the group, so a component's age disappears with its heartbeat field. The
Pushgateway adds `push_time_seconds`, whose age says the watchdog itself stopped looking.
`newsflow stack down` deletes the group once Airflow has stopped (`delete_group`), so a stack
stopped on purpose leaves no stale series behind.

Only with NEWSFLOW_PUSHGATEWAY_URL in the watchdog's environment (`newsflow stack up
--metrics` sets it for Airflow's supervisord). A push that fails is logged once, and again
only when the failure changes or pushes work again; the watchdog goes on either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from urllib.error import URLError
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, delete_from_gateway, push_to_gateway
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

JOB = "newsflow_airflow"
PUSH_TIMEOUT_SECONDS = 3.0  # the next look comes 5 s later
# The `component` label: supervisord's program names, as `newsflow stack logs` and
# `supervisorctl status` name them. The api-server has no heartbeat: it is restarted when its
# health endpoint stops answering.
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def grouping_key(api_url: str) -> dict[str, str]:
    """The group of the Airflow whose API server is at `api_url`: its host and port."""
    return {"airflow": urlsplit(api_url).netloc or api_url}


def delete_group(gateway: str, api_url: str) -> None:
    """Remove the group of that Airflow from the Pushgateway (raises on failure)."""
    delete_from_gateway(
        gateway, job=JOB, grouping_key=grouping_key(api_url), timeout=PUSH_TIMEOUT_SECONDS
    )


class WatchdogMetrics:
    """The latest look and the counts so far, as a Prometheus collector of its own."""

    def __init__(self, gateway: str, api_url: str, log: Callable[[str], None]):
        self.gateway = gateway
        self.grouping_key = grouping_key(api_url)
        self.log = log
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self.api_up = False
        self.database_up: bool | None = None  # unknown while the API server does not answer
        self.ages: dict[str, float] = {}
        # Every component has its series from the first push on: a counter that appears at 1
        # would show no increase in Prometheus.
        self.restarts: Counter[str] = Counter(dict.fromkeys(COMPONENTS, 0))
        self.orphans_stopped = 0
        self._failure: str | None = None

    def record(
        self,
        health: dict | None,
        ages: dict[str, float | None],
        restarted: list[str],
        orphans_stopped: int,
    ) -> None:
        """One look's outcome: `health` as the endpoint gave it (None: no answer), each
        component's heartbeat age (None: it never heartbeated), the components restarted and
        the workers stopped."""
        self.api_up = health is not None
        self.database_up = (
            None
            if health is None
            else (health.get("metadatabase") or {}).get("status") == "healthy"
        )
        self.ages = {} if health is None else {c: a for c, a in ages.items() if a is not None}
        self.restarts.update(restarted)
        self.orphans_stopped += orphans_stopped

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "newsflow_airflow_api_up",
            "1 when Airflow's API server answered the watchdog's health request, else 0.",
            value=int(self.api_up),
        )
        if self.database_up is not None:
            yield GaugeMetricFamily(
                "newsflow_airflow_metadatabase_up",
                "1 when Airflow reports its metadata database healthy, else 0.",
                value=int(self.database_up),
            )
        ages = GaugeMetricFamily(
            "newsflow_airflow_heartbeat_age_seconds",
            "Seconds since the component's latest heartbeat, as Airflow's health endpoint "
            "reports it.",
            labels=["component"],
        )
        for component, age in sorted(self.ages.items()):
            ages.add_metric([component], round(age, 1))
        yield ages
        restarts = CounterMetricFamily(
            "newsflow_airflow_watchdog_restarts",
            "Components the watchdog restarted because they stopped heartbeating (the "
            "api-server: answering).",
            labels=["component"],
        )
        for program, count in sorted(self.restarts.items()):
            restarts.add_metric([program], count)
        yield restarts
        yield CounterMetricFamily(
            "newsflow_airflow_orphan_workers_stopped",
            "Idle LocalExecutor workers of a scheduler that was gone, stopped by the watchdog.",
            value=self.orphans_stopped,
        )

    def push(self) -> None:
        try:
            push_to_gateway(
                self.gateway,
                job=JOB,
                registry=self.registry,
                grouping_key=self.grouping_key,
                timeout=PUSH_TIMEOUT_SECONDS,
            )
        except (URLError, OSError, ValueError) as exc:
            reason = str(getattr(exc, "reason", None) or exc)
            if reason != self._failure:
                self.log(f"metrics not pushed to the Pushgateway at {self.gateway}: {reason}")
            self._failure = reason
            return
        if self._failure is not None:
            self.log(f"metrics pushed to the Pushgateway at {self.gateway} again")
        self._failure = None
