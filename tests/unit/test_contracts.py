"""Guard rails: schema drift, DAG integrity, the compose file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipeline.records import CleanedArticle, Extractor, Paragraph, content_hash
from pipeline.schemas import SCHEMA_FILES, render

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("filename", sorted(SCHEMA_FILES))
def test_checked_in_schema_matches_the_model(filename):
    model, name = SCHEMA_FILES[filename]
    checked_in = (REPO / "schemas" / filename).read_text()
    assert checked_in == render(model, name), "schemas drifted: run `newsflow schemas`"


def test_a_record_validates_against_the_cleaned_schema():
    from datetime import UTC, datetime

    text = "First paragraph.\n\nSecond paragraph."
    record = CleanedArticle(
        article_id="a" * 64,
        url="https://x.test/a",
        canonical_url="https://x.test/a",
        source_id="x",
        title="T",
        fetched_at=datetime.now(UTC),
        text=text,
        paragraphs=[Paragraph(text="First paragraph."), Paragraph(text="Second paragraph.")],
        word_count=4,
        content_hash=content_hash(text),
        extractor=Extractor(name="t", version="1"),
    )
    schema = json.loads((REPO / "schemas" / "article.cleaned.v1.json").read_text())
    jsonschema.validate(json.loads(record.model_dump_json()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**json.loads(record.model_dump_json()), "word_count": -1}, schema)


DAGS = {
    "news_ingest": ["ingest", "list_sources", "report"],
    "news_backfill": ["backfill", "plan", "report"],
    "news_maintenance": [
        "apply_retention",
        "check_source_health",
        "refresh_rollups",
        "report_dead_letters",
    ],
}


@pytest.mark.parametrize("dag_id", sorted(DAGS))
def test_dag_file_is_thin_and_configured(tmp_path, dag_id):
    # A fresh interpreter, so modules imported by other tests don't hide a heavy import.
    code = (
        "import sys, importlib.util\n"
        f"sys.path.append({str(REPO / 'dags')!r})  # as Airflow does for its DAG folder\n"
        f"spec = importlib.util.spec_from_file_location('d', {str(REPO / 'dags' / f'{dag_id}.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "heavy = sorted(n for n in sys.modules if n.startswith(('pipeline', 'spacy', 'kafka', 'bs4')))\n"
        f"d = m.{dag_id}()\n"
        "import json\n"
        "print(json.dumps({'heavy': heavy, 'dag_id': d.dag_id, 'tags': sorted(d.tags),\n"
        "  'tasks': sorted(d.task_ids), 'catchup': d.catchup, 'max_active_runs': d.max_active_runs,\n"
        "  'retries': [t.retries for t in d.tasks], 'doc': bool(d.doc_md),\n"
        "  'task_docs': [bool(t.doc_md) for t in d.tasks],\n"
        "  'backoff': [t.retry_exponential_backoff for t in d.tasks]}))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["heavy"] == [], "the DAG file imports pipeline code at top level"
    assert info["dag_id"] == dag_id
    assert "newsflow" in info["tags"] and len(info["tags"]) >= 2
    assert info["tasks"] == DAGS[dag_id]
    assert info["catchup"] is False and info["max_active_runs"] == 1
    assert all(r >= 2 for r in info["retries"]) and all(info["backoff"])
    assert info["doc"] and all(info["task_docs"])


def test_airflow_parses_the_dag_folder_into_three_dags(tmp_path):
    # Airflow's own parser, as its DAG processor runs it (the bundle's folder on sys.path):
    # the DAG files import newsflow_common.py; .airflowignore keeps it from being parsed.
    dags = str(REPO / "dags")
    code = (
        "import json\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        f"bag = BundleDagBag(dag_folder={dags!r}, bundle_path={dags!r}, bundle_name='dags-folder')\n"
        "print(json.dumps({'errors': bag.import_errors, 'dags': sorted(bag.dag_ids)}))\n"
    )
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info == {"errors": {}, "dags": sorted(DAGS)}


def _compose() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.fail("no compose implementation: run `make test-tools` (installs docker-compose)")


SECRETS = ("POSTGRES_PASSWORD", "AIRFLOW_JWT_SECRET")


def test_compose_file_is_valid_and_needs_its_secrets():
    cmd = [*_compose(), "-f", str(REPO / "docker-compose.yml"), "config"]
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    ok = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, **dict.fromkeys(SECRETS, "example")},
    )
    assert ok.returncode == 0, ok.stderr
    # Services of a profile (celery) are checked below; Debian's docker-compose lists them.
    services = {
        name: service
        for name, service in yaml.safe_load(ok.stdout)["services"].items()
        if not service.get("profiles")
    }
    airflow = {
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
    }
    assert set(services) == {"kafka", "postgres", "migrate", "airflow-init", "enricher"} | airflow
    # Every long-running newsflow or Airflow process comes back when it exits.
    for name in airflow | {"enricher"}:
        assert services[name]["restart"] == "unless-stopped", name
        if name != "enricher":
            assert (
                services[name]["depends_on"]["airflow-init"]["condition"]
                == "service_completed_successfully"
            )
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "ensure_admin_password" in init
    from pipeline.stack.airflow import POOLS

    for pool, (slots, description) in POOLS.items():  # the same pools as the local stack's
        assert f'pools set {pool} {slots} "{description}"' in init
    for secret in SECRETS:
        without = {**env, **{s: "example" for s in SECRETS if s != secret}}
        missing = subprocess.run(
            cmd + ["-q"], capture_output=True, text=True, env=without, cwd=REPO
        )
        assert missing.returncode != 0
        assert secret in missing.stderr


def test_compose_celery_profile_adds_redis_and_two_workers():
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    ok = subprocess.run(
        [*_compose(), "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={
            **env,
            **dict.fromkeys(SECRETS, "example"),
            "COMPOSE_PROFILES": "celery",
            "AIRFLOW_EXECUTOR": "CeleryExecutor",
        },
    )
    assert ok.returncode == 0, ok.stderr
    services = yaml.safe_load(ok.stdout)["services"]
    redis, worker = services["redis"], services["airflow-worker"]
    assert redis["profiles"] == worker["profiles"] == ["celery"]
    assert worker["command"][:3] == ["airflow", "celery", "worker"]
    assert worker["deploy"]["replicas"] == 2
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert worker["restart"] == "unless-stopped"
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-worker"):
        environment = services[name]["environment"]
        assert environment["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert environment["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
        assert environment["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://")


def test_compose_monitoring_profile_runs_prometheus_and_grafana_with_the_repo_files():
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    ok = subprocess.run(
        [*_compose(), "-f", str(REPO / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, **dict.fromkeys(SECRETS, "example"), "COMPOSE_PROFILES": "monitoring"},
    )
    assert ok.returncode == 0, ok.stderr
    services = yaml.safe_load(ok.stdout)["services"]
    # Only with the profile (Debian's docker-compose lists the services of every profile).
    for name in ("prometheus", "grafana", "pushgateway", "reader-login", "airflow-health"):
        assert services[name]["profiles"] == ["monitoring"], name
    # Airflow's health pushed to the gateway Prometheus scrapes, observing only.
    health = services["airflow-health"]
    assert health["command"][-2:] == ["--observe", "http://airflow-apiserver:8080"]
    assert health["environment"]["NEWSFLOW_PUSHGATEWAY_URL"] == "http://pushgateway:9091"

    def mounts(service: str) -> dict[str, str]:
        found = {}
        for volume in services[service]["volumes"]:
            if isinstance(volume, str):
                source, target = volume.split(":")[:2]
            else:
                source, target = volume["source"], volume["target"]
            found[target] = source
        return found

    prometheus = mounts("prometheus")
    assert Path(prometheus["/etc/prometheus/rules/alerts.yml"]) == REPO / "monitoring/alerts.yml"
    assert Path(prometheus["/etc/prometheus/prometheus.yml"]) == REPO / "monitoring/prometheus.yml"
    grafana = mounts("grafana")
    assert Path(grafana["/etc/grafana/provisioning"]) == REPO / "monitoring/grafana/provisioning"
    dashboard = "/var/lib/grafana/dashboards/newsflow/newsflow.json"
    assert Path(grafana[dashboard]) == REPO / "monitoring/grafana/newsflow.json"
    # The provisioning files point where the compose file mounts them.
    provisioning = REPO / "monitoring/grafana/provisioning"
    providers = yaml.safe_load((provisioning / "dashboards/newsflow.yml").read_text())
    assert providers["providers"][0]["options"]["path"] == str(Path(dashboard).parent)
    sources = yaml.safe_load((provisioning / "datasources/newsflow.yml").read_text())
    by_uid = {source["uid"]: source for source in sources["datasources"]}
    assert by_uid["newsflow-prometheus"]["url"] == "http://prometheus:9090"
    assert by_uid["newsflow-warehouse"]["user"] == "newsflow_reader"
    # Prometheus reads the rules from where they are mounted, and keeps pushed labels.
    config = yaml.safe_load((REPO / "monitoring/prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/rules/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert set(jobs) >= {"newsflow_enricher", "pushgateway"}


def test_compose_prometheus_config_is_valid_for_promtool(tmp_path):
    """promtool checks the file with the rules where the compose file mounts them."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found: run `make test-tools` (installs Debian's prometheus)")
    config = yaml.safe_load((REPO / "monitoring/prometheus.yml").read_text())
    config["rule_files"] = [str(REPO / "monitoring/alerts.yml")]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
