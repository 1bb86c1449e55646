"""The scale-out options of the local stack, without starting it: N enrichers as N tracked
processes, Airflow's CeleryExecutor with its Redis broker and two named workers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from pipeline.cli import main
from pipeline.config import Settings
from pipeline.errors import PrerequisiteError
from pipeline.stack import airflow
from pipeline.stack.consumers import Member, foreign_members
from pipeline.stack.manager import Running, Stack, component_of, enricher_names


def test_one_enricher_keeps_its_name_and_more_are_numbered():
    assert enricher_names(1) == ["enricher"]
    assert enricher_names(3) == ["enricher-1", "enricher-2", "enricher-3"]
    assert {component_of(name) for name in enricher_names(3)} == {"enricher"}
    assert component_of("kafka") == "kafka"


def test_status_has_one_row_per_enricher_and_redis_only_with_celery(tmp_path):
    rows = [name for name, _ in Stack(Settings(home=tmp_path, enrichers=3)).status()]
    assert rows == ["postgres", "kafka", "airflow", "enricher-1", "enricher-2", "enricher-3"]
    celery = Stack(Settings(home=tmp_path, airflow_executor="celery")).status()
    assert [name for name, _ in celery] == ["postgres", "kafka", "redis", "airflow", "enricher"]


def test_status_shows_the_enrichers_that_run_whatever_the_setting_says(tmp_path):
    stack = Stack(Settings(home=tmp_path, enrichers=1))
    stack._save(
        {
            f"enricher-{i}": Running(f"enricher-{i}", 10**7 + i, None, "x.log", "now")
            for i in (1, 2, 10)
        }
    )
    assert [name for name, _ in stack.status()][-3:] == ["enricher-1", "enricher-2", "enricher-10"]


def test_every_enricher_the_stack_started_is_its_own():
    members = [Member(f"newsflow-consume-g-pid-{pid}", "127.0.0.1") for pid in (101, 102, 103, 999)]
    lines = foreign_members(members, {101, 102, 103}, set())
    assert lines == ["pid 999 (newsflow-consume-g-pid-999 on 127.0.0.1): not started by the stack"]


def test_celery_runs_two_named_workers_under_supervisord(tmp_path):
    settings = Settings(
        home=tmp_path,
        dags_folder=tmp_path,
        airflow_executor="celery",
        redis_port=7001,
        pg_password=SecretStr("pw/1"),
    )
    env = airflow.environment(settings)
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:7001/0"
    # The URL holds the database password: Airflow reads it from a 0600 file.
    assert "AIRFLOW__CELERY__RESULT_BACKEND" not in env
    backend = airflow.result_backend_url_file(settings)
    assert env["AIRFLOW__CELERY__RESULT_BACKEND_CMD"] == f"cat {backend}"
    airflow.prepare(settings)
    assert backend.read_text() == (
        f"db+postgresql://postgres:pw%2F1@127.0.0.1:{settings.pg_port}/airflow"
    )
    assert backend.stat().st_mode & 0o777 == 0o600
    metadata = airflow.metadata_url_file(settings)
    assert "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" not in env
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD"] == f"cat {metadata}"
    assert metadata.read_text() == (
        f"postgresql+psycopg2://postgres:pw%2F1@127.0.0.1:{settings.pg_port}/airflow"
    )
    assert metadata.parent.stat().st_mode & 0o777 == 0o700
    assert "pw%2F1" not in airflow.supervisor_config(settings).read_text()
    config = airflow.supervisor_config(settings).read_text()
    for worker in ("worker-1", "worker-2"):
        section = config.split(f"[program:celery-{worker}]")[1].split("[program:")[0]
        assert f"celery worker --celery-hostname newsflow-{worker}@%%h --concurrency 3" in section
        assert f"environment=NEWSFLOW_CELERY_WORKER_HOSTNAME=newsflow-{worker}" in section
        assert "autorestart=true" in section and "killasgroup=true" in section
    local = Settings(home=tmp_path, dags_folder=tmp_path)
    assert airflow.environment(local)["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert "[program:celery-" not in airflow._supervisor_config(local)


def test_a_worker_reports_its_name_as_the_task_hostname(monkeypatch):
    monkeypatch.setenv(airflow.WORKER_HOSTNAME_VAR, "newsflow-worker-2")
    assert airflow.worker_hostname() == "newsflow-worker-2"
    monkeypatch.delenv(airflow.WORKER_HOSTNAME_VAR)
    assert airflow.worker_hostname()


def test_celery_without_redis_server_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("pipeline.stack.redis_broker.Path.exists", lambda _: False)
    stack = Stack(Settings(home=tmp_path, airflow_executor="celery", redis_port=1))
    with pytest.raises(PrerequisiteError, match="apt-get install redis-server"):
        stack.up(["redis"])


def test_stack_logs_takes_a_numbered_enricher_and_refuses_other_names(tmp_path):
    env = {"NEWSFLOW_HOME": str(tmp_path)}
    ok = CliRunner().invoke(main, ["stack", "logs", "enricher-2"], env=env)
    assert ok.exit_code == 0 and "enricher-2: no log yet" in ok.output
    bad = CliRunner().invoke(main, ["stack", "logs", "enricher-x"], env=env)
    assert bad.exit_code == 2 and "enricher-<i>" in bad.output
