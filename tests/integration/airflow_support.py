"""Helpers for the tests that drive the test stack's Airflow."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.stack import airflow
from pipeline.stack.airflow_api import AirflowAPI


def clear_active_runs(api: AirflowAPI, dag_id: str) -> list[str]:
    """Mark the DAG's queued and running runs failed, so a test's run is not queued behind
    them (every DAG allows one active run). The stack's own scheduled run of news_maintenance,
    retrying after an earlier test restarted PostgreSQL, is such a run. Returns their ids."""
    active = [run["dag_run_id"] for run in api.active_runs(dag_id)]
    for run_id in active:
        api.mark_run(dag_id, run_id, "failed")
    return active


def scheduler_pids(settings: Settings) -> set[int]:
    """Pids of `airflow scheduler` processes started by this stack's supervisord."""
    return program_pids(settings, b"scheduler")


def program_pids(settings: Settings, word: bytes) -> set[int]:
    """Pids of the processes started by this stack's supervisord with `word` in their command
    line (`airflow scheduler ...`) or the title they set (`airflow api_server -- ...`)."""
    supervisor = int((airflow.airflow_home(settings) / "supervisord.pid").read_text())
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if parent == supervisor and word in cmdline:
            pids.add(int(entry.name))
    return pids


def eventually(check, timeout: float):
    """check()'s first true value within `timeout` seconds (looked at every second), else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    return None


def eventually_watched(check, timeout: float, what: str, settings: Settings):
    """`eventually`, failing with the end of the stack's watchdog log when it times out."""
    found = eventually(check, timeout)
    if found:
        return found
    log = settings.home_dir / "logs" / "airflow-watchdog.log"
    tail = log.read_text()[-3000:] if log.exists() else "(no watchdog log)"
    pytest.fail(f"timed out waiting for {what}; airflow-watchdog.log:\n{tail}")
