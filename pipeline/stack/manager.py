"""`newsflow stack up|down|status|restart`: the local stack, one process group per component.

One stack command at a time (pipeline.stack.lock); every process a command starts carries this
stack's home in its environment, so `down` stops it even if no state file names it.

The manager runs processes only: what the enricher needs before it starts (migrations, topics)
is the `before_enricher` callback its caller gives (pipeline/jobs/stack.py).
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import NewsflowError, PrerequisiteError
from pipeline.interrupt import deferred_interrupt
from pipeline.progress import LogMeter, Meter
from pipeline.stack import airflow, kafka, kafka_secure, monitoring, postgres, redis_broker
from pipeline.stack.cold_start import AirflowLogWatch
from pipeline.stack.enricher_ports import enricher_env, enricher_metrics_port
from pipeline.stack.lock import StackLock
from pipeline.stack.process import (
    STACK_COMPONENT_VAR,
    STACK_HOME_VAR,
    is_running,
    port_bindable,
    port_in_use,
    spawn,
    stack_processes,
    stop_group,
    wait_for_free_port,
    wait_until,
)

# In start order; down stops them in reverse. redis runs only with `--executor celery`
# (Celery's broker, before Airflow); pushgateway and prometheus only with `--metrics`
# (pipeline/stack/monitoring.py); enricher stands for its NEWSFLOW_ENRICHERS processes.
COMPONENTS = ("postgres", "kafka", "redis", "pushgateway", "prometheus", "airflow", "enricher")
# How long a start waits for a connection to release the port its component listens on: a
# closed one that closed first keeps its port for TIME_WAIT, 60 s on Linux.
PORT_RELEASE_TIMEOUT = 90.0
PORT_SETTINGS = {
    "postgres": "NEWSFLOW_PG_PORT",
    "kafka": "NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS",
    "redis": "NEWSFLOW_REDIS_PORT",
    "airflow": "NEWSFLOW_AIRFLOW_PORT",
    "prometheus": "NEWSFLOW_PROMETHEUS_PORT",
    "pushgateway": "NEWSFLOW_PUSHGATEWAY_PORT",
    "enricher": "NEWSFLOW_METRICS_PORT",  # its metrics server's
}
Progress = Callable[[str], None]


@dataclass
class Running:
    name: str
    pid: int
    port: int | None
    log: str
    started_at: str

    @property
    def alive(self) -> bool:
        return is_running(self.pid)


def enricher_names(count: int) -> list[str]:
    """The enricher processes' names (and state keys, and logs): `enricher` alone, or
    `enricher-1` ... `enricher-N`."""
    return ["enricher"] if count == 1 else [f"enricher-{i}" for i in range(1, count + 1)]


def component_of(name: str) -> str:
    """`enricher-2` → `enricher`; any other name is its own component."""
    return "enricher" if name.startswith("enricher-") else name


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as NEWSFLOW_* variables, so child processes see the same configuration."""
    env = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        env[f"NEWSFLOW_{name.upper()}"] = str(value)
    env["NEWSFLOW_HOME"] = str(settings.home_dir)
    return env


class Stack:
    """`lock_wait`: how long up, down and restart wait for another stack command to finish
    (None: as long as it takes; 0: not at all). `before_enricher` runs once Kafka and
    PostgreSQL are up, before the enricher starts."""

    def __init__(
        self,
        settings: Settings,
        progress: Progress = print,
        lock_wait: float | None = None,
        before_enricher: Callable[[], None] | None = None,
        meter: Meter | None = None,
    ) -> None:
        self.settings = settings
        # Hears the slow steps of a first start (jars, initdb, airflow db migrate); its owner
        # starts and ends it. Plain log lines unless the command passes its own.
        self.meter = meter if meter is not None else LogMeter(what="stack")
        self.before_enricher = before_enricher
        self.progress = progress
        self.home = settings.home_dir
        self.state_file = self.home / "run" / "stack.json"
        self.logs = self.home / "logs"
        self.lock_wait = lock_wait
        self._locked = False  # restart's down and up, and an interrupted up's down, nest
        self._started: list[str] = []  # what the running `up` started, in order

    @contextmanager
    def _exclusive(self, verb: str, only: list[str] | None) -> Iterator[None]:
        if self._locked:
            yield
            return
        command = " ".join(["newsflow stack", verb, *(only or [])])
        with StackLock(self.home, command, self.lock_wait, self.progress):
            self._locked = True
            try:
                yield
            finally:
                self._locked = False

    # -- state -------------------------------------------------------------------------
    def _load(self) -> dict[str, Running]:
        if not self.state_file.exists():
            return {}
        raw = json.loads(self.state_file.read_text())
        return {name: Running(**entry) for name, entry in raw.items()}

    def _save(self, state: dict[str, Running]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps({k: vars(v) for k, v in state.items()}, indent=2))

    def kafka_nodes(self, state: dict[str, Running] | None = None) -> list[str]:
        """The Kafka components: those the settings ask for, and any other still recorded as
        started (a cluster started with another NEWSFLOW_KAFKA_BROKERS)."""
        recorded = {n for n in (state or {}) if n == "kafka" or n.startswith("kafka-")}
        wanted = set(kafka.node_names(self.settings))
        if recorded and "kafka" not in recorded and wanted == {"kafka"}:
            wanted = set()  # a cluster runs: its nodes, not a single broker that does not
        return sorted(wanted | recorded, key=_node_order)

    def _instances(self, component: str, state: dict[str, Running]) -> list[str]:
        """The processes `component` stands for: every Kafka node, every enricher process
        (those in the state file, else those it would start), or the component itself."""
        if component == "kafka":
            return self.kafka_nodes(state)
        tracked = [name for name in state if component_of(name) == component]
        if tracked:
            return sorted(tracked, key=lambda name: (len(name), name))
        if component == "enricher":
            return enricher_names(self.settings.enrichers)
        return [component]

    def _expand(self, names: list[str], state: dict[str, Running]) -> list[str]:
        """COMPONENTS order, a component standing for all its processes (`kafka`: every node,
        `enricher`: every enricher); a process may be named alone (`kafka-2`)."""
        out: list[str] = []
        for component in COMPONENTS:
            if component in names:
                out += self._instances(component, state)
            else:
                out += [n for n in names if n.startswith(f"{component}-")]
        return out

    def status(self) -> list[tuple[str, Running | None]]:
        """One row per process: each enricher has its own; redis shows only with the
        CeleryExecutor, prometheus and pushgateway with --metrics, or while they run."""
        state = self._load()
        rows = []
        for component in COMPONENTS:
            if not self._wants(component, state):
                continue
            rows += [(name, state.get(name)) for name in self._instances(component, state)]
        return rows

    @property
    def _celery(self) -> bool:
        return self.settings.airflow_executor == "celery"

    def _wants(self, component: str, state: dict[str, Running]) -> bool:
        """redis with Celery, prometheus and pushgateway with --metrics, or while they run."""
        if component == "redis":
            return self._celery or component in state
        if component in monitoring.COMPONENTS:
            return self.settings.metrics or component in state
        return True

    # -- start -------------------------------------------------------------------------
    def _port(self, name: str) -> int | None:
        s = self.settings
        if name.startswith("kafka"):
            return kafka.node_port(s, name)
        if name in monitoring.COMPONENTS:
            return monitoring.port(s, name)
        if component_of(name) == "enricher":
            return enricher_metrics_port(s, name)
        return {"postgres": s.pg_port, "redis": s.redis_port, "airflow": s.airflow_port}.get(name)

    def _env(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env.update(settings_env(self.settings))
        if component_of(name) in ("airflow", "enricher"):
            env.update(monitoring.environment(self.settings))  # where ingestion pushes
        env.update(extra or {})
        env.update({STACK_HOME_VAR: str(self.home), STACK_COMPONENT_VAR: component_of(name)})
        return env

    def _start(self, name: str, state: dict[str, Running]) -> Running:
        current = state.get(name)
        if current is not None and current.alive:
            self.progress(f"{name}: already running (pid {current.pid})")
            if name == "prometheus":  # the enrichers to scrape follow --enrichers
                monitoring.reload(self.settings, current.pid)
            return current
        port = self._port(name)
        if port is not None and port_in_use(port):
            raise PrerequisiteError(
                f"port {port} is in use by another process, so {name} cannot start: stop that "
                f"process or choose another port with {PORT_SETTINGS[name.split('-')[0]]}"
            )
        if port is not None and not port_bindable(port):
            # Nothing listens there, but a connection has it as its local port: usually gone
            # within seconds.
            self.progress(f"{name}: port {port} is held by a connection; waiting for it")
            if not wait_for_free_port(port, PORT_RELEASE_TIMEOUT):
                raise PrerequisiteError(
                    f"port {port} is held by a connection of another process (the kernel gives "
                    f"outgoing connections local ports from net.ipv4.ip_local_port_range), so "
                    f"{name} cannot listen on it: choose a port outside that range with "
                    f"{PORT_SETTINGS[name.split('-')[0]]}"
                )
        if name == "redis":
            redis_broker.prepare(self.settings)  # says how to install redis-server if missing
        log = self.logs / f"{name}.log"
        user = None
        cwd = self.home
        if name == "postgres":
            user = postgres.prepare(self.settings, self.meter)
            cmd, env = postgres.command(self.settings), self._env(name)
        elif name.startswith("kafka"):
            kafka.prepare(self.settings, name, self.meter)
            cmd, env = kafka.command(self.settings, name), self._env(name)
        elif name == "redis":
            cmd, env = redis_broker.command(self.settings), self._env(name)
        elif name in monitoring.COMPONENTS:
            monitoring.prepare(self.settings, name)
            cmd, env = monitoring.command(self.settings, name), self._env(name)
        elif name == "airflow":
            airflow.prepare(self.settings)
            cmd, env = (
                airflow.command(self.settings),
                self._env(name, airflow.environment(self.settings)),
            )
        else:
            newsflow = str(Path(sys.executable).parent / "newsflow")
            cmd, env = [newsflow, "consume"], self._env(name, enricher_env(self.settings, name))
        self.progress(f"{name}: starting (log {log})")
        # Ctrl-C between the start and the state file would leave a process nobody tracks.
        with deferred_interrupt() as interrupted:
            pid = spawn(cmd, log, env, cwd=cwd, user=user)
            run = Running(
                name, pid, port, str(log), datetime.now(UTC).isoformat(timespec="seconds")
            )
            state[name] = run
            self._save(state)
            if component_of(name) not in self._started:
                self._started.append(component_of(name))
        if interrupted.is_set():
            raise KeyboardInterrupt
        return run

    def _wait(self, run: Running, check: Callable[[], bool], timeout: float) -> None:
        started = time.monotonic()
        wait_until(check, run.name, timeout, Path(run.log), alive=lambda: run.alive)
        self.progress(f"{run.name}: ready on port {run.port} ({time.monotonic() - started:.0f}s)")

    def up(self, only: list[str] | None = None) -> None:
        """Start what is not running. Interrupted (Ctrl-C), it stops what it started and
        raises KeyboardInterrupt; interrupted again while stopping, it says what still runs."""
        with self._exclusive("up", only):
            self._started = []
            try:
                self._up(only)
            except KeyboardInterrupt:
                self.meter.close()  # the lines on stopping what started are not progress
                self._stop_started()
                raise

    def _stop_started(self) -> None:
        started = list(self._started)
        if not started:
            return
        self.progress(f"interrupted: stopping what this command started: {', '.join(started)}")
        try:
            self.down(started)
        except KeyboardInterrupt:
            state = self._load()
            left = [name for name in started if any(component_of(n) == name for n in state)]
            self.progress(
                f"interrupted again: {', '.join(left)} may still be starting; stop "
                "them with `newsflow stack down`"
            )
            raise

    def _up(self, only: list[str] | None) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        state = self._load()
        s = self.settings
        names = [c for c in COMPONENTS if self._wants(c, {})] if only is None else only
        if "airflow" in names and self._celery and "redis" not in names:
            names = [*names, "redis"]  # the CeleryExecutor's broker comes with it
        wanted = self._expand(list(names), state)
        unknown = [n for n in wanted if n.startswith("kafka") and n not in kafka.node_names(s)]
        if unknown:
            raise PrerequisiteError(
                f"{', '.join(unknown)}: not a node of this stack's Kafka "
                f"(NEWSFLOW_KAFKA_BROKERS={s.kafka_brokers}; use --brokers N or that setting)"
            )
        nodes = [n for n in wanted if n.startswith("kafka")]
        if "redis" in wanted and not (state.get("redis") and state["redis"].alive):
            redis_broker.prepare(s)  # a missing redis-server stops `up` before anything starts
        for name in monitoring.COMPONENTS:
            if name in wanted and not (state.get(name) and state[name].alive):
                monitoring.check_installed(name)  # before anything starts, as for redis
        # Kafka, PostgreSQL and Redis start side by side; Airflow needs the database (and
        # Redis with Celery), the enricher the database and Kafka.
        runs: dict[str, Running] = {}
        for name in ("postgres", *nodes, "redis", *monitoring.COMPONENTS):
            if name in wanted:
                runs[name] = self._start(name, state)
        if runs.get("postgres"):
            self._wait(runs["postgres"], lambda: postgres.ready(s), 60)
            if postgres.require_passwords(s):
                self.progress("postgres: now scram-sha-256 for every connection (was trust)")
                stale = [
                    n
                    for n in ("airflow", "enricher")
                    if any(component_of(k) == n and r.alive for k, r in state.items())
                ]
                if stale:  # their connections were made without a password
                    self.progress(f"restart them: newsflow stack restart {' '.join(stale)}")
        if "postgres" in wanted or "airflow" in wanted:
            postgres.ensure_databases(s)
        for node in nodes:
            self._wait(runs[node], functools.partial(kafka.ready, s, node), 90)
        if len(nodes) > 1:
            wait_until(
                lambda: kafka.cluster_size(s) == s.kafka_brokers,
                f"Kafka cluster of {s.kafka_brokers} brokers",
                90,
                Path(runs[nodes[0]].log),
            )
            self.progress(f"kafka: {s.kafka_brokers} brokers in the cluster")
        if nodes and s.kafka_secure:
            granted = kafka_secure.grant_acls(s)
            self.progress(f"kafka: SASL_SSL, {granted} ACLs for the pipeline's user")
        if runs.get("redis"):
            self._wait(runs["redis"], lambda: redis_broker.ready(s), 30)
        for name in monitoring.COMPONENTS:
            if runs.get(name):
                self._wait(runs[name], functools.partial(monitoring.ready, s, name), 60)
        if "airflow" in wanted:
            airflow_log = AirflowLogWatch(self.logs / "airflow.log")
            runs["airflow"] = self._start("airflow", state)
        enrichers: list[Running] = []
        if any(component_of(name) == "enricher" for name in wanted):
            if self.before_enricher is not None:
                self.before_enricher()
            self._stop_surplus_enrichers(state)
            enrichers = [self._start(name, state) for name in enricher_names(s.enrichers)]
        if runs.get("airflow"):
            self._wait(runs["airflow"], functools.partial(self._airflow_ready, airflow_log), 240)
        if enrichers:
            time.sleep(2)
            for run in enrichers:
                if not run.alive:
                    raise NewsflowError(f"{run.name} exited at start; see {run.log}")
                self.progress(f"{run.name}: running (pid {run.pid})")

    def _airflow_ready(self, log: AirflowLogWatch) -> bool:
        """Whether Airflow answers; meanwhile, the meter hears the step of its start it is
        at (airflow db migrate, minutes on a first start)."""
        if (step := log.step()) is not None:
            self.meter.advance(step=step)
        return airflow.ready(self.settings)

    def _stop_surplus_enrichers(self, state: dict[str, Running]) -> None:
        """Enricher processes of an earlier `up` with another count (`enricher` vs
        `enricher-1`, or more of them) stop, so the group has the count asked for."""
        keep = set(enricher_names(self.settings.enrichers))
        for name in [n for n in state if component_of(n) == "enricher" and n not in keep]:
            run = state.pop(name)
            if run.alive or _group_alive(run.pid):
                self.progress(f"{name}: stopping (pid {run.pid}; NEWSFLOW_ENRICHERS changed)")
                stop_group(run.pid, signal.SIGTERM, timeout=30)
            self._save(state)

    # -- stop --------------------------------------------------------------------------
    def down(self, only: list[str] | None = None) -> None:
        with self._exclusive("down", only):
            self._down(only)

    def _down(self, only: list[str] | None) -> None:
        state = self._load()
        # Reverse order: consumers before the broker and the database they use.
        targets = list(reversed(self._expand(list(only or COMPONENTS), state)))
        for index, name in enumerate(targets):
            # postgres: SIGINT is its "fast" shutdown; SIGTERM would wait for clients.
            sig = signal.SIGINT if name == "postgres" else signal.SIGTERM
            run = state.get(name)
            if run is not None:
                if run.alive or _group_alive(run.pid):
                    self.progress(f"{name}: stopping (pid {run.pid})")
                    stop_group(run.pid, sig, timeout=30)
                state.pop(name)
                self._save(state)
                if name == "airflow" and (
                    failed := monitoring.forget_airflow(
                        self.settings, airflow.base_url(self.settings)
                    )
                ):
                    self.progress(failed)
            # Enricher processes share one marker: look for untracked ones after the last.
            marker = component_of(name)
            if all(component_of(later) != marker for later in targets[index + 1 :]):
                self._stop_untracked(marker, sig)
        self.progress("stack stopped" if only is None else f"stopped: {', '.join(only)}")

    def _stop_untracked(self, name: str, sig: int) -> None:
        """Stop the processes a stack command started as `name` that no state file names (a
        state file overwritten by a concurrent command before the lock existed, an `up`
        killed before it wrote it)."""
        ours = {os.getpid(), os.getpgrp()}
        groups = sorted(
            {
                group
                for pid, group, component in stack_processes(self.home)
                if component == name and not {pid, group} & ours
            }
        )
        for group in groups:
            self.progress(
                f"{name}: stopping pid {group}, started by a stack command but not tracked"
            )
            stop_group(group, sig, timeout=30)

    def restart(self, only: list[str] | None = None) -> None:
        with self._exclusive("restart", only):
            self.down(only)
            self.up(only)


def _node_order(name: str) -> int:
    return kafka.node_index(name)


def _group_alive(pgid: int) -> bool:
    from pipeline.stack.process import group_members

    return bool(group_members(pgid))
