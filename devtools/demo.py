"""`newsflow demo`: the whole pipeline on the bundled sample news site, through Airflow."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from pipeline.config import CLEANED_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.errors import NewsflowError
from pipeline.invocation import newsflow_command
from pipeline.progress import LogMeter, Meter, meter_for

DAG_ID = "news_ingest"
STORE_WAIT = 180  # seconds the enricher gets to store what the DAG run published

EXAMPLE_QUERIES = [
    (
        "Articles per source and section",
        "SELECT source_id, section, count(*) AS articles, sum(word_count) AS words "
        "FROM articles GROUP BY 1, 2 ORDER BY 3 DESC",
    ),
    (
        "The ten most mentioned entities",
        "SELECT e.canonical, e.label, count(DISTINCT m.article_id) AS articles, "
        "sum(m.count) AS mentions FROM mentions m JOIN entities e USING (entity_id) "
        "GROUP BY 1, 2 ORDER BY 4 DESC, 1 LIMIT 10",
    ),
    (
        "The five latest articles",
        "SELECT published_at, left(title, 60) AS title, array_to_string(authors, ', ') AS authors "
        "FROM articles ORDER BY published_at DESC NULLS LAST LIMIT 5",
    ),
]


def _rows(settings: Settings, query: str) -> tuple[list[str], list[tuple[object, ...]]]:
    from pipeline.jobs import query_warehouse

    (result,) = query_warehouse(settings, query)  # one statement, read-only
    return result.columns or [], result.rows


def _stored(settings: Settings, source_id: str) -> int:
    _, rows = _rows(
        settings,
        f"SELECT count(*) FROM articles WHERE source_id = '{source_id}'",  # noqa: S608 - constant
    )
    return int(str(rows[0][0]))


def next_steps(command: str) -> list[str]:
    """The demo's last lines; `command` is how `newsflow` is typed in this shell."""
    return [
        f"Read the topic:       {command} tail {CLEANED_TOPIC} -n 3",
        f"Query the warehouse:  {command} sql  (psql, read-only; queries in docs/sql.md)",
        f"Stop the stack:       {command} stack down",
    ]


def show_warehouse(settings: Settings, echo: Callable[[str], None], command: str) -> None:
    """Refresh the rollups, then print the example queries and what to type next.

    The rollups are refreshed by news_maintenance, which has not run yet after a first demo;
    until then the views built on them (docs/sql.md examples 2-5) return no rows.
    """
    from pipeline.jobs import refresh_rollups
    from pipeline.table import format_table

    refresh_rollups(settings)  # logs each rollup with its row count
    for title, query in EXAMPLE_QUERIES:
        echo("")
        echo(f"-- {title}")
        echo(f'$ {command} sql "{query}"')
        echo(format_table(*_rows(settings, query)))
    echo("")
    for line in next_steps(command):
        echo(line)


def _why_short(
    settings: Settings,
    expected: int,
    stored: int,
    summaries: list[dict],
    since: datetime,
    sources_file: Path,
) -> str:
    """The time-out message: what ingest published, and what the enricher did with it."""
    from pipeline.jobs import explain_shortfall, gather_shortfall, local_stack, run_totals

    enrichers = [
        run
        for name, run in local_stack(settings).status()
        if name == "enricher" or name.startswith("enricher-")
    ]
    # The demo's site stops with it: the command to send everything again serves it first.
    resend = (
        f"`python -m devtools.sample_site --port {settings.sample_site_port}` in one "
        f"terminal and `newsflow ingest --force --sources {sources_file}` in another"
    )
    return explain_shortfall(
        gather_shortfall(
            settings,
            expected=expected,
            stored=stored,
            waited=STORE_WAIT,
            ingest=run_totals(summaries),
            since=since,
            enricher_running=any(run is not None and run.alive for run in enrichers),
            resend=resend,
        )
    )


def run_demo(
    settings: Settings, echo: Callable[[str], None] = print, meter: Meter | None = None
) -> None:
    """The demo; `meter` hears its steps and the articles stored (default: plain log lines),
    its owner ends it."""
    from devtools.sample_site import SampleSite
    from pipeline.jobs import airflow_client, local_stack, topic_offsets
    from pipeline.jobs.stack import base_url, password_file

    meter = meter if meter is not None else LogMeter()
    meter.start(None, "demo", counts=("stored",))
    started = time.monotonic()
    echo("== starting the local stack")
    meter.advance(step="starting the local stack")
    local_stack(settings, progress=echo, meter=meter).up()

    site = SampleSite(port=settings.sample_site_port)
    try:
        site.start()
    except OSError as exc:
        raise NewsflowError(
            f"cannot serve the sample site on port {settings.sample_site_port} ({exc}): "
            "free the port or set NEWSFLOW_SAMPLE_SITE_PORT"
        ) from exc
    try:
        expected = len(site.article_urls())
        sources_file = site.write_sources_yaml(settings.home_dir / "demo" / "sources.yaml")
        echo(f"== sample news site at {site.base_url} ({expected} articles)")

        api = airflow_client(settings)
        api.wait_for_dag(DAG_ID)
        api.unpause(DAG_ID)
        run_id = api.trigger(DAG_ID, {"sources_file": str(sources_file)})
        echo(f"== triggered {DAG_ID} run {run_id}; follow it at {base_url(settings)}/dags/{DAG_ID}")
        meter.advance(step=f"{DAG_ID} run: ingesting {expected} articles")
        state = api.wait_for_run(DAG_ID, run_id)
        summaries = [r for r in api.task_results(DAG_ID, run_id, "ingest") if r]
        if state != "success":
            failed = [
                f"{t}[{i}]={s}" for t, i, s in api.task_states(DAG_ID, run_id) if s != "success"
            ]
            raise NewsflowError(
                f"DAG run {run_id} {state}: {', '.join(failed)}; see the task "
                f"logs in the Airflow UI ({base_url(settings)})"
            )
        echo(f"== DAG run {state}; waiting for the enricher to store every article")
        meter.advance(step=f"the enricher: storing {expected} articles")
        waiting_since = datetime.now(UTC)
        deadline = time.monotonic() + STORE_WAIT
        counted = 0
        while (stored := _stored(settings, "sample")) < expected:
            meter.advance(stored=stored - counted)
            counted = stored
            if time.monotonic() > deadline:
                raise NewsflowError(
                    _why_short(settings, expected, stored, summaries, waiting_since, sources_file)
                )
            time.sleep(1)
    finally:
        site.stop()

    meter.advance(stored=stored - counted)
    meter.done(f"{stored} of {expected} articles stored")
    counts = topic_offsets(settings, [CLEANED_TOPIC, ENRICHED_TOPIC])
    messages = {t: sum(e - b for _, b, e in parts) for t, parts in counts.items()}
    totals = {
        k: sum(int(s.get(k, 0)) for s in summaries)
        for k in (
            "discovered",
            "fetched",
            "new",
            "changed",
            "unchanged",
            "republished",
            "published",
        )
    }
    echo("")
    echo(f"== newsflow demo finished in {time.monotonic() - started:.0f}s")
    echo(f"  articles on the sample site:   {expected}")
    echo(
        f"  fetched in this run:           {totals['fetched']} "
        f"(new {totals['new']}, changed {totals['changed']}, unchanged {totals['unchanged']}, "
        f"republished {totals['republished']})"
    )
    echo(f"  published in this run:         {totals['published']}")
    echo(f"  messages on {CLEANED_TOPIC}:  {messages[CLEANED_TOPIC]}")
    echo(f"  enriched ({ENRICHED_TOPIC}): {messages[ENRICHED_TOPIC]}")
    echo(f"  stored in the warehouse:       {stored}")
    echo("")
    echo(f"Airflow UI: {base_url(settings)}  (user admin, password in {password_file(settings)})")
    show_warehouse(settings, echo, newsflow_command())


@click.command("demo")
@click.pass_context
def demo_command(ctx: click.Context) -> None:
    """The whole pipeline on the bundled sample news site."""
    settings = ctx.obj["settings"]
    with meter_for(settings.progress) as meter:
        run_demo(settings, echo=click.echo, meter=meter)
