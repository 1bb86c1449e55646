"""What a person sees of the DAGs in Airflow: pools, assets, params, schedules, docs.

The DAG files are loaded in a fresh interpreter with an AIRFLOW_HOME of their own, so the
tests neither depend on nor leave behind an Airflow configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, json, sys
from airflow.sdk.definitions.param import ParamsDict
sys.path.append("dags")  # as Airflow does for its DAG folder: newsflow_common
out = {}
for dag_id in ("news_ingest", "news_backfill", "news_maintenance"):
    spec = importlib.util.spec_from_file_location(dag_id, f"dags/{dag_id}.py")
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    dag = getattr(module, dag_id)()
    params = {}
    for name in dag.params:
        param = dag.params.get_param(name)
        params[name] = {"schema": param.schema, "has_value": param.has_value}
    out[dag_id] = {
        "schedule": dag.schedule,
        "pools": {t.task_id: t.pool for t in dag.tasks},
        # a mapped task keeps its operator's arguments in partial_kwargs
        "return_in_log": {t.task_id: getattr(t, "partial_kwargs", vars(t)).get(
            "show_return_value_in_logs", True) for t in dag.tasks},
        "outlets": {t.task_id: [a.name for a in t.outlets] for t in dag.tasks},
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
        "params": params,
    }
print(json.dumps(out))
"""


def _probe(tmp_path: Path, **env: str) -> dict:
    environ = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **env,
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environ,
        cwd=REPO,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dags(tmp_path_factory) -> dict:
    return _probe(tmp_path_factory.mktemp("airflow"), NEWSFLOW_INGEST_SCHEDULE="*/30 * * * *")


def test_fetching_tasks_take_their_own_pools(dags):
    from pipeline.stack.airflow import POOLS

    assert dags["news_ingest"]["pools"]["ingest"] == "newsflow_fetch"
    assert dags["news_backfill"]["pools"]["backfill"] == "newsflow_backfill"
    assert {"newsflow_fetch", "newsflow_backfill"} <= set(POOLS)


def test_ingest_and_backfill_mark_the_cleaned_topic_as_an_asset(dags):
    for dag_id in ("news_ingest", "news_backfill"):
        outlets = {task: names for task, names in dags[dag_id]["outlets"].items() if names}
        assert outlets == {"report": ["news.articles.cleaned.v1"]}
    assert not any(dags["news_maintenance"]["outlets"].values())


def test_report_runs_after_every_mapped_fetch(dags):
    assert dags["news_ingest"]["upstream"]["report"] == ["ingest"]
    assert dags["news_backfill"]["upstream"]["report"] == ["backfill"]
    assert dags["news_backfill"]["upstream"]["backfill"] == ["plan"]


def test_ingest_schedule_comes_from_configuration(dags, tmp_path):
    assert dags["news_ingest"]["schedule"] == "*/30 * * * *"
    unscheduled = _probe(tmp_path, NEWSFLOW_INGEST_SCHEDULE="")
    assert unscheduled["news_ingest"]["schedule"] is None


def test_maintenance_runs_daily_and_backfill_only_when_triggered(dags):
    assert dags["news_maintenance"]["schedule"] == "@daily"
    assert dags["news_backfill"]["schedule"] is None


def test_backfill_form_requires_a_date_range(dags):
    params = dags["news_backfill"]["params"]
    for name in ("since", "until"):
        assert params[name]["schema"] == {"type": "string", "format": "date"}
        assert params[name]["has_value"] is False
    assert params["sources"]["schema"]["type"] == "array"
    assert set(params) == {"since", "until", "sources", "sources_file", "url_limit", "dry_run"}


def test_ingest_form_offers_sources_url_limit_and_dry_run(dags):
    params = dags["news_ingest"]["params"]
    assert set(params) == {"sources_file", "sources", "url_limit", "dry_run"}
    assert params["url_limit"]["schema"]["minimum"] == 1
    assert params["dry_run"]["schema"]["type"] == "boolean"


def test_fetching_tasks_log_their_summary_line_not_the_whole_return_value(dags):
    # Their result is the full summary, a line far wider than the log view; the task logs
    # its short summary line itself and the result stays in XCom.
    assert dags["news_ingest"]["return_in_log"]["ingest"] is False
    assert dags["news_backfill"]["return_in_log"]["backfill"] is False
