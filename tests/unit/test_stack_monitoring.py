"""`newsflow stack up --metrics` without starting it: Prometheus and the Pushgateway as stack
components, the generated scrape configuration, the message when Debian's packages are
missing, and where ingestion pushes."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO

from pipeline.cli import main
from pipeline.config import Settings
from pipeline.errors import ConfigError, PrerequisiteError
from pipeline.stack import monitoring
from pipeline.stack.manager import Stack


def test_prometheus_and_the_pushgateway_are_components_only_with_metrics(tmp_path):
    plain = [name for name, _ in Stack(Settings(home=tmp_path)).status()]
    assert plain == ["postgres", "kafka", "airflow", "enricher"]
    metered = Stack(Settings(home=tmp_path, metrics=True, enrichers=2)).status()
    assert [name for name, _ in metered] == [
        "postgres",
        "kafka",
        "pushgateway",
        "prometheus",
        "airflow",
        "enricher-1",
        "enricher-2",
    ]


def test_the_scrape_config_has_every_enricher_the_gateway_and_the_rules(tmp_path):
    settings = Settings(
        home=tmp_path,
        dags_folder=REPO / "dags",
        metrics=True,
        enrichers=3,
        prometheus_port=19990,
        pushgateway_port=19991,
        metrics_port=19464,
    )
    monitoring.prepare(settings, "prometheus")
    written = monitoring.config_file(settings)
    assert written.parent == tmp_path.resolve() / "prometheus"
    config = yaml.safe_load(written.read_text())
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "5s"
    assert config["rule_files"] == [str(REPO / "monitoring" / "alerts.yml")]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    base = 19464
    assert jobs["newsflow_enricher"]["static_configs"] == [
        {"targets": [f"127.0.0.1:{base + i - 1}"], "labels": {"enricher": f"enricher-{i}"}}
        for i in (1, 2, 3)
    ]
    gateway = jobs["pushgateway"]
    assert gateway["honor_labels"] is True
    assert gateway["static_configs"] == [{"targets": ["127.0.0.1:19991"]}]
    command = monitoring.command(settings, "prometheus")
    assert "--web.listen-address=127.0.0.1:19990" in command
    assert f"--storage.tsdb.path={tmp_path.resolve() / 'prometheus' / 'data'}" in command
    pushgateway = monitoring.command(settings, "pushgateway")
    assert "--web.listen-address=127.0.0.1:19991" in pushgateway
    assert f"--persistence.file={tmp_path.resolve() / 'pushgateway' / 'metrics.data'}" in (
        pushgateway
    )


def test_one_enricher_is_scraped_under_its_own_name(tmp_path):
    targets = monitoring.enricher_targets(Settings(home=tmp_path, metrics=True))
    assert targets == [("enricher", 9464)]
    off = Settings(home=tmp_path, metrics=True, metrics_port=0)
    with pytest.raises(ConfigError, match="NEWSFLOW_METRICS_PORT is 0"):
        monitoring.enricher_targets(off)


def test_the_stack_tells_airflow_and_the_enrichers_where_to_push(tmp_path):
    stack = Stack(Settings(home=tmp_path, metrics=True, pushgateway_port=19991))
    url = "http://127.0.0.1:19991"
    assert stack._env("airflow")["NEWSFLOW_PUSHGATEWAY_URL"] == url
    assert stack._env("enricher-2")["NEWSFLOW_PUSHGATEWAY_URL"] == url
    assert "NEWSFLOW_PUSHGATEWAY_URL" not in stack._env("postgres")
    plain = Stack(Settings(home=tmp_path))
    assert monitoring.environment(plain.settings) == {}
    own = Settings(home=tmp_path, metrics=True, pushgateway_url="http://gateway:9091")
    assert monitoring.environment(own) == {}  # the user's wins (settings_env passes it on)


@pytest.mark.parametrize(
    ("component", "package"),
    [("prometheus", "prometheus"), ("pushgateway", "prometheus-pushgateway")],
)
def test_a_missing_package_is_named_before_anything_starts(
    tmp_path, monkeypatch, component, package
):
    monkeypatch.setenv("PATH", str(tmp_path))
    real = monitoring.Path.exists
    monkeypatch.setattr(
        "pipeline.stack.monitoring.Path.exists",
        lambda path: False if str(path).startswith("/usr/bin/") else real(path),
    )
    stack = Stack(Settings(home=tmp_path, metrics=True, prometheus_port=1, pushgateway_port=2))
    with pytest.raises(PrerequisiteError, match=f"apt-get install {package}"):
        stack.up([component])
    assert not (tmp_path / "run" / "stack.json").exists()  # nothing started


def test_stack_up_takes_metrics_and_says_which_package_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(monitoring.shutil, "which", lambda _name: None)
    real = monitoring.Path.exists
    monkeypatch.setattr(
        "pipeline.stack.monitoring.Path.exists",
        lambda path: False if str(path).startswith("/usr/bin/prom") else real(path),
    )
    env = {"NEWSFLOW_HOME": str(tmp_path), "NEWSFLOW_PROMETHEUS_PORT": "1"}
    out = CliRunner().invoke(main, ["stack", "up", "prometheus", "--metrics"], env=env)
    assert out.exit_code != 0
    assert "Debian's prometheus package" in out.output
    assert "NEWSFLOW_METRICS" in out.output
    assert "Traceback" not in out.output
