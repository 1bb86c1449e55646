"""`python -m pipeline.stack.watchdog API_URL`: restarts an Airflow component that hangs.
(`--observe API_URL`: only looks and pushes what it sees, for deployments without supervisord.)

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

While the API server does not answer there is no evidence about the others. The API server
itself is restarted when its health endpoint has not answered for 90 s while supervisord has
had it RUNNING for longer (api_hang.py; NEWSFLOW_AIRFLOW_API_HANG_SECONDS sets another time).
A restart continues a stopped process first (SIGCONT), so that it acts on supervisord's SIGTERM
instead of waiting 20 s for its SIGKILL. Each decision is logged to stderr
(logs/airflow-watchdog.log) with its cause and the stuck process's kernel state. With
NEWSFLOW_PUSHGATEWAY_URL in its environment it pushes what it saw after each look
(watchdog_metrics.py), for the alert rules in monitoring/alerts.yml.

Seen here: after a PostgreSQL outage the scheduler leaves its loop and LocalExecutor.end()
joins its workers without a timeout; a worker still waiting for work never exits, so neither
does the scheduler (Airflow 3.3.2; apache/airflow#67870 reports the same wedge).

It also stops idle LocalExecutor workers left behind by a scheduler that was killed: supervisord
(a child subreaper, see supervise.py) inherits them, and they wait for work that never comes,
~150 MB each.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import xmlrpc.client
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from pipeline.stack import api_hang
from pipeline.stack.api_hang import Answer, ApiHang
from pipeline.stack.watchdog_metrics import WatchdogMetrics

# Where the stack's Airflow pushes metrics (`newsflow stack up --metrics`, or the user's own).
PUSHGATEWAY_VAR = "NEWSFLOW_PUSHGATEWAY_URL"
STALE_SECONDS = 90.0
TICK_SECONDS = 5.0  # supervisord's TICK_5, and `--observe`'s interval
DATABASE_GRACE_SECONDS = 30.0
HEALTH_TIMEOUT_SECONDS = 3.0  # the next look comes 5 s later

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
    for each in [pid, *children(pid)]:
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


def children(pid: int) -> list[int]:
    """The pids of a process's children, from every thread's list."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(child) for task in tasks for child in (task / "children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """The process and every process below it."""
    found = [pid]
    for child in children(pid):
        found += descendants(child)
    return found


def continue_stopped(pid: int) -> list[int]:
    """SIGCONT to each stopped process of a program (its own and its children's): a stopped
    process does not act on supervisord's SIGTERM until it is continued, so it would be
    SIGKILLed after stopwaitsecs with no chance to stop cleanly. The pids continued."""
    continued = []
    for each in descendants(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        if "\nState:\tT " in status:  # stopped by a signal (not "t": stopped by a tracer)
            try:
                os.kill(each, signal.SIGCONT)
            except ProcessLookupError:
                continue
            continued.append(each)
    return continued


WORKER_TITLE = b"airflow worker -- LocalExecutor"


def orphan_workers(supervisord: int, programs: set[int]) -> list[int]:
    """Idle LocalExecutor workers whose scheduler is gone: supervisord's children that are not
    one of its programs."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in programs:
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, IndexError, ValueError):
            continue
        if parent == supervisord and title.startswith(WORKER_TITLE) and b"<idle>" in title:
            found.append(int(entry.name))
    return sorted(found)


class Watchdog:
    def __init__(
        self,
        api_url: str,
        rpc,
        log=None,
        supervisord: int | None = None,
        pushgateway: str | None = None,
        api_hang_seconds: float = api_hang.HANG_SECONDS,
    ):
        self.health_url = f"{api_url.rstrip('/')}/api/v2/monitor/health"
        self.rpc = rpc
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.database_up_since: float | None = None
        self.supervisord = supervisord
        self.http = httpx.Client(timeout=HEALTH_TIMEOUT_SECONDS)
        self.api_hang = ApiHang(
            lambda now, line: self.log(f"{_stamp(now)} {line}"), api_hang_seconds
        )
        self.metrics = (
            WatchdogMetrics(
                pushgateway, api_url, lambda line: self.log(f"{_stamp(time.time())} {line}")
            )
            if pushgateway
            else None
        )

    def ask(self) -> Answer:
        """One request to the health endpoint: a timeout (the server accepted the connection,
        or the kernel queued it, and no answer came) is told apart from a refusal."""
        try:
            resp = self.http.get(self.health_url)
        except httpx.TimeoutException as exc:
            return Answer(
                None,
                timed_out=True,
                failure=f"no answer within {HEALTH_TIMEOUT_SECONDS:.0f} s ({type(exc).__name__})",
            )
        except httpx.HTTPError as exc:
            return Answer(None, failure=f"{type(exc).__name__}: {exc}")
        if resp.status_code != 200:
            return Answer(None, failure=f"answered HTTP {resp.status_code}")
        return Answer(resp.json())

    def programs(self) -> dict[str, Program]:
        if self.rpc is None:
            return {}  # observing only (`--observe`): nothing to restart
        return {
            info["name"]: Program(info["name"], info["statename"], info["pid"], info["start"])
            for info in self.rpc.supervisor.getAllProcessInfo()
        }

    def tick(self, now: float | None = None) -> list[str]:
        """One look; the names of the programs restarted. With a Pushgateway, what it saw is
        pushed there (watchdog_metrics.py)."""
        now = time.time() if now is None else now
        programs = self.programs()
        orphans = 0
        if self.supervisord is not None:
            orphans = self.stop_orphans({p.pid for p in programs.values() if p.pid}, now)
        answer = self.ask()
        health = answer.health
        restarted = self._look(health, programs, now)
        if self.rpc is not None:  # without supervisord (`--observe`) nothing is restarted
            restarted += self._look_at_api_server(answer, programs, now)
        if self.metrics is not None:
            ages = {} if health is None else heartbeat_ages(health, now)
            self.metrics.record(
                health,
                {HEARTBEATS[part][1]: age for part, age in ages.items()},
                restarted,
                orphans,
            )
            self.metrics.push()
        return restarted

    def _look(self, health: dict | None, programs: dict[str, Program], now: float) -> list[str]:
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
        for program, reason in stuck(health, self.database_up_since, programs, now):
            self.restart(program, reason, now)
            restarted.append(program.name)
        return restarted

    def _look_at_api_server(
        self, answer: Answer, programs: dict[str, Program], now: float
    ) -> list[str]:
        program = programs.get(api_hang.PROGRAM)
        reason = self.api_hang.look(answer, program, now)
        if reason is None or program is None:
            return []
        self.restart(program, reason, now)
        return [program.name]

    def restart(self, program: Program, reason: str, now: float) -> None:
        """Stop the program through supervisord (SIGTERM to its process group, SIGKILL after
        stopwaitsecs), continuing a stopped process first, then start it again."""
        self.log(f"{_stamp(now)} restarting {reason}; process: {process_state(program.pid)}")
        continued = continue_stopped(program.pid)
        if continued:
            self.log(
                f"{_stamp(now)} continued the stopped processes {' '.join(map(str, continued))} "
                f"of {program.name} (SIGCONT), so that they act on supervisord's SIGTERM"
            )
        self.rpc.supervisor.stopProcess(program.name, True)
        self.rpc.supervisor.startProcess(program.name, False)

    def stop_orphans(self, program_pids: set[int], now: float) -> int:
        """Stop the idle workers a killed scheduler left; how many."""
        assert self.supervisord is not None
        orphans = orphan_workers(self.supervisord, program_pids)
        if not orphans:
            return 0
        self.log(
            f"{_stamp(now)} stopping {len(orphans)} idle LocalExecutor workers left by a "
            f"scheduler that is gone: {' '.join(map(str, orphans))}"
        )
        for pid in orphans:
            # SIGKILL: a worker keeps the scheduler's SIGTERM handler, which returns at once in
            # any process but the scheduler. An idle worker holds no task.
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return len(orphans)


def _stamp(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="seconds")


def observe(api_url: str, interval: float = TICK_SECONDS) -> int:
    """`--observe API_URL`: look every `interval` seconds and push what is seen, restarting
    nothing. For a deployment without the local stack's supervisord (docker-compose.yml's
    monitoring profile), where the NewsflowAirflow* alerts need the same series."""
    pushgateway = os.environ.get(PUSHGATEWAY_VAR)
    if not pushgateway:
        print(f"--observe pushes to a Pushgateway: set {PUSHGATEWAY_VAR}", file=sys.stderr)
        return 2
    watchdog = Watchdog(api_url, None, pushgateway=pushgateway)
    watchdog.log(
        f"{_stamp(time.time())} observing {', '.join(HEARTBEATS)} at {watchdog.health_url} "
        f"every {interval:.0f} s, pushing to {pushgateway}; restarting nothing"
    )
    while True:
        try:
            watchdog.tick()
        except Exception as exc:  # noqa: BLE001 (a look that failed must not stop the next)
            watchdog.log(f"{_stamp(time.time())} look failed: {type(exc).__name__}: {exc}")
        time.sleep(interval)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--observe"] and len(argv) == 2:
        return observe(argv[1])
    from supervisor import childutils

    (api_url,) = argv
    pushgateway = os.environ.get(PUSHGATEWAY_VAR) or None
    problem = None
    try:
        api_hang_seconds = api_hang.hang_seconds(os.environ)
    except ValueError as exc:
        problem = f"{exc}: using {api_hang.HANG_SECONDS:.0f} s"
        api_hang_seconds = api_hang.HANG_SECONDS
    watchdog = Watchdog(
        api_url,
        childutils.getRPCInterface(os.environ),
        supervisord=os.getppid(),
        pushgateway=pushgateway,
        api_hang_seconds=api_hang_seconds,
    )
    if problem:
        watchdog.log(f"{_stamp(time.time())} {problem}")
    watchdog.log(
        f"{_stamp(time.time())} watching {', '.join(HEARTBEATS)} at {watchdog.health_url}: "
        f"restart after {STALE_SECONDS:.0f} s without a heartbeat, and {api_hang.PROGRAM} "
        f"after {api_hang_seconds:g} s without an answer"
        + (f"; pushing what it sees to {pushgateway}" if pushgateway else "")
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
