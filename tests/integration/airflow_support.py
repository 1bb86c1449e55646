"""Helpers for the tests that drive the test stack's Airflow."""

from __future__ import annotations

from pipeline.stack.airflow_api import AirflowAPI


def clear_active_runs(api: AirflowAPI, dag_id: str) -> list[str]:
    """Mark the DAG's queued and running runs failed, so a test's run is not queued behind
    them (every DAG allows one active run). The stack's own scheduled run of news_maintenance,
    retrying after an earlier test restarted PostgreSQL, is such a run. Returns their ids."""
    active = [run["dag_run_id"] for run in api.active_runs(dag_id)]
    for run_id in active:
        api.mark_run(dag_id, run_id, "failed")
    return active
