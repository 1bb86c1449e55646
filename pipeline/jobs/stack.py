"""The local stack as the commands use it: the process manager (pipeline/stack), wired with
what the enricher needs before it starts (migrations, topics), and what `newsflow stack
status` and `logs` show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.progress import Meter
from pipeline.stack import airflow
from pipeline.stack.airflow import base_url, password_file
from pipeline.stack.kafka import resolve_jars
from pipeline.stack.manager import COMPONENTS, Progress, Running, Stack, component_of

if TYPE_CHECKING:
    from pipeline.stack.airflow_api import AirflowAPI

# With NEWSFLOW_ENRICHERS > 1 each enricher also has its own log, enricher-<i>.
LOGS = (
    *COMPONENTS,
    *(f"airflow-{part}" for part in airflow.COMPONENTS),
    *(f"airflow-celery-{worker}" for worker in airflow.CELERY_WORKERS),
    "airflow-watchdog",
)

__all__ = [
    "COMPONENTS",
    "LOGS",
    "Running",
    "Stack",
    "airflow_client",
    "base_url",
    "foreign_consumers",
    "local_stack",
    "log_tails",
    "password_file",
    "resolve_jars",
    "stack_status",
]


def local_stack(
    settings: Settings,
    progress: Progress = print,
    lock_wait: float | None = None,
    meter: Meter | None = None,
) -> Stack:
    """The stack manager; starting the enricher migrates the warehouse and creates the topics
    first. `meter` hears the slow steps of a first start (default: plain log lines)."""

    def prepare_enricher() -> None:
        from pipeline.jobs.warehouse_admin import migrate_warehouse
        from pipeline.publish.topics import ensure_topics

        migrate_warehouse(settings)
        ensure_topics(settings)
        progress("warehouse migrated, topics ready")
        idle = idle_enrichers(settings)
        if idle:
            progress(idle)

    return Stack(
        settings,
        progress=progress,
        lock_wait=lock_wait,
        before_enricher=prepare_enricher,
        meter=meter,
    )


def idle_enrichers(settings: Settings) -> str | None:
    """One line when NEWSFLOW_ENRICHERS exceeds the cleaned topic's partitions: a partition
    goes to one member of the group, so the extra enrichers wait idle (standing by for a
    rebalance)."""
    from pipeline.config import CLEANED_TOPIC
    from pipeline.publish.topics import describe_topics

    found = {info.name: info for info in describe_topics(settings, [CLEANED_TOPIC])}
    topic = found.get(CLEANED_TOPIC)
    if topic is None or settings.enrichers <= topic.partitions:
        return None
    extra = settings.enrichers - topic.partitions
    return (
        f"enricher: {settings.enrichers} processes for {topic.partitions} partitions of "
        f"{CLEANED_TOPIC}: {extra} will stay idle, standing by for a rebalance "
        f"(NEWSFLOW_TOPIC_PARTITIONS={settings.enrichers} gives a topic created from then on "
        "that many partitions; an existing topic keeps its count)"
    )


def airflow_client(settings: Settings) -> AirflowAPI:
    """The stack's Airflow REST API (trigger and follow DAG runs)."""
    from pipeline.stack.airflow_api import AirflowAPI

    return AirflowAPI(settings)


def stack_status(
    settings: Settings,
) -> tuple[list[tuple[object, ...]], dict[str, Running | None], bool]:
    """`newsflow stack status`'s rows (component, state, pid, port, log), what runs, and
    whether a started component is dead or degraded.

    Airflow's state comes from its health endpoint: `degraded (scheduler)` names the parts
    that stopped heartbeating. A Kafka cluster has a `kafka` line above its brokers' lines:
    `degraded (broker 2 down)` while some brokers run and others do not.
    """
    rows: list[tuple[object, ...]] = []
    bad = False
    status = Stack(settings).status()
    nodes = [(name, run) for name, run in status if name.startswith("kafka-")]
    kafka_state, ports = "", ""
    if nodes:
        # A cluster: one line for Kafka as a whole above one line per broker.
        down = [name.split("-", 1)[1] for name, run in nodes if run is None or not run.alive]
        if not down:
            kafka_state = "running"
        elif len(down) == len(nodes):
            kafka_state = "stopped" if all(run is None for _, run in nodes) else "dead"
        else:
            kafka_state = f"degraded (broker{'s' if len(down) > 1 else ''} {', '.join(down)} down)"
        bad = bad or kafka_state == "dead" or kafka_state.startswith("degraded")
        ports = ",".join(str(run.port) for _, run in nodes if run is not None and run.port)
    for name, run in status:
        if nodes and name == nodes[0][0]:
            rows.append(("kafka", kafka_state, "-", ports or "-", "-"))
        if run is None:
            rows.append((name, "stopped", "-", "-", "-"))
            continue
        state = "running" if run.alive else "dead"
        if run.alive and name == "airflow":
            parts = airflow.health(settings)
            if parts is None:
                state = "starting (API server not answering)"
            elif airflow.unhealthy(parts):
                state = f"degraded ({', '.join(airflow.unhealthy(parts))})"
        bad = bad or state == "dead" or state.startswith("degraded")
        rows.append((name, state, run.pid, run.port or "-", run.log))
    return rows, dict(status), bad


def foreign_consumers(settings: Settings, runs: dict[str, Running | None]) -> list[str]:
    """Lines on the members of the enricher's consumer group the stack did not start; none
    when the stack's Kafka is not running."""
    from pipeline.stack.consumers import foreign_members, group_members
    from pipeline.stack.process import stack_processes

    brokers = [run for name, run in runs.items() if name.startswith("kafka")]
    if not any(run is not None and run.alive for run in brokers):
        return []
    group = settings.consumer_group
    members = group_members(settings, group)
    if members is None:
        return [f"consumer group {group}: Kafka did not answer; members unknown"]
    tracked = {
        run.pid
        for name, run in runs.items()
        if component_of(name) == "enricher" and run is not None and run.alive
    }
    started = {
        pid for pid, _, component in stack_processes(settings.home_dir) if component == "enricher"
    }
    lines = foreign_members(members, tracked, started)
    if not lines:
        return []
    return [
        f"consumer group {group}: {len(members)} members, {len(lines)} not started by the stack:",
        *(f"  {line}" for line in lines),
    ]


def log_tails(settings: Settings, names: tuple[str, ...], lines: int) -> Iterator[str]:
    """The last `lines` of each named log (every log when none is named), each under a
    `==> name (path)` line; a named log that does not exist yet says so."""
    from pipeline.stack.process import tail_lines

    home = settings.home_dir / "logs"
    numbered = sorted(p.stem for p in home.glob("enricher-*.log"))
    for name in names or (*LOGS, *numbered):
        path = home / f"{name}.log"
        if not path.exists():
            if names:
                yield f"==> {name}: no log yet ({path})"
            continue
        yield f"==> {name} ({path})"
        yield from tail_lines(path, lines)
