"""What newsflow's DAG files share: the cleaned topic as an Asset, retry policy, params.

Not a DAG (listed in .airflowignore). Airflow puts the DAG folder on sys.path, so the DAG
files import it by name; like them, it imports nothing of `pipeline` at parse time.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param

START = pendulum.datetime(2026, 1, 1, tz="UTC")
CLEANED_TOPIC = "news.articles.cleaned.v1"
_BROKER = os.environ.get("NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092").split(",")[0]
# Runs that publish mark it updated; a DAG scheduled on it runs after each.
CLEANED = Asset(name=CLEANED_TOPIC, uri=f"kafka://{_BROKER}/{CLEANED_TOPIC}", group="newsflow")


def task_settings():
    """A task's Settings: NEWSFLOW_*, with the Connections `newsflow_kafka` and
    `newsflow_warehouse` over them when they exist (pipeline/jobs/task_settings.py). Every
    secret in them is registered with Airflow's secret masker, so no task log shows it. A
    malformed Connection fails the task at once (a retry would read the same Connection)."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException
    from airflow.sdk.log import mask_secret

    from pipeline.errors import ConfigError
    from pipeline.jobs import (
        KAFKA_CONNECTION,
        WAREHOUSE_CONNECTION,
        ConnectionFields,
        secret_values,
        settings_for_task,
    )

    found = {}
    for conn_id in (KAFKA_CONNECTION, WAREHOUSE_CONNECTION):
        try:
            conn = Connection.get(conn_id)
        except AirflowNotFoundException:
            conn = None
        found[conn_id] = conn and ConnectionFields(
            conn_id=conn_id,
            conn_type=conn.conn_type,
            host=conn.host,
            port=conn.port,
            login=conn.login,
            password=conn.password,
            schema=conn.schema,
            extra=conn.extra,
        )
    try:
        settings = settings_for_task(found[KAFKA_CONNECTION], found[WAREHOUSE_CONNECTION])
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None
    for secret in secret_values(settings):
        mask_secret(secret)
    return settings


def retrying(first: timedelta, longest: timedelta) -> dict:
    """default_args: two retries, exponential backoff from `first` up to `longest`."""
    return {
        "owner": "newsflow",
        "retries": 2,
        "retry_delay": first,
        "retry_exponential_backoff": True,
        "max_retry_delay": longest,
    }


def report_run(summaries: list[dict]) -> dict:
    """Body of news_ingest's and news_backfill's `report`: the run per source as a table in the
    task's log; an asset event on the cleaned topic with the totals, unless nothing was
    published (then the task is skipped)."""
    from airflow.sdk import get_current_context
    from airflow.sdk.exceptions import AirflowSkipException

    from pipeline.jobs import run_totals, summary_table

    summaries = list(summaries)
    print(summary_table(summaries))
    totals = run_totals(summaries)
    if not totals.get("published"):
        raise AirflowSkipException(f"nothing published, {CLEANED_TOPIC} is unchanged")
    get_current_context()["outlet_events"][CLEANED].extra = totals
    return totals


# The trigger form's fields shared by news_ingest and news_backfill.
SOURCE_PARAMS = {
    "sources_file": Param(None, type=["null", "string"], description="sources file path"),
    "sources": Param([], type="array", description="source ids; empty = all enabled"),
    "url_limit": Param(None, type=["null", "integer"], minimum=1),
    "dry_run": Param(False, type="boolean"),
}
