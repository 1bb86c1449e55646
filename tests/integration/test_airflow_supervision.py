"""The local stack's Airflow keeps running DAGs when a component dies or its database goes away.

A scheduler exits when its metadata database is unreachable for a few seconds; supervisord
starts it again. Each test ends with a news_ingest run, triggered after the damage, that
fetches and publishes the sample site: the outcome that matters, not that a process exists.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from airflow_support import clear_active_runs, eventually, scheduler_pids
from click.testing import CliRunner

from devtools.sample_site import SampleSite
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.stack import airflow, watchdog
from pipeline.stack.airflow_api import AirflowAPI
from pipeline.stack.manager import settings_env
from pipeline.stack.process import is_running

pytestmark = pytest.mark.integration


def wait_for(check, what: str, timeout: float = 120, settings: Settings | None = None):
    value = eventually(check, timeout)
    if not value:
        logs = "" if settings is None else "\n" + log_tails(settings)
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}{logs}")
    return value


def log_tails(settings: Settings, lines: int = 25) -> str:
    """The end of supervisord's, the scheduler's and the watchdog's logs: what a failure shows."""
    out = []
    for name in ("airflow", "airflow-scheduler", "airflow-watchdog"):
        path = settings.home_dir / "logs" / f"{name}.log"
        text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
        out += [f"==> {path}", *text]
    return "\n".join(out)


def ingest_runs(settings: Settings, tmp_path: Path, source_id: str) -> dict:
    """Trigger news_ingest on a sample site of its own; return the source's summary."""
    site = SampleSite().start()
    try:
        sources = site.write_sources_yaml(tmp_path / "sources.yaml", source_id)
        api = AirflowAPI(settings)
        api.wait_for_dag("news_ingest")
        api.unpause("news_ingest")
        clear_active_runs(api, "news_ingest")
        run_id = api.trigger("news_ingest", {"sources_file": str(sources), "url_limit": 3})
        state = api.wait_for_run("news_ingest", run_id, timeout=300)
        assert state == "success", api.task_states("news_ingest", run_id)
        (summary,) = api.task_results("news_ingest", run_id, "ingest")
        return summary
    finally:
        site.stop()


def test_a_killed_scheduler_is_started_again(airflow_stack, tmp_path):
    (before,) = wait_for(lambda: scheduler_pids(airflow_stack), "a scheduler")
    workers = watchdog.children(before)  # its LocalExecutor workers
    assert workers
    os.kill(before, signal.SIGKILL)
    (after,) = wait_for(lambda: scheduler_pids(airflow_stack) - {before}, "a new scheduler")
    # Its idle workers, inherited by supervisord, are stopped by the watchdog.
    wait_for(
        lambda: not any(is_running(pid) for pid in workers),
        "the killed scheduler's workers to be stopped",
        60,
        settings=airflow_stack,
    )
    wait_for(lambda: airflow.ready(airflow_stack), "Airflow healthy again")
    summary = ingest_runs(airflow_stack, tmp_path, "sup-kill")
    assert summary["published"] == 3 and summary["failed"] == 0


def test_dags_run_after_the_metadata_database_was_down(airflow_stack, stack_manager, tmp_path):
    (before,) = wait_for(lambda: scheduler_pids(airflow_stack), "a scheduler")
    stack_manager.down(["postgres"])
    try:
        # The scheduler's own retries give up within seconds and it exits (seen every time
        # here); the outcome that matters is the run afterwards, so its exit is not required.
        exited = eventually(lambda: before not in scheduler_pids(airflow_stack), 90)
        print(f"scheduler {'exited' if exited else 'survived'} while PostgreSQL was down")
        # `stack status` tells: the database is away, Airflow is degraded, postgres is stopped.
        status = CliRunner().invoke(main, ["stack", "status"], env=settings_env(airflow_stack))
        assert status.exit_code == 1, status.output
        rows = {line.split()[0]: line for line in status.output.splitlines()[2:]}
        assert "degraded (metadatabase" in rows["airflow"]
        assert rows["postgres"].split()[1] == "stopped"
    finally:
        stack_manager.up(["postgres"])
    wait_for(lambda: scheduler_pids(airflow_stack), "a new scheduler", settings=airflow_stack)
    wait_for(
        lambda: airflow.ready(airflow_stack), "Airflow healthy again", 180, settings=airflow_stack
    )
    summary = ingest_runs(airflow_stack, tmp_path, "sup-pg")
    assert summary["published"] == 3 and summary["failed"] == 0


def test_a_hung_scheduler_is_restarted_by_the_watchdog(airflow_stack, tmp_path):
    # A stopped process is alive to supervisord and heartbeats no more: what a scheduler stuck
    # in a call that never returns looks like from outside.
    (before,) = wait_for(lambda: scheduler_pids(airflow_stack), "a scheduler")
    os.kill(before, signal.SIGSTOP)
    try:
        wait_for(
            lambda: scheduler_pids(airflow_stack) - {before},
            "the watchdog to start a new scheduler",
            300,
            settings=airflow_stack,
        )
    finally:
        try:
            os.kill(before, signal.SIGCONT)
        except ProcessLookupError:
            pass
    log = (airflow_stack.home_dir / "logs" / "airflow-watchdog.log").read_text()
    assert f"restarting scheduler (pid {before}," in log
    assert "last heartbeated" in log and f"{before} T (stopped)" in log
    wait_for(
        lambda: airflow.ready(airflow_stack), "Airflow healthy again", 180, settings=airflow_stack
    )
    summary = ingest_runs(airflow_stack, tmp_path, "sup-hung")
    assert summary["published"] == 3 and summary["failed"] == 0
