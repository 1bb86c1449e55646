"""The `newsflow` command line. Errors print as one line; `--debug` shows the traceback."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.command_state import CommandState
from pipeline.errors import NewsflowError
from pipeline.lazy_group import LazyGroup
from pipeline.plugins import COMMANDS, DEV_INSTALL, registered
from pipeline.progress import meter_for
from pipeline.table import format_results, format_table

if TYPE_CHECKING:
    from pipeline.config import Settings


def _unreachable(exc: Exception, settings: Settings | None) -> str | None:
    """One line for a database or broker that is not there, or None for any other error."""
    import psycopg
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError | psycopg.OperationalError):
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return (
            f"cannot reach the warehouse ({cause}): is PostgreSQL running "
            "(`newsflow stack up postgres`), or is NEWSFLOW_WAREHOUSE_URL right?"
        )
    if settings is not None:
        from pipeline.kafka_security import explain

        line = explain(settings, exc)
        if line is not None:
            return line
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        servers = settings.kafka_bootstrap_servers if settings else "the bootstrap servers"
        return (
            f"cannot reach Kafka at {servers} ({exc}): is the broker running "
            "(`newsflow stack up kafka`), or is NEWSFLOW_KAFKA_BOOTSTRAP_SERVERS right?"
        )
    return None


def _debug(ctx: click.Context) -> bool:
    # ctx.obj is filled by main() during invoke, so it is read only once an error came back.
    return bool(ctx.obj and ctx.obj.get("debug"))


class _Group(LazyGroup):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewsflowError as exc:
            if _debug(ctx):
                raise
            click.echo(f"newsflow: error: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:
            line = None if _debug(ctx) else _unreachable(exc, (ctx.obj or {}).get("settings"))
            if line is None:
                raise
            click.echo(f"newsflow: error: {line}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="show tracebacks and debug logs")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """newsflow: news ingestion with Airflow, Kafka and PostgreSQL."""
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # kafka-python logs every failed connection attempt as an ERROR; the command says it once.
    logging.getLogger("kafka").setLevel(logging.DEBUG if debug else logging.CRITICAL)
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
    ctx.obj = CommandState(debug=debug)  # the settings are built when a command reads them


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


# -- pipeline ----------------------------------------------------------------------------
@main.command()
@click.argument("file_or_url")
@click.option("--url", help="the page's address, when reading a file")
@click.option(
    "--allow-private-network",
    is_flag=True,
    help="allow fetching from loopback or private addresses",
)
@click.pass_context
def extract(
    ctx: click.Context, file_or_url: str, url: str | None, allow_private_network: bool
) -> None:
    """Print the cleaned record of one page as JSON (no Kafka)."""
    from datetime import UTC, datetime

    from pipeline.clean import clean

    settings = _settings(ctx)
    content_type = None
    if file_or_url.startswith(("http://", "https://")):
        from pipeline.jobs import fetch_page

        page = fetch_page(settings, file_or_url, allow_private_network=allow_private_network)
        body, url, content_type = page.body, url or page.final_url, page.content_type
    else:
        path = Path(file_or_url)
        if not path.exists():
            raise NewsflowError(f"{path}: no such file")
        if path.is_dir():
            raise NewsflowError(
                f"{path}: is a directory; give one HTML page (a file, .html.gz included, or a URL)"
            )
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise NewsflowError(f"{path}: cannot read it ({exc.strerror})") from exc
        if path.suffix == ".gz":
            import gzip

            body = gzip.decompress(body)
        url = url or path.resolve().as_uri()
    record = clean(
        body, url, source_id="cli", fetched_at=datetime.now(UTC), content_type=content_type
    )
    click.echo(record.model_dump_json(indent=2))


@main.command()
def enrich() -> None:
    """Read cleaned records (JSON lines) on stdin, write enriched records on stdout."""
    from pipeline.heap import long_lived_start

    # spaCy and its model are loaded once and kept: frozen out of the collector's scans
    # (pipeline/heap.py; this command's own process only).
    with long_lived_start():
        from pipeline.enrich import Enricher, enrich_jsonl

        enricher = Enricher()
    sys.exit(enrich_jsonl(sys.stdin.buffer, sys.stdout, enricher=enricher))


def _interruptible(command: Callable) -> Callable:
    """Ctrl-C ends `ingest` with one line on what Kafka acknowledged (the summaries kept in
    ctx.obj["ingested"], and the interrupted source's) and status 130, as shells expect."""

    @functools.wraps(command)
    def run(ctx: click.Context, *args: object, **kwargs: object) -> None:
        try:
            command(ctx, *args, **kwargs)
        except KeyboardInterrupt as stop:
            from pipeline.jobs import interrupted_report

            line = interrupted_report(ctx.obj.get("ingested", []), getattr(stop, "summary", None))
            click.echo(f"newsflow: {line}", err=True)
            sys.exit(130)

    return run


# What the progress of `newsflow ingest` counts, in this order.
INGEST_COUNTS = ("pages", "new", "changed", "unchanged", "failed", "published")


@main.command()
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    help="sources file (default: NEWSFLOW_SOURCES)",
)
@click.option("--source", "only", multiple=True, help="only this source id (repeatable)")
@click.option("--url-limit", type=int, help="at most N article URLs per source")
@click.option("--dry-run", is_flag=True, help="fetch and clean, publish nothing")
@click.option(
    "--force",
    is_flag=True,
    help="fetch every page unconditionally and republish the unchanged ones too "
    "(under the versions they have)",
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="only articles published from this day (UTC), as news_backfill does",
)
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="only articles published up to this day (UTC, included)",
)
@click.pass_context
@_interruptible
def ingest(
    ctx: click.Context,
    sources_file: str | None,
    only: tuple[str, ...],
    url_limit: int | None,
    dry_run: bool,
    force: bool,
    since: datetime | None,
    until: datetime | None,
) -> None:
    """One ingestion pass without Airflow (the functions the DAG calls).

    With --since and --until, a backfill of that publication period: feed and sitemap items
    dated outside it, or not dated at all, are skipped (news_backfill's rule).
    """
    from pipeline.jobs import (
        backfill_source,
        enabled_sources,
        ingest_source,
        publication_window,
        sync_sources_file,
    )

    if (since is None) != (until is None):
        raise click.UsageError("--since and --until go together")
    settings = _settings(ctx)
    if since is not None and until is not None:  # both or neither, checked above
        publication_window(since.date(), until.date())  # a reversed period fails before fetching
    picked = enabled_sources(settings, sources_file, list(only) or None)
    sync_sources_file(settings, sources_file)  # sources no longer in the file: removed
    failures = []  # sources that failed as a whole (news_ingest's rule); the others still run
    with meter_for(settings.progress) as meter:
        meter.start(len(picked), "ingest", "sources", INGEST_COUNTS)
        for source in picked:
            meter.advance(step=source.id)
            if since is None or until is None:
                summary = ingest_source(
                    settings,
                    source,
                    url_limit=url_limit,
                    dry_run=dry_run,
                    progress=click.echo,
                    force=force,
                    meter=meter,
                )
            else:
                summary = backfill_source(
                    settings,
                    source,
                    since.date(),
                    until.date(),
                    url_limit=url_limit,
                    dry_run=dry_run,
                    progress=click.echo,
                    force=force,
                    meter=meter,
                )
            click.echo(json.dumps(summary.summary()))
            ctx.obj.setdefault("ingested", []).append(summary)
            if failure := summary.failure():
                failures.append(failure)
            meter.advance(1)
        meter.done()
    for failure in failures:
        click.echo(f"newsflow: error: {failure}", err=True)
    if failures:
        sys.exit(1)


@main.group()
def sources() -> None:
    """The sources file: list the sources, check what one of them offers."""


_sources_file = click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    help="sources file (default: NEWSFLOW_SOURCES)",
)


@sources.command("list")
@_sources_file
@click.pass_context
def sources_list(ctx: click.Context, sources_file: str | None) -> None:
    """Validate the sources file, sync it into the warehouse, show each source."""
    from pipeline.jobs import run_list

    run_list(_settings(ctx), sources_file, click.echo, lambda line: click.echo(line, err=True))


@sources.command("check")
@click.argument("source_id")
@_sources_file
@click.pass_context
def sources_check(ctx: click.Context, source_id: str, sources_file: str | None) -> None:
    """Fetch one source's feeds and sitemaps once and report what they hold."""
    from pipeline.jobs import run_check

    if not run_check(
        _settings(ctx), source_id, sources_file, click.echo, lambda line: click.echo(line, err=True)
    ):
        sys.exit(1)


@sources.command("health")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    help="every day of the last N days (default: each source's latest day)",
)
@click.option("--source", "only", multiple=True, help="only this source id (repeatable)")
@click.option("--json", "as_json", is_flag=True, help="print a JSON list of row objects")
@click.pass_context
def sources_health(
    ctx: click.Context, days: int | None, only: tuple[str, ...], as_json: bool
) -> None:
    """Per source and day: fetches, new and changed articles, extraction quality, status.

    Exits with status 1 when a source is red on its latest day, as news_maintenance fails.
    """
    from pipeline.jobs import show_health

    if not show_health(
        _settings(ctx), days=days, sources=list(only), as_json=as_json, echo=click.echo
    ):
        sys.exit(1)


@main.command()
@click.option("--group", help="consumer group (default: NEWSFLOW_CONSUMER_GROUP)")
@click.option("--max-records", type=int, help="stop after N records")
@click.option("--idle-exit", type=float, help="stop after this many seconds without records")
@click.pass_context
def consume(
    ctx: click.Context, group: str | None, max_records: int | None, idle_exit: float | None
) -> None:
    """Run one enricher: cleaned topic → entities → warehouse + enriched topic.

    Serves Prometheus metrics on NEWSFLOW_METRICS_PORT (default 9464; 0: off).
    """
    from pipeline.jobs import run_consumer

    if not ctx.obj["debug"]:
        # A long-running service: its log keeps the client's warnings (rebalances, retries).
        logging.getLogger("kafka").setLevel(logging.WARNING)
    stats = run_consumer(
        _settings(ctx),
        group=group,
        max_records=max_records,
        idle_exit=idle_exit,
        install_signal_handlers=True,
        serve_metrics=True,
    )
    click.echo(json.dumps(vars(stats)))


@main.group()
def db() -> None:
    """Warehouse administration."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the warehouse migrations (idempotent); give the reader its password, if set."""
    from pipeline.jobs import upgrade_warehouse

    upgrade_warehouse(_settings(ctx), click.echo)


@main.command()
@click.argument("query", required=False)
@click.option("--json", "as_json", is_flag=True, help="print a JSON list of row objects")
@click.option("--write", is_flag=True, help="allow changes (the default is read-only)")
@click.pass_context
def sql(ctx: click.Context, query: str | None, as_json: bool, write: bool) -> None:
    """Run SQL on the warehouse, read-only unless --write; with no query, an interactive psql.

    Each statement prints what psql prints: a table and its row count, or its command tag
    and row count (`DELETE 44`, `INSERT 0 3`). With --json, stdout is a JSON list of the row
    objects of the last statement that returned rows; command tags go to stderr.
    """
    from pipeline.jobs import query_warehouse, warehouse_shell

    settings = _settings(ctx)
    if query is None:
        if not write:
            click.echo(
                "read-only session: `newsflow sql --write` for one that can change the warehouse",
                err=True,
            )
        sys.exit(warehouse_shell(settings, write=write))
    results = query_warehouse(settings, query, write=write)
    if as_json:
        for result in results:
            if result.columns is None and result.tag:
                click.echo(result.tag, err=True)
        rows = [r for r in results if r.columns is not None]
        last = rows[-1] if rows else None
        click.echo(
            json.dumps(
                []
                if last is None
                else [dict(zip(last.columns or [], row, strict=True)) for row in last.rows],
                default=str,
                indent=2,
            )
        )
        return
    printed = format_results(results)
    if printed:
        click.echo(printed)


@main.command()
@click.option("--ensure", is_flag=True, help="create the pipeline's topics if they are missing")
@click.pass_context
def topics(ctx: click.Context, ensure: bool) -> None:
    """List the topics with partitions, replication, retention and message counts."""
    from pipeline.jobs import describe_topics, ensure_topics

    if ensure:
        for name in ensure_topics(_settings(ctx)):
            click.echo(f"created {name}")
    rows = [
        (t.name, t.partitions, t.replication_factor, t.min_insync_replicas, t.retention, t.messages)
        for t in describe_topics(_settings(ctx))
    ]
    click.echo(
        format_table(("topic", "partitions", "replicas", "min isr", "retention", "messages"), rows)
    )


@main.command()
@click.argument("topic")
@click.option("-n", "count", default=10, show_default=True, help="how many records")
@click.pass_context
def tail(ctx: click.Context, topic: str, count: int) -> None:
    """Print the last N records of a topic as JSON lines."""
    from pipeline.jobs import tail_topic

    for line in tail_topic(_settings(ctx), topic, count):
        click.echo(line)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
)
def schemas(out: Path) -> None:
    """Regenerate the JSON Schema files of the topic records from the models."""
    from pipeline.schemas import write_schemas

    for path in write_schemas(out):
        click.echo(f"wrote {path}")


@main.group()
def dlt() -> None:
    """Dead-lettered records."""


@dlt.command("list")
@click.option("-n", "limit", default=50, show_default=True)
@click.pass_context
def dlt_list(ctx: click.Context, limit: int) -> None:
    """Show dead-lettered records with their errors."""
    from pipeline.jobs import list_dead_letters

    for entry in list_dead_letters(_settings(ctx), limit):
        click.echo(json.dumps(entry, default=str))


@dlt.command("replay")
@click.pass_context
def dlt_replay(ctx: click.Context) -> None:
    """Send dead-lettered records back to the cleaned topic for another try."""
    from pipeline.jobs import replay_dead_letters

    settings = _settings(ctx)
    with meter_for(settings.progress) as meter:
        meter.start(None, "dlt replay", "records")  # the replay counts them first
        replayed = replay_dead_letters(settings, meter)
        meter.done(f"replayed {replayed} records")
    click.echo(f"replayed {replayed} records")


# Commands of the development install (devtools/pyproject.toml): each name with its help line
# for when that install is missing.
DEV_COMMANDS = {
    "demo": "The whole pipeline on the bundled sample news site.",
    "bench": "Benchmarks; each prints its figures.",
}


def _needs_dev_install(name: str, help_line: str) -> click.Command:
    """A stand-in for a development command: one line instead of "No such command"."""

    @click.command(
        name,
        help=f"{help_line} (needs the development install)",
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )
    def missing() -> None:
        click.echo(f"newsflow: `newsflow {name}` needs {DEV_INSTALL}", err=True)
        sys.exit(1)

    return missing


def _stack() -> click.Command:
    from pipeline.stack_cli import stack

    return stack


def _register_subgroups() -> None:
    # Imported on first use, so that `newsflow enrich` in a pipe starts without them.
    main.add_lazy("stack", _stack)
    points = registered(COMMANDS)
    for name in sorted(DEV_COMMANDS.keys() | points.keys()):
        point = points.get(name)
        main.add_lazy(
            name,
            point.load
            if point
            else functools.partial(_needs_dev_install, name, DEV_COMMANDS[name]),
        )


_register_subgroups()
