"""`newsflow stack ...`: the local stack's commands (the stack itself: pipeline/jobs/stack.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from pipeline.config import Settings
from pipeline.jobs import stack as jobs_stack
from pipeline.jobs.stack import COMPONENTS, Stack
from pipeline.progress import meter_for
from pipeline.table import format_table


@click.group()
def stack() -> None:
    """Start, stop and inspect the local stack (Kafka, PostgreSQL, Airflow, enricher)."""


def _components(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    """COMPONENTS, or `kafka-N` for one broker of a cluster (NEWSFLOW_KAFKA_BROKERS > 1)."""
    for name in value:
        node = name.split("-", 1)
        if name not in COMPONENTS and not (
            len(node) == 2 and node[0] == "kafka" and node[1].isdigit()
        ):
            raise click.BadParameter(
                f"{name!r} is not one of {', '.join(COMPONENTS)} (or kafka-N, one broker "
                "of a cluster)"
            )
    return list(value)


_component = click.argument(
    "components", nargs=-1, metavar=f"[{'|'.join(COMPONENTS)}|kafka-N]...", callback=_components
)
_brokers = click.option(
    "--brokers",
    type=click.IntRange(1, 9),
    help="Kafka brokers (default: NEWSFLOW_KAFKA_BROKERS, 1); 3 makes a KRaft cluster with "
    "topics replicated 3 times, min.insync.replicas 2",
)

_secure = click.option(
    "--secure",
    is_flag=True,
    default=None,
    help="Kafka on SASL_SSL (SCRAM-SHA-512) with ACLs, CA and users generated under "
    "NEWSFLOW_HOME/secrets/kafka (default: NEWSFLOW_KAFKA_SECURE, off)",
)


def _locking(command: Callable) -> Callable:
    """The options of the commands that take the stack lock (one stack command at a time)."""
    command = click.option(
        "--no-wait", is_flag=True, help="fail at once if another stack command holds the lock"
    )(command)
    return click.option(
        "--lock-timeout",
        type=click.FloatRange(min=0),
        metavar="SECONDS",
        help="wait at most this long for another stack command (default: until it finishes)",
    )(command)


def _scale(command: Callable) -> Callable:
    """The options of the commands that start processes: how many enrichers, which executor."""
    command = click.option(
        "--enrichers",
        type=click.IntRange(min=1, max=64),
        metavar="N",
        help="enricher processes in the consumer group (default: NEWSFLOW_ENRICHERS, 1)",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "celery"]),
        help="Airflow's executor; celery adds Redis and two Celery workers "
        "(default: NEWSFLOW_AIRFLOW_EXECUTOR, local)",
    )(command)


_metrics = click.option(
    "--metrics/--no-metrics",
    default=None,
    help="also run Prometheus (scraping every enricher, with the alert rules) and the "
    "Pushgateway ingestion pushes to; Debian's prometheus and prometheus-pushgateway "
    "(default: NEWSFLOW_METRICS, off)",
)


@contextmanager
def _stack(
    ctx: click.Context,
    no_wait: bool,
    lock_timeout: float | None,
    brokers: int | None = None,
    enrichers: int | None = None,
    executor: str | None = None,
    metrics: bool | None = None,
    secure: bool | None = None,
) -> Iterator[Stack]:
    """The stack manager of one command; Ctrl-C ends it with status 130 and no traceback,
    once `up` has stopped what it started."""
    settings = ctx.obj["settings"]
    if brokers is not None and brokers != settings.kafka_brokers:
        # A new Settings, not a copy: the bootstrap list and replication follow the count.
        settings = Settings(kafka_brokers=brokers)
    update: dict[str, object] = {}
    if enrichers is not None:
        update["enrichers"] = enrichers
    if executor is not None:
        update["airflow_executor"] = executor
    if metrics is not None:
        update["metrics"] = metrics
    if secure:
        update["kafka_secure"] = True
    if update:
        settings = settings.model_copy(update=update)
    try:
        with meter_for(settings.progress) as meter:
            yield jobs_stack.local_stack(
                settings,
                progress=click.echo,
                lock_wait=0 if no_wait else lock_timeout,
                meter=meter,
            )
    except KeyboardInterrupt:
        click.echo(f"newsflow: stack {ctx.info_name} interrupted", err=True)
        sys.exit(130)


@stack.command("up")
@_component
@_brokers
@_secure
@_locking
@_scale
@_metrics
@click.pass_context
def stack_up(
    ctx: click.Context,
    components: tuple[str, ...],
    brokers: int | None,
    no_wait: bool,
    lock_timeout: float | None,
    enrichers: int | None,
    executor: str | None,
    metrics: bool | None,
    secure: bool | None,
) -> None:
    """Start the stack (or the named components); idempotent. Ctrl-C stops what it started.

    `--enrichers 3` runs three `newsflow consume` processes in one consumer group (one row
    each in `stack status`); `--executor celery` runs Airflow's CeleryExecutor with two
    workers and Redis (Debian's redis-server) as its broker; `--brokers 3` (or
    NEWSFLOW_KAFKA_BROKERS=3) makes Kafka a cluster of three KRaft nodes, components kafka-1,
    kafka-2, kafka-3: give the same setting to the commands that use it. `--metrics` adds
    Prometheus and the Pushgateway (docs/operations.md). `--secure` (or
    NEWSFLOW_KAFKA_SECURE=1) runs Kafka on SASL_SSL with ACLs; other commands need the setting.
    """
    with _stack(
        ctx, no_wait, lock_timeout, brokers, enrichers, executor, metrics, secure
    ) as manager:
        manager.meter.start(None, "stack up")
        manager.up(list(components) or None)
        manager.meter.done("running")


@stack.command("down")
@_component
@_locking
@click.pass_context
def stack_down(
    ctx: click.Context, components: list[str], no_wait: bool, lock_timeout: float | None
) -> None:
    """Stop every process the stack started (or the named components)."""
    with _stack(ctx, no_wait, lock_timeout) as manager:
        manager.down(list(components) or None)


@stack.command("restart")
@_component
@_brokers
@_secure
@_locking
@_scale
@_metrics
@click.pass_context
def stack_restart(
    ctx: click.Context,
    components: tuple[str, ...],
    brokers: int | None,
    no_wait: bool,
    lock_timeout: float | None,
    enrichers: int | None,
    executor: str | None,
    metrics: bool | None,
    secure: bool | None,
) -> None:
    """Restart the stack or the named components (`restart enricher` restarts every
    enricher process; kafka-2: one broker of a cluster)."""
    with _stack(
        ctx, no_wait, lock_timeout, brokers, enrichers, executor, metrics, secure
    ) as manager:
        manager.restart(list(components) or None)


@stack.command("status")
@click.pass_context
def stack_status(ctx: click.Context) -> None:
    """What runs, on which port, with which pid and log file.

    Airflow's state comes from its health endpoint: `degraded (scheduler)` names the parts that
    stopped heartbeating (supervisord restarts them; see logs/airflow.log). Exits 1 when a
    started component is dead or degraded; a Kafka cluster with a broker down is
    `degraded (broker 2 down)`. Consumers in the enricher's group that the stack
    did not start are listed below the table.
    """
    settings = ctx.obj["settings"]
    rows, runs, bad = jobs_stack.stack_status(settings)
    click.echo(format_table(("component", "state", "pid", "port", "log"), rows))
    for line in jobs_stack.foreign_consumers(settings, runs):
        click.echo(line)
    if bad:
        ctx.exit(1)


def _log_names(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        numbered = name.startswith("enricher-") and name.removeprefix("enricher-").isdigit()
        if name not in jobs_stack.LOGS and not numbered:
            choices = ", ".join([*jobs_stack.LOGS, "enricher-<i>"])
            raise click.BadParameter(f"{name!r} is not one of {choices}", param_hint="NAMES")
    return names


@stack.command("logs")
@click.argument("names", nargs=-1, callback=lambda _ctx, _param, names: _log_names(names))
@click.option(
    "-n",
    "--lines",
    default=40,
    show_default=True,
    type=click.IntRange(min=1),
    help="lines from the end of each log",
)
@click.pass_context
def stack_logs(ctx: click.Context, names: tuple[str, ...], lines: int) -> None:
    """The last lines of each component's log (airflow: supervisord's starts, exits and
    restarts; airflow-scheduler and the others: that Airflow component's own log)."""
    for line in jobs_stack.log_tails(ctx.obj["settings"], names, lines):
        click.echo(line)


@stack.command("jars")
@click.pass_context
def stack_jars(ctx: click.Context) -> None:
    """Resolve the Kafka broker's jars with Maven (cached under NEWSFLOW_HOME)."""
    settings = ctx.obj["settings"]
    with meter_for(settings.progress) as meter:
        meter.start(None, "stack jars")
        jars = jobs_stack.resolve_jars(settings, meter)
        meter.done(f"{jars}")
    click.echo(f"Kafka jars in {jars}")
