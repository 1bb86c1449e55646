"""Stacks of their own for tests that start, kill and stop components (stack commands, several
enrichers, Celery), beside the session's shared test stack and never on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import make_test_settings

from pipeline.config import Settings
from pipeline.stack.manager import settings_env

NEWSFLOW = str(Path(sys.executable).parent / "newsflow")


def side_settings(suffix: str, offset: int, **overrides: object) -> Settings:
    """The shared test stack's settings with the home `<its home>-<suffix>` and every port at
    its default + 1000 * slot + `offset` (500-699), PostgreSQL's at 61500 + 200 * slot +
    `offset` - 500: clear of every slot's shared test stack."""
    if not 500 <= offset < 700:
        raise ValueError(f"side stacks take offsets 500-699, not {offset}")
    shared = make_test_settings()
    slot = int(os.environ.get("NEWSFLOW_TEST_STACK_SLOT", "0"))
    step = 1000 * slot + offset
    return make_test_settings(
        home=shared.home_dir.with_name(f"{shared.home_dir.name}-{suffix}"),
        kafka_bootstrap_servers=f"127.0.0.1:{9092 + step}",
        kafka_controller_port=9093 + step,
        # Above the kernel's ephemeral range like the shared stack's: 61500-63499.
        pg_port=61500 + 200 * slot + offset - 500,
        airflow_port=8080 + step,
        metrics_port=9464 + step,
        **overrides,
    )


def side_env(settings: Settings) -> dict[str, str]:
    """The environment of `newsflow` commands run on this stack; makes its home and links the
    shared test stack's Kafka jars into it (resolved once per machine is enough)."""
    home = settings.home_dir
    home.mkdir(parents=True, exist_ok=True)
    shared_jars = make_test_settings().home_dir / "jars"
    if shared_jars.exists() and not (home / "jars").exists():
        (home / "jars").symlink_to(shared_jars)
    return {**os.environ, **settings_env(settings), "PYTHONUNBUFFERED": "1"}


def newsflow(env: dict[str, str], *args: str, timeout: float = 420) -> subprocess.CompletedProcess:
    return subprocess.run(
        [NEWSFLOW, *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def home_processes(home: Path) -> dict[int, str]:
    """pid → command line of every live process running with NEWSFLOW_HOME=home (what the
    stack starts gets the setting in its environment, and so does what that forks)."""
    want = f"NEWSFLOW_HOME={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if want not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


def stop_side_stack(env: dict[str, str], home: Path) -> None:
    """`stack down`, then kill -9 whatever a failed test left behind in that home."""
    newsflow(env, "stack", "down")
    for pid in home_processes(home):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
