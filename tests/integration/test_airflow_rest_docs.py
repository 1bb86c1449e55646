"""docs/airflow.md's REST example, run as written against the test stack's Airflow: the token
call, then the trigger with `Authorization: Bearer`, gives a queued run with the conf."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from airflow_support import clear_active_runs

from pipeline.config import Settings
from pipeline.stack.airflow import base_url, password_file
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = pytest.mark.integration
DAG_ID = "news_ingest"
DOC = Path(__file__).resolve().parents[2] / "docs" / "airflow.md"


def _rest_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- rest-trigger -->\n```sh\n(.*?)```", text, re.DOTALL)
    assert match, "docs/airflow.md has no <!-- rest-trigger --> sh block"
    return match[1]


def test_the_docs_get_a_token_before_triggering(airflow_stack: Settings):
    if not (shutil.which("curl") and shutil.which("jq")):
        pytest.skip("the example needs curl and jq")
    script = _rest_example()
    assert "/auth/token" in script and "Authorization: Bearer $TOKEN" in script
    # The stack's address and password file in place of the local stack's defaults.
    script = script.replace("AIRFLOW=http://127.0.0.1:8080", f"AIRFLOW={base_url(airflow_stack)}")
    script = script.replace(
        "PASSWORDS=.newsflow/airflow/simple_auth_manager_passwords.json.generated",
        f"PASSWORDS={password_file(airflow_stack)}",
    )
    api = AirflowAPI(airflow_stack)
    api.wait_for_dag(DAG_ID)
    clear_active_runs(api, DAG_ID)
    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    run = json.loads(ran.stdout)
    try:
        assert run["dag_id"] == DAG_ID
        assert run["state"] == "queued"
        assert run["conf"] == {"sources": ["meridian"], "url_limit": 10}
    finally:
        api.mark_run(DAG_ID, run["dag_run_id"], "failed")


def test_without_the_token_the_api_answers_401(airflow_stack: Settings):
    resp = httpx.post(
        f"{base_url(airflow_stack)}/api/v2/dags/{DAG_ID}/dagRuns",
        json={"logical_date": None, "conf": {}},
        timeout=30,
    )
    assert resp.status_code == 401
