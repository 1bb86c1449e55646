"""`python -m pipeline.stack.watchdog API_URL`: restarts an Airflow component that hangs.

supervisord restarts a component that exits, but not one that is alive and stuck: a scheduler
that stops heartbeating (after its metadata database went away, say) keeps its process, and
the stack accepts DAG runs that never start. This is the stack's liveness probe, as a
Kubernetes deployment of Airflow has one. It runs as a supervisord event listener woken every
5 s (TICK_5), reads Airflow's health endpoint, and restarts, through supervisord's XML-RPC
interface, a heartbeating component (scheduler, dag-processor, triggerer) when

- its latest heartbeat is older than STALE_SECONDS (Airflow itself calls it unhealthy after
  30 s), and
- the metadata database has answered for DATABASE_GRACE_SECONDS (a live component catches up
  within seconds of the database's return; one that does not is stuck), and
- its process has been running for at least STALE_SECONDS (a fresh start gets its chance).

Nothing is done while the API server does not answer. Each decision is logged to stderr
(logs/airflow-watchdog.log) with its cause and the stuck process's kernel state.
"""

from __future__ import annotations

import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

STALE_SECONDS = 90.0
DATABASE_GRACE_SECONDS = 30.0

# The health endpoint's part, its heartbeat field, the supervisord program.
HEARTBEATS = {
    "scheduler": ("latest_scheduler_heartbeat", "scheduler"),
    "dag_processor": ("latest_dag_processor_heartbeat", "dag-processor"),
    "triggerer": ("latest_triggerer_heartbeat", "triggerer"),
}


@dataclass
class Program:
    """What supervisord says of a program: getProcessInfo's fields that matter here."""

    name: str
    state: str  # RUNNING, STARTING, BACKOFF, ...
    pid: int
    started: float  # epoch seconds


def heartbeat_ages(health: dict, now: float) -> dict[str, float | None]:
    """Seconds since each part's latest heartbeat; None when it never heartbeated."""
    ages: dict[str, float | None] = {}
    for part, (field, _program) in HEARTBEATS.items():
        stamp = (health.get(part) or {}).get(field)
        ages[part] = None if not stamp else now - datetime.fromisoformat(stamp).timestamp()
    return ages


def stuck(
    health: dict,
    database_up_since: float | None,
    programs: dict[str, Program],
    now: float,
) -> list[tuple[Program, str]]:
    """The programs to restart, each with the reason."""
    if database_up_since is None or now - database_up_since < DATABASE_GRACE_SECONDS:
        return []
    found = []
    for part, age in heartbeat_ages(health, now).items():
        program = programs.get(HEARTBEATS[part][1])
        if program is None or program.state != "RUNNING":
            continue  # supervisord is starting it, or it is stopped on purpose
        if age is not None and age < STALE_SECONDS:
            continue
        running = now - program.started
        if running < STALE_SECONDS:
            continue
        last = "never" if age is None else f"{age:.0f} s ago"
        found.append(
            (
                program,
                f"{program.name} (pid {program.pid}, running {running:.0f} s) last heartbeated "
                f"{last} while the metadata database has answered for "
                f"{now - database_up_since:.0f} s",
            )
        )
    return found


def process_state(pid: int) -> str:
    """The kernel's view of a process and its children: state and wait channel, for the log."""
    parts = []
    for each in [pid, *_children(pid)]:
        proc = Path(f"/proc/{each}")
        try:
            state = next(
                line.split(":", 1)[1].strip()
                for line in (proc / "status").read_text().splitlines()
                if line.startswith("State:")
            )
            wchan = (proc / "wchan").read_text().strip() or "-"
        except (OSError, StopIteration):
            continue
        parts.append(f"{each} {state} in {wchan}")
    return "; ".join(parts) or f"{pid} gone"


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(child) for task in tasks for child in (task / "children").read_text().split()]
    except OSError:
        return []


class Watchdog:
    def __init__(self, api_url: str, rpc, log=None):
        self.health_url = f"{api_url.rstrip('/')}/api/v2/monitor/health"
        self.rpc = rpc
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.database_up_since: float | None = None
        self.http = httpx.Client(timeout=3)

    def health(self) -> dict | None:
        try:
            resp = self.http.get(self.health_url)
        except httpx.HTTPError:
            return None
        return resp.json() if resp.status_code == 200 else None

    def programs(self) -> dict[str, Program]:
        return {
            info["name"]: Program(info["name"], info["statename"], info["pid"], info["start"])
            for info in self.rpc.supervisor.getAllProcessInfo()
        }

    def tick(self, now: float | None = None) -> list[str]:
        """One look; the names of the programs restarted."""
        now = time.time() if now is None else now
        health = self.health()
        if health is None:
            return []  # the API server is starting, stopping or busy: no evidence either way
        if (health.get("metadatabase") or {}).get("status") != "healthy":
            if self.database_up_since is not None:
                self.log(f"{_stamp(now)} metadata database unhealthy: waiting for it")
            self.database_up_since = None
            return []
        if self.database_up_since is None:
            self.database_up_since = now
        restarted = []
        for program, reason in stuck(health, self.database_up_since, self.programs(), now):
            self.log(f"{_stamp(now)} restarting {reason}; process: {process_state(program.pid)}")
            self.rpc.supervisor.stopProcess(program.name, True)
            self.rpc.supervisor.startProcess(program.name, False)
            restarted.append(program.name)
        return restarted


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="seconds")


def main(argv: list[str]) -> int:
    import os

    from supervisor import childutils

    (api_url,) = argv
    watchdog = Watchdog(api_url, childutils.getRPCInterface(os.environ))
    watchdog.log(
        f"{_stamp(time.time())} watching {', '.join(HEARTBEATS)} at {watchdog.health_url}: "
        f"restart after {STALE_SECONDS:.0f} s without a heartbeat"
    )
    while True:
        childutils.listener.wait(sys.stdin, sys.stdout)
        try:
            watchdog.tick()
        except xmlrpc.client.Fault as fault:
            if "SHUTDOWN_STATE" not in fault.faultString:  # not supervisord stopping the stack
                watchdog.log(f"{_stamp(time.time())} look failed: {fault}")
        except Exception as exc:  # noqa: BLE001 (a look that failed must not stop the next)
            watchdog.log(f"{_stamp(time.time())} look failed: {type(exc).__name__}: {exc}")
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
