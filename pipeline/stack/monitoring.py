"""Prometheus and the Pushgateway for the local stack (`newsflow stack up --metrics`): Debian's
`prometheus` and `prometheus-pushgateway`, on loopback, their state under NEWSFLOW_HOME.

Prometheus scrapes every enricher process (enricher i serves /metrics on metrics_port + i - 1),
the Pushgateway (ingestion runs are short Airflow tasks: they push, see docs/operations.md)
and itself, every 5 s, and evaluates the repository's alert rules (monitoring/alerts.yml) as
often. Its configuration is generated at each start, so it follows --enrichers.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import httpx
import yaml

from pipeline.config import Settings
from pipeline.errors import ConfigError, PrerequisiteError
from pipeline.stack.enricher_ports import enricher_metrics_port

COMPONENTS = ("pushgateway", "prometheus")
ENRICHER_JOB = "newsflow_enricher"
PUSHGATEWAY_JOB = "pushgateway"
INTERVAL = "5s"  # scrape and rule evaluation: a local stack wants to see a change at once
PACKAGES = {"prometheus": "prometheus", "prometheus-pushgateway": "prometheus-pushgateway"}
EXECUTABLES = {"prometheus": "prometheus", "pushgateway": "prometheus-pushgateway"}


def install_hint(executable: str) -> str:
    package = PACKAGES[executable]
    return (
        f"{executable} not found: `newsflow stack up --metrics` (NEWSFLOW_METRICS) needs "
        f"Debian's {package} package: `sudo apt-get install {package}` (`make test-tools` "
        "installs it as root)"
    )


def executable(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
    )
    if found is None:
        raise PrerequisiteError(install_hint(name))
    return found


def check_installed(component: str) -> None:
    """A PrerequisiteError naming the Debian package when `component`'s program is missing."""
    executable(EXECUTABLES[component])


def rules_file(settings: Settings) -> Path:
    """The repository's alert rules: next to the package (an editable install, the checkout),
    else next to the DAG folder the stack's Airflow reads."""
    import pipeline

    candidates = [
        Path(pipeline.__file__).resolve().parents[1] / "monitoring" / "alerts.yml",
        settings.dags_folder.resolve().parent / "monitoring" / "alerts.yml",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise PrerequisiteError(
        f"no alert rules at {candidates[0]}: start the stack from the newsflow checkout, or "
        "set NEWSFLOW_DAGS_FOLDER to its dags/ folder (monitoring/ is beside it)"
    )


def prometheus_dir(settings: Settings) -> Path:
    return settings.home_dir / "prometheus"


def config_file(settings: Settings) -> Path:
    return prometheus_dir(settings) / "prometheus.yml"


def persistence_file(settings: Settings) -> Path:
    return settings.home_dir / "pushgateway" / "metrics.data"


def pushgateway_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.pushgateway_port}"


def prometheus_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.prometheus_port}"


def enricher_targets(settings: Settings) -> list[tuple[str, int]]:
    """(process name, metrics port) of each enricher the stack runs, named as in `stack
    status`."""
    names = (
        ["enricher"]
        if settings.enrichers == 1
        else [f"enricher-{i}" for i in range(1, settings.enrichers + 1)]
    )
    found = []
    for name in names:
        port = enricher_metrics_port(settings, name)
        if port is None:
            raise ConfigError(
                "NEWSFLOW_METRICS_PORT is 0, so the enrichers serve no metrics for "
                "`stack up --metrics` to scrape: unset it or give it a port"
            )
        found.append((name, port))
    return found


def scrape_config(settings: Settings) -> dict[str, object]:
    """prometheus.yml: one job for the enrichers (a target per process, labelled with its name
    in `stack status`), the Pushgateway with honor_labels (the pushed job and source labels
    win over the gateway's own), and Prometheus itself."""
    return {
        "global": {
            "scrape_interval": INTERVAL,
            "evaluation_interval": INTERVAL,
            "external_labels": {"stack": str(settings.home_dir)},
        },
        "rule_files": [str(rules_file(settings))],
        "scrape_configs": [
            {
                "job_name": ENRICHER_JOB,
                "static_configs": [
                    {"targets": [f"127.0.0.1:{port}"], "labels": {"enricher": name}}
                    for name, port in enricher_targets(settings)
                ],
            },
            {
                "job_name": PUSHGATEWAY_JOB,
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{settings.pushgateway_port}"]}],
            },
            {
                "job_name": "prometheus",
                "static_configs": [{"targets": [f"127.0.0.1:{settings.prometheus_port}"]}],
            },
        ],
    }


def prepare(settings: Settings, name: str) -> None:
    """The executable (a clear message naming the package when it is missing), the data
    directory and, for Prometheus, its configuration."""
    if name == "prometheus":
        executable("prometheus")
        (prometheus_dir(settings) / "data").mkdir(parents=True, exist_ok=True)
        config_file(settings).write_text(
            "# Generated by `newsflow stack up --metrics` at each start; edits are lost.\n"
            + yaml.safe_dump(scrape_config(settings), sort_keys=False)
        )
    else:
        executable("prometheus-pushgateway")
        persistence_file(settings).parent.mkdir(parents=True, exist_ok=True)


def reload(settings: Settings, pid: int) -> None:
    """A running Prometheus rereads its configuration, rewritten for the current settings
    (SIGHUP: Prometheus's reload signal)."""
    prepare(settings, "prometheus")
    os.kill(pid, signal.SIGHUP)


def command(settings: Settings, name: str) -> list[str]:
    """In the foreground (the stack owns its process group), loopback only, logging to
    stdout (logs/<name>.log)."""
    if name == "prometheus":
        data = prometheus_dir(settings) / "data"
        return [
            executable("prometheus"),
            f"--config.file={config_file(settings)}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=15d",
            f"--web.listen-address=127.0.0.1:{settings.prometheus_port}",
        ]
    return [
        executable("prometheus-pushgateway"),
        f"--web.listen-address=127.0.0.1:{settings.pushgateway_port}",
        f"--persistence.file={persistence_file(settings)}",
        "--persistence.interval=30s",
    ]


def port(settings: Settings, name: str) -> int:
    return settings.prometheus_port if name == "prometheus" else settings.pushgateway_port


def ready(settings: Settings, name: str) -> bool:
    """Prometheus: its readiness endpoint (the TSDB is open, the rules loaded); the
    Pushgateway: its own."""
    url = prometheus_url(settings) if name == "prometheus" else pushgateway_url(settings)
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def forget_airflow(settings: Settings, api_url: str) -> str | None:
    """After the stack stopped Airflow on purpose: delete its watchdog's group from the
    Pushgateway it pushed to, so NewsflowAirflowUnwatched does not fire for a stack that is
    down. Returns why it could not, or None (also when there was no Pushgateway)."""
    from pipeline.stack.watchdog_metrics import delete_group

    gateway = settings.pushgateway_url or pushgateway_url(settings)
    if not settings.pushgateway_url and not ready(settings, "pushgateway"):
        return None  # the stack's own gateway is not running: nothing was pushed to keep
    try:
        delete_group(gateway, api_url)
    except (OSError, ValueError) as exc:  # URLError is an OSError
        return f"the Airflow watchdog's metrics were not deleted from {gateway}: {exc}"
    return None


def environment(settings: Settings) -> dict[str, str]:
    """What the stack's Airflow and enrichers get with --metrics: where to push ingestion
    metrics, unless NEWSFLOW_PUSHGATEWAY_URL was set."""
    if not settings.metrics or settings.pushgateway_url:
        return {}
    return {"NEWSFLOW_PUSHGATEWAY_URL": pushgateway_url(settings)}
