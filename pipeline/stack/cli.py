"""`newsflow stack ...`: the local stack's commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from pipeline.config import Settings
from pipeline.stack import airflow
from pipeline.stack.kafka import resolve_jars
from pipeline.stack.manager import COMPONENTS, Running, Stack
from pipeline.stack.process import tail_lines
from pipeline.table import format_table


@click.group()
def stack() -> None:
    """Start, stop and inspect the local stack (Kafka, PostgreSQL, Airflow, enricher)."""


_component = click.argument("components", nargs=-1, type=click.Choice(COMPONENTS))


def _locking(command: Callable) -> Callable:
    """The options of the commands that take the stack lock (one stack command at a time)."""
    command = click.option("--no-wait", is_flag=True,
                           help="fail at once if another stack command holds the lock")(command)
    return click.option("--lock-timeout", type=click.FloatRange(min=0), metavar="SECONDS",
                        help="wait at most this long for another stack command "
                             "(default: until it finishes)")(command)


@contextmanager
def _stack(ctx: click.Context, no_wait: bool, lock_timeout: float | None) -> Iterator[Stack]:
    """The stack manager of one command; Ctrl-C ends it with status 130 and no traceback,
    once `up` has stopped what it started."""
    try:
        yield Stack(ctx.obj["settings"], progress=click.echo,
                    lock_wait=0 if no_wait else lock_timeout)
    except KeyboardInterrupt:
        click.echo(f"newsflow: stack {ctx.info_name} interrupted", err=True)
        sys.exit(130)


@stack.command("up")
@_component
@_locking
@click.pass_context
def stack_up(ctx: click.Context, components: tuple[str, ...], no_wait: bool,
             lock_timeout: float | None) -> None:
    """Start the stack (or the named components); idempotent. Ctrl-C stops what it started."""
    with _stack(ctx, no_wait, lock_timeout) as manager:
        manager.up(list(components) or None)


@stack.command("down")
@_component
@_locking
@click.pass_context
def stack_down(ctx: click.Context, components: tuple[str, ...], no_wait: bool,
               lock_timeout: float | None) -> None:
    """Stop every process the stack started (or the named components)."""
    with _stack(ctx, no_wait, lock_timeout) as manager:
        manager.down(list(components) or None)


@stack.command("restart")
@_component
@_locking
@click.pass_context
def stack_restart(ctx: click.Context, components: tuple[str, ...], no_wait: bool,
                  lock_timeout: float | None) -> None:
    """Restart the stack or the named components."""
    with _stack(ctx, no_wait, lock_timeout) as manager:
        manager.restart(list(components) or None)


@stack.command("status")
@click.pass_context
def stack_status(ctx: click.Context) -> None:
    """What runs, on which port, with which pid and log file.

    Airflow's state comes from its health endpoint: `degraded (scheduler)` names the parts that
    stopped heartbeating (supervisord restarts them; see logs/airflow.log). Exits 1 when a
    started component is dead or degraded. Consumers in the enricher's group that the stack
    did not start are listed below the table.
    """
    settings = ctx.obj["settings"]
    rows: list[tuple[object, ...]] = []
    bad = False
    status = Stack(settings).status()
    for name, run in status:
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
    click.echo(format_table(("component", "state", "pid", "port", "log"), rows))
    for line in _foreign_consumers(ctx.obj["settings"], dict(status)):
        click.echo(line)
    if bad:
        ctx.exit(1)


def _foreign_consumers(settings: Settings, runs: dict[str, Running | None]) -> list[str]:
    """Lines on the members of the enricher's consumer group the stack did not start; none
    when the stack's Kafka is not running."""
    from pipeline.stack.consumers import foreign_members, group_members
    from pipeline.stack.process import stack_processes

    kafka_run, enricher = runs.get("kafka"), runs.get("enricher")
    if kafka_run is None or not kafka_run.alive:
        return []
    group = settings.consumer_group
    members = group_members(settings, group)
    if members is None:
        return [f"consumer group {group}: Kafka did not answer; members unknown"]
    tracked = enricher.pid if enricher is not None and enricher.alive else None
    started = {pid for pid, _, component in stack_processes(settings.home_dir)
               if component == "enricher"}
    lines = foreign_members(members, tracked, started)
    if not lines:
        return []
    return [f"consumer group {group}: {len(members)} members, {len(lines)} not started by "
            "the stack:", *(f"  {line}" for line in lines)]


LOGS = (*COMPONENTS, *(f"airflow-{part}" for part in airflow.COMPONENTS))


@stack.command("logs")
@click.argument("names", nargs=-1, type=click.Choice(LOGS))
@click.option("-n", "--lines", default=40, show_default=True, type=click.IntRange(min=1),
              help="lines from the end of each log")
@click.pass_context
def stack_logs(ctx: click.Context, names: tuple[str, ...], lines: int) -> None:
    """The last lines of each component's log (airflow: supervisord's starts, exits and
    restarts; airflow-scheduler and the others: that Airflow component's own log)."""
    home = ctx.obj["settings"].home_dir / "logs"
    for name in names or LOGS:
        path = home / f"{name}.log"
        if not path.exists():
            if names:
                click.echo(f"==> {name}: no log yet ({path})")
            continue
        click.echo(f"==> {name} ({path})")
        for line in tail_lines(path, lines):
            click.echo(line)


@stack.command("jars")
@click.pass_context
def stack_jars(ctx: click.Context) -> None:
    """Resolve the Kafka broker's jars with Maven (cached under NEWSFLOW_HOME)."""
    click.echo(f"Kafka jars in {resolve_jars(ctx.obj['settings'])}")
