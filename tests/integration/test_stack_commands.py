"""`newsflow stack` commands run side by side or interrupted, on a real stack of their own
(its own NEWSFLOW_HOME and ports next to the shared test stack's): one stack command at a
time, `down` leaves no process, `status` names the consumers it did not start, Ctrl-C during
`up` stops what it started."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from side_stack import NEWSFLOW, home_processes, newsflow, side_env, side_settings, stop_side_stack

from pipeline.config import Settings

pytestmark = pytest.mark.integration
# postgres, kafka and an enricher: every component a race can duplicate, without Airflow's
# minute of start-up.
COMPONENTS = ["postgres", "kafka", "enricher"]


def lone_settings() -> Settings:
    return side_settings("lone", 540, enricher="stub")


def enrichers(home: Path) -> list[int]:
    return sorted(pid for pid, cmd in home_processes(home).items() if " consume" in cmd)


@pytest.fixture(scope="module")
def lone() -> Iterator[tuple[Settings, dict[str, str]]]:
    settings = lone_settings()
    home = settings.home_dir
    env = side_env(settings)
    yield settings, env
    stop_side_stack(env, home)


@pytest.fixture
def stopped(lone) -> Iterator[tuple[Settings, dict[str, str]]]:
    """The lone stack, stopped before and after the test."""
    settings, env = lone
    newsflow(env, "stack", "down")
    assert home_processes(settings.home_dir) == {}
    yield lone
    newsflow(env, "stack", "down")


def status_pid(env: dict[str, str], component: str) -> int:
    out = newsflow(env, "stack", "status", timeout=60)
    row = next(line for line in out.stdout.splitlines() if line.split()[:1] == [component])
    return int(row.split()[2])


def test_two_stack_ups_at_once_start_one_stack_and_down_stops_all_of_it(stopped):
    settings, env = stopped
    ups = [
        subprocess.Popen(
            [NEWSFLOW, "stack", "up", *COMPONENTS],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [up.communicate(timeout=600)[0] for up in ups]

    assert [up.returncode for up in ups] == [0, 0], outputs
    held_by = [
        f"waiting for the stack lock held by pid {up.pid} (newsflow stack up "
        f"{' '.join(COMPONENTS)})"
        for up in ups
    ]
    assert held_by[0] in outputs[1] or held_by[1] in outputs[0], outputs
    running = enrichers(settings.home_dir)
    assert running == [status_pid(env, "enricher")], outputs

    down = newsflow(env, "stack", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert home_processes(settings.home_dir) == {}


def test_a_consumer_started_by_hand_is_flagged_by_stack_status(stopped):
    settings, env = stopped
    up = newsflow(env, "stack", "up", *COMPONENTS)
    assert up.returncode == 0, up.stdout + up.stderr
    stack_enricher = status_pid(env, "enricher")
    log = open(settings.home_dir / "logs" / "by-hand.log", "wb")  # noqa: SIM115
    # The stack's enricher serves metrics on NEWSFLOW_METRICS_PORT: this one serves none.
    hand = subprocess.Popen(
        [NEWSFLOW, "consume"],
        env={**env, "NEWSFLOW_METRICS_PORT": "0"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    try:
        flag = f"pid {hand.pid} (newsflow-consume-{settings.consumer_group}-pid-{hand.pid}"
        deadline = time.monotonic() + 120
        while True:  # until the group's rebalance has let the new member in
            status = newsflow(env, "stack", "status", timeout=60)
            if flag in status.stdout or time.monotonic() > deadline:
                break
            assert hand.poll() is None, "the consumer started by hand exited"
            time.sleep(2)
    finally:
        hand.terminate()
        hand.wait(60)

    assert status.returncode == 0, status.stdout + status.stderr
    # Flagged: the one started by hand; the stack's own enricher is not.
    flagged = [line for line in status.stdout.splitlines() if line.startswith("  ")]
    assert flagged == [f"  {flag} on 127.0.0.1): not started by the stack"], status.stdout
    assert f"enricher   running  {stack_enricher} " in status.stdout


def test_ctrl_c_during_stack_up_stops_what_it_started(stopped):
    settings, env = stopped
    up = subprocess.Popen(
        [NEWSFLOW, "stack", "up", *COMPONENTS],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    try:
        for line in up.stdout:
            seen.append(line)
            if line.startswith("kafka: starting"):
                break
        up.send_signal(signal.SIGINT)
        rest, _ = up.communicate(timeout=120)
    finally:
        if up.poll() is None:
            up.kill()
    output = "".join(seen) + rest

    assert up.returncode == 130, output
    assert "interrupted: stopping what this command started: postgres" in output, output
    assert "Aborted!" not in output and "Traceback" not in output, output
    assert home_processes(settings.home_dir) == {}, output
