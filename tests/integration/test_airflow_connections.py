"""news_ingest on a real Airflow whose NEWSFLOW_* Kafka and warehouse settings point nowhere:
the endpoints are only in the Connections newsflow_kafka and newsflow_warehouse
(AIRFLOW_CONN_* JSON in the Airflow processes' environment), and the records and rows arrive.
Then an enricher stores them; none of the passwords involved is in any log file of the
stack's home or in any task log, and a task log line holding one (a secret setting that is in
no Connection) shows `***` instead: newsflow registered it with Airflow's masker.

A stack of its own (PostgreSQL for Airflow's metadata, and Airflow: side_settings offset
590); Kafka and the warehouse are the shared test stack's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fetch_support import end_offsets, query, records_since
from pydantic import SecretStr
from scratch_db import scratch_database
from side_stack import NEWSFLOW, newsflow, side_env, side_settings
from sqlalchemy import make_url

from devtools.sample_site import SampleSite
from pipeline.config import Settings
from pipeline.jobs import migrate_warehouse
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = pytest.mark.integration
SIDE_PG_PASSWORD = "side-pg-" + uuid.uuid4().hex
READER_PASSWORD = "reader-" + uuid.uuid4().hex
NOWHERE_PASSWORD = "nowhere-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def run(stack: Settings, tmp_path_factory) -> Iterator[dict]:
    site = SampleSite().start()
    source_id = f"conn-{uuid.uuid4().hex[:6]}"
    sources = site.write_sources_yaml(tmp_path_factory.mktemp("conn") / "s.yaml", source_id)
    with scratch_database(stack, "test_conn") as target:
        migrate_warehouse(target)
        url = make_url(target.database_url())
        connections = {
            "AIRFLOW_CONN_NEWSFLOW_KAFKA": {
                "conn_type": "kafka",
                "extra": {
                    "bootstrap.servers": stack.kafka_bootstrap_servers,
                    "security.protocol": "PLAINTEXT",
                },
            },
            "AIRFLOW_CONN_NEWSFLOW_WAREHOUSE": {
                "conn_type": "postgres",
                "host": url.host,
                "port": url.port,
                "login": url.username,
                "password": url.password,
                "schema": url.database,
            },
        }
        side = side_settings(
            "conns",
            590,
            pg_password=SecretStr(SIDE_PG_PASSWORD),
            reader_password=SecretStr(READER_PASSWORD),
            warehouse_url=SecretStr(
                f"postgresql+psycopg://newsflow:{NOWHERE_PASSWORD}@127.0.0.1:9/nowhere"
            ),
        )
        shutil.rmtree(side.home_dir, ignore_errors=True)  # a server with other passwords
        env = side_env(side)  # its Kafka setting: a port where nothing listens
        env.update({name: json.dumps(value) for name, value in connections.items()})
        start = end_offsets(stack)
        try:
            up = newsflow(env, "stack", "up", "postgres", "airflow", timeout=600)
            assert up.returncode == 0, up.stdout + up.stderr
            api = AirflowAPI(side)
            api.wait_for_dag("news_ingest")
            api.unpause("news_ingest")
            run_id = api.trigger("news_ingest", {"sources_file": str(sources), "url_limit": 5})
            state = api.wait_for_run("news_ingest", run_id, timeout=400)
            assert state == "success", api.task_states("news_ingest", run_id)
            (summary,) = api.task_results("news_ingest", run_id, "ingest")
            published = [r for r in records_since(stack, start) if r["source_id"] == source_id]
            # A run whose task logs a line holding a secret setting: the reader's password in
            # a sources file path, which list_sources names when it fails.
            probe = api.trigger(
                "news_ingest", {"sources_file": f"/nonexistent/{READER_PASSWORD}/sources.yaml"}
            )
            probe_state = api.wait_for_run("news_ingest", probe, timeout=300)
            # An enricher of the warehouse (its password in its URL), logging into this home.
            log = side.home_dir / "logs" / "enricher-test.log"
            with log.open("w") as out:
                consumed = subprocess.run(
                    [NEWSFLOW, "consume", "--group", f"g-{source_id}", "--idle-exit", "15"],
                    env={
                        **side_env(target),
                        "NEWSFLOW_ENRICHER": "stub",
                        "NEWSFLOW_READER_PASSWORD": READER_PASSWORD,
                    },
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=600,
                )
            yield {
                "stack": stack,
                "side": side,
                "target": target,
                "source_id": source_id,
                "summary": summary,
                "published": published,
                "consumed": consumed,
                "log": log,
                "probe": (probe, probe_state),
                "secrets": [SIDE_PG_PASSWORD, NOWHERE_PASSWORD, str(url.password)],
            }
        finally:
            newsflow(env, "stack", "down")
            site.stop()


def test_news_ingest_publishes_and_stores_through_the_connections(run):
    summary = run["summary"]
    assert summary["source_id"] == run["source_id"]
    assert summary["published"] == len(run["published"]) == 5
    fetched = query(
        run["target"],
        "SELECT count(*) FROM fetch_log WHERE source_id = :s",
        s=run["source_id"],
    )
    assert fetched[0][0] >= 5  # the task wrote to the Connection's warehouse
    listed = query(
        run["target"], "SELECT source_id FROM sources WHERE source_id = :s", s=run["source_id"]
    )
    assert [row[0] for row in listed] == [run["source_id"]]


def test_the_enricher_stores_what_the_connections_carried(run):
    assert run["consumed"].returncode == 0, run["log"].read_text()[-3000:]
    stored = query(
        run["target"],
        "SELECT article_id FROM articles WHERE source_id = :s",
        s=run["source_id"],
    )
    assert {row[0] for row in stored} == {r["article_id"] for r in run["published"]}


def _log_files(side: Settings) -> list[Path]:
    home = side.home_dir
    found = [p for p in (home / "logs").rglob("*") if p.is_file()]
    found += [p for p in (home / "airflow" / "logs").rglob("*") if p.is_file()]
    return found


def test_no_password_is_in_any_log_or_task_log(run):
    files = _log_files(run["side"])
    task_logs = [p for p in files if "dag_id=news_ingest" in str(p)]
    # Not vacuous: the task logs of the run and the enricher's log are among them.
    assert any(run["source_id"] in p.read_text(errors="replace") for p in task_logs)
    assert run["log"] in files and run["log"].stat().st_size > 0
    for secret in run["secrets"]:
        assert len(secret) >= 20
        leaks = [str(p) for p in files if secret in p.read_text(errors="replace")]
        assert leaks == [], f"a password is in {leaks}"
    # The probe's secret (the reader's password, in a failing run's conf): in no task log nor
    # newsflow's logs. Airflow's scheduler, the tasks' supervisor, logs a failed task's
    # exception text as raised, unmasked: Airflow's own (docs/security.md).
    leaks = [
        str(p)
        for p in files
        if READER_PASSWORD in p.read_text(errors="replace") and p.name != "airflow-scheduler.log"
    ]
    assert leaks == [], f"a password is in {leaks}"


def test_a_task_log_line_holding_a_secret_setting_shows_stars(run):
    probe, state = run["probe"]
    assert state == "failed"
    logs = [
        p
        for p in _log_files(run["side"])
        if f"run_id={probe}" in str(p) and "task_id=list_sources" in str(p)
    ]
    text = "".join(p.read_text(errors="replace") for p in logs)
    assert "/nonexistent/***/sources.yaml: sources file not found" in text
    assert READER_PASSWORD not in text
