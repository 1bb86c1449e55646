"""A hung API server is replaced by the watchdog, end to end: `newsflow stack up --metrics` on a
stack of its own (PostgreSQL, the Pushgateway and Airflow; side_settings offset 670), with the
watchdog's API silence threshold shortened to 20 s through NEWSFLOW_AIRFLOW_API_HANG_SECONDS.

A SIGSTOPped API server is what a hung one looks like from outside: supervisord sees it
RUNNING, the kernel accepts connections on its port, and no answer comes.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from airflow_support import eventually_watched as eventually
from airflow_support import program_pids
from prometheus_client.parser import text_string_to_metric_families
from side_stack import newsflow, side_env, side_settings, stop_side_stack

from pipeline.config import Settings
from pipeline.stack import airflow
from pipeline.stack.watchdog_metrics import JOB

pytestmark = pytest.mark.integration

OFFSET = 670
HANG_SECONDS = 20  # instead of 90 s: the watchdog reads it from its environment


@pytest.fixture(scope="module")
def hung_api() -> Iterator[Settings]:
    step = 1000 * int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0")) + OFFSET
    settings = side_settings("apihang", OFFSET, pushgateway_port=9091 + step)
    env = side_env(settings)
    newsflow(env, "stack", "down")
    # From nothing: the Pushgateway keeps what earlier runs pushed.
    shutil.rmtree(settings.home_dir)
    env = {**side_env(settings), "NEWSFLOW_AIRFLOW_API_HANG_SECONDS": str(HANG_SECONDS)}
    try:
        up = newsflow(
            env, "stack", "up", "postgres", "pushgateway", "airflow", "--metrics", timeout=600
        )
        assert up.returncode == 0, up.stdout + up.stderr
        yield settings
    finally:
        stop_side_stack(env, settings.home_dir)


def restarts(settings: Settings) -> dict[str, float]:
    """component → newsflow_airflow_watchdog_restarts_total on the Pushgateway."""
    text = httpx.get(f"http://127.0.0.1:{settings.pushgateway_port}/metrics", timeout=10).text
    return {
        sample.labels["component"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "newsflow_airflow_watchdog_restarts_total"
        and sample.labels.get("job") == JOB
    }


def answers(settings: Settings) -> bool:
    try:
        resp = httpx.get(f"{airflow.base_url(settings)}/api/v2/monitor/health", timeout=3)
    except httpx.HTTPError:
        return False
    return resp.status_code == 200


def api_server_pids(settings: Settings) -> set[int]:
    # `airflow api-server` until it sets its title, `airflow api_server -- host:... port:...`
    return program_pids(settings, b"api-server") | program_pids(settings, b"api_server")


def test_the_api_servers_restarts_are_pushed_at_zero_from_the_start(hung_api):
    settings = hung_api
    counts = eventually(lambda: restarts(settings), 60, "a push", settings)
    assert counts == {"api-server": 0, "dag-processor": 0, "scheduler": 0, "triggerer": 0}


def test_a_hung_api_server_is_replaced_and_the_restart_counted(hung_api):
    settings = hung_api
    eventually(lambda: answers(settings), 120, "the API server to answer", settings)
    (before,) = api_server_pids(settings)
    os.kill(before, signal.SIGSTOP)  # RUNNING to supervisord; connections accepted, no answer
    try:
        assert not answers(settings)
        (after,) = eventually(
            lambda: api_server_pids(settings) - {before},
            240,
            "the watchdog to start a new API server",
            settings,
        )
    finally:
        try:
            os.kill(before, signal.SIGCONT)
        except ProcessLookupError:
            pass
    assert not Path(f"/proc/{before}").exists()  # replaced, not left beside the new one
    eventually(lambda: answers(settings), 180, "the new API server to answer", settings)
    assert api_server_pids(settings) == {after}
    log = (settings.home_dir / "logs" / "airflow-watchdog.log").read_text()
    assert f"restarting api-server (pid {before}," in log
    assert f"{before} T (stopped)" in log  # the kernel state it was restarted in
    counts = eventually(
        lambda: (c := restarts(settings)).get("api-server") == 1 and c,
        60,
        "the API server's restart to be counted",
        settings,
    )
    assert counts == {"api-server": 1, "dag-processor": 0, "scheduler": 0, "triggerer": 0}
