"""
### news_backfill

Ingests what the sources' **sitemaps and feeds list for a past publication period**: one
mapped task per source, the same discover → fetch → clean → publish path as `news_ingest`,
keeping only the articles published from `since` to `until` (both days included, UTC).

**Idempotent**: an article the live runs (or an earlier backfill) already published is not
published again unless its content changed, so a backfill over a covered period is harmless
and a repeated one publishes nothing.

**Leaves the live schedule alone**: its own DAG with one active run at a time, and its tasks
take the pool `newsflow_backfill`, never `news_ingest`'s `newsflow_fetch`.

**Params**: `since`, `until` (YYYY-MM-DD, required), `sources` (ids; empty = every enabled
source), `sources_file` (default `NEWSFLOW_SOURCES`), `url_limit`, `dry_run`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from newsflow_common import CLEANED, SOURCE_PARAMS, START, report_run, retrying, task_settings


@dag(
    dag_id="news_backfill",
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "backfill"],
    doc_md=__doc__,
    default_args=retrying(timedelta(seconds=30), timedelta(minutes=15)),
    params={
        "since": Param(type="string", format="date", description="first publication day"),
        "until": Param(type="string", format="date", description="last publication day"),
        **SOURCE_PARAMS,
    },
)
def news_backfill():
    @task
    def plan() -> list[str]:
        """Checks the period and lists the enabled sources to backfill."""
        from pipeline.errors import ConfigError
        from pipeline.jobs import enabled_sources, publication_window, sync_sources_file

        params = get_current_context()["params"]
        settings = task_settings()
        try:
            start, end = publication_window(params["since"], params["until"])
            picked = enabled_sources(settings, params["sources_file"], params["sources"] or None)
        except ConfigError as exc:  # a retry would read the same params: fail at once
            raise AirflowFailException(str(exc)) from exc
        sync_sources_file(settings, params["sources_file"])  # sources no longer in it: removed
        print(f"backfilling {len(picked)} sources, published in [{start}, {end})")
        return [s.id for s in picked]

    # A mapped task takes its doc from doc_md only, never from the docstring.
    @task(
        map_index_template="{{ source_id }}",
        pool="newsflow_backfill",
        show_return_value_in_logs=False,
        doc_md="Discover, fetch, clean and publish one source's articles of the period.",
    )
    def backfill(source_id: str) -> dict:
        from pipeline.jobs import backfill_source, enabled_sources
        from pipeline.task_logging import quiet_client_loggers

        quiet_client_loggers()

        context = get_current_context()
        context["source_id"] = source_id  # type: ignore[typeddict-unknown-key]
        params = context["params"]
        settings = task_settings()
        (source,) = enabled_sources(settings, params["sources_file"], [source_id])
        summary = backfill_source(
            settings,
            source,
            params["since"],
            params["until"],
            url_limit=params["url_limit"],
            dry_run=params["dry_run"],
        )
        summary.raise_if_every_fetch_failed()
        return summary.summary()

    @task(outlets=[CLEANED])
    def report(summaries: list[dict]) -> dict:
        """The backfill per source as a table in this log; marks the cleaned topic as updated
        unless nothing was published."""
        return report_run(summaries)

    report(backfill.expand(source_id=plan()))


news_backfill()
