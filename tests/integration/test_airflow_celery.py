"""`newsflow stack up --executor celery` on a real stack of its own (its own NEWSFLOW_HOME and
ports): Airflow's CeleryExecutor with Redis (Debian's redis-server) as the broker and two Celery
workers. A `news_ingest` run over several sources succeeds, its mapped `ingest` tasks ran on
both workers, and the fetch pool still bounds how many ran at once."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from side_stack import home_processes, newsflow, side_env, side_settings, stop_side_stack

from devtools.sample_site import SampleSite, stories
from pipeline.config import Settings
from pipeline.stack import redis_broker
from pipeline.stack.airflow import POOLS, celery_hostname
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
DAG_ID = "news_ingest"
SOURCES = 8


def celery_settings() -> Settings:
    step = 1000 * int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0")) + 520
    return side_settings(
        "celery",
        520,
        redis_port=6379 + step,
        sample_site_port=8808 + step,
        airflow_executor="celery",
    )


@pytest.fixture(scope="module")
def celery_stack() -> Iterator[tuple[Settings, dict[str, str], subprocess.CompletedProcess]]:
    settings = celery_settings()
    home = settings.home_dir
    env = side_env(settings)
    env.pop("NEWSFLOW_AIRFLOW_EXECUTOR")  # the command line says celery
    newsflow(env, "stack", "down")
    try:
        up = newsflow(env, "stack", "up", "postgres", "kafka", "airflow", "--executor", "celery")
        if up.returncode == 0:  # what the enricher's start would do: the tasks need both
            for step in (("db", "upgrade"), ("topics", "--ensure")):
                done = newsflow(env, *step)
                assert done.returncode == 0, done.stdout + done.stderr
        yield settings, env, up
    finally:
        stop_side_stack(env, home)


def write_sources(site: SampleSite, path: Path) -> list[str]:
    """SOURCES sources of three article pages each, one second apart: every ingest task takes
    a few seconds, so several hold pool slots at once."""
    pages = [site.base_url + story.path for story in stories()]
    entries = [
        {
            "id": f"celery-{i}",
            "name": f"Celery source {i}",
            "urls": pages[3 * i : 3 * i + 3],
            "min_delay_seconds": 1.0,
            "allow_private_network": True,
        }
        for i in range(SOURCES)
    ]
    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False), encoding="utf-8")
    return [entry["id"] for entry in entries]


def most_at_once(intervals: list[tuple[datetime, datetime]]) -> int:
    """The largest number of intervals that overlap at one instant."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    current = peak = 0
    for _, step in events:  # an end sorts before a start at the same instant
        current += step
        peak = max(peak, current)
    return peak


def test_stack_up_with_celery_runs_redis_and_two_workers(celery_stack):
    settings, env, up = celery_stack
    assert up.returncode == 0, up.stdout + up.stderr
    assert redis_broker.ready(settings)
    status = newsflow(env, "stack", "status", timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    rows = {line.split()[0]: line.split() for line in status.stdout.splitlines()[2:]}
    assert rows["redis"][1:2] == ["running"] and rows["redis"][3] == str(settings.redis_port)
    assert rows["airflow"][1:2] == ["running"], status.stdout
    config = (settings.home_dir / "airflow" / "supervisord.conf").read_text()
    for worker in ("worker-1", "worker-2"):
        assert f"[program:celery-{worker}]" in config
        assert f"--celery-hostname {celery_hostname(worker)}@%%h" in config  # supervisord's %
    assert (settings.home_dir / "redis").is_dir()  # Redis keeps its data under the home


def test_news_ingest_spreads_over_both_workers_within_the_fetch_pool(celery_stack, tmp_path):
    settings, env, up = celery_stack
    assert up.returncode == 0, up.stdout + up.stderr
    site = SampleSite().start()
    api = AirflowAPI(settings)
    try:
        ids = write_sources(site, tmp_path / "sources.yaml")
        api.wait_for_dag(DAG_ID)
        api.unpause(DAG_ID)
        run_id = api.trigger(DAG_ID, {"sources_file": str(tmp_path / "sources.yaml")})
        state = api.wait_for_run(DAG_ID, run_id, timeout=300)
        assert state == "success", api.task_states(DAG_ID, run_id)
        instances = api.http.get(
            f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"task_id": "ingest"}
        ).json()["task_instances"]
        pool = api.http.get("/pools/newsflow_fetch").json()
    finally:
        api.http.close()
        site.stop()

    assert len(instances) == len(ids)
    assert {ti["state"] for ti in instances} == {"success"}
    # Every source's pages were fetched (through Airflow, on the workers).
    fetched = {path.split("?")[0] for path in site.requests}
    assert {story.path for story in stories()[: 3 * SOURCES]} <= fetched
    # Both workers ran some of them.
    hosts = {ti["hostname"] for ti in instances}
    assert hosts == {celery_hostname("worker-1"), celery_hostname("worker-2")}, hosts
    # The pool bounds how many ran at once, across both workers.
    assert pool["slots"] == POOLS["newsflow_fetch"][0]
    intervals = [
        (datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"]))
        for ti in instances
    ]
    per_host = {host: sum(ti["hostname"] == host for ti in instances) for host in hosts}
    print(f"ingest tasks per worker: {per_host}; at most {most_at_once(intervals)} at once")
    assert 1 <= most_at_once(intervals) <= pool["slots"], intervals


def test_stack_down_stops_redis_and_the_workers(celery_stack):
    settings, env, up = celery_stack
    assert up.returncode == 0, up.stdout + up.stderr
    workers = [cmd for cmd in home_processes(settings.home_dir).values() if "celery" in cmd]
    assert len(workers) >= 2, workers
    down = newsflow(env, "stack", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert "redis: stopping" in down.stdout, down.stdout
    assert home_processes(settings.home_dir) == {}
    assert not redis_broker.ready(settings)
