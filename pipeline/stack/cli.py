"""`newsflow stack ...`: the local stack's commands."""

from __future__ import annotations

import click

from pipeline.stack import airflow
from pipeline.stack.kafka import resolve_jars
from pipeline.stack.manager import COMPONENTS, Stack
from pipeline.stack.process import tail_lines
from pipeline.table import format_table


@click.group()
def stack() -> None:
    """Start, stop and inspect the local stack (Kafka, PostgreSQL, Airflow, enricher)."""


_component = click.argument("components", nargs=-1, type=click.Choice(COMPONENTS))


@stack.command("up")
@_component
@click.pass_context
def stack_up(ctx: click.Context, components: tuple[str, ...]) -> None:
    """Start the stack (or the named components); idempotent."""
    Stack(ctx.obj["settings"], progress=click.echo).up(list(components) or None)


@stack.command("down")
@_component
@click.pass_context
def stack_down(ctx: click.Context, components: tuple[str, ...]) -> None:
    """Stop every process the stack started (or the named components)."""
    Stack(ctx.obj["settings"], progress=click.echo).down(list(components) or None)


@stack.command("restart")
@_component
@click.pass_context
def stack_restart(ctx: click.Context, components: tuple[str, ...]) -> None:
    """Restart the stack or the named components."""
    Stack(ctx.obj["settings"], progress=click.echo).restart(list(components) or None)


@stack.command("status")
@click.pass_context
def stack_status(ctx: click.Context) -> None:
    """What runs, on which port, with which pid and log file.

    Airflow's state comes from its health endpoint: `degraded (scheduler)` names the parts that
    stopped heartbeating (supervisord restarts them; see logs/airflow.log). Exits 1 when a
    started component is dead or degraded.
    """
    settings = ctx.obj["settings"]
    rows, bad = [], False
    for name, run in Stack(settings).status():
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
    if bad:
        ctx.exit(1)


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
