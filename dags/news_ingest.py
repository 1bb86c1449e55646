"""
### news_ingest

Discovers, fetches and cleans news articles, one **mapped task per source** in the sources
file, and publishes the cleaned records to the Kafka topic `news.articles.cleaned.v1`
(key = `article_id`). The enricher consumers (`newsflow consume`) store them in the warehouse.

Records flow through Kafka, never through XCom: each mapped task returns only its summary
(`discovered`, `fetched`, `new`, `changed`, `unchanged`, `refused`, `failed`, `published`),
also written to its log. A source that gave nothing because its fetches failed (every feed
and sitemap, or every page) fails its task, after the retries; a quiet source (304s, nothing
new) does not. `report` logs the run as a table and, when something was published,
marks the asset `news.articles.cleaned.v1` as updated (the Assets view shows the data flow).
At most as many sources are fetched at once as the pool `newsflow_fetch` has slots.

**Params** (Trigger DAG w/ config):

* `sources_file`: path of a sources file (default: `NEWSFLOW_SOURCES`)
* `sources`: source ids to run (default: every enabled source)
* `url_limit`: at most this many article URLs per source
* `dry_run`: fetch and clean, publish nothing
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from newsflow_common import CLEANED, SOURCE_PARAMS, START, report_run, retrying, task_settings

# Schedule from configuration; the local stack leaves it unset so runs are triggered.
SCHEDULE = os.environ.get("NEWSFLOW_INGEST_SCHEDULE") or None


@dag(
    dag_id="news_ingest",
    schedule=SCHEDULE,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "ingest"],
    doc_md=__doc__,
    default_args=retrying(timedelta(seconds=20), timedelta(minutes=10)),
    params=SOURCE_PARAMS,
)
def news_ingest():
    @task
    def list_sources() -> list[str]:
        """The enabled sources to ingest in this run."""
        from pipeline.errors import ConfigError
        from pipeline.jobs import enabled_sources, sync_sources_file

        params = get_current_context()["params"]
        settings = task_settings()
        try:
            picked = enabled_sources(settings, params["sources_file"], params["sources"] or None)
        except ConfigError as exc:  # a retry would read the same file: fail at once
            raise AirflowFailException(str(exc)) from exc
        sync_sources_file(settings, params["sources_file"])  # sources no longer in it: removed
        return [s.id for s in picked]

    # A mapped task takes its doc from doc_md only, never from the docstring.
    @task(
        map_index_template="{{ source_id }}",
        pool="newsflow_fetch",
        show_return_value_in_logs=False,
        doc_md="Discover, fetch, clean and publish one source; returns its summary.",
    )
    def ingest(source_id: str) -> dict:
        from pipeline.jobs import enabled_sources, ingest_source
        from pipeline.task_logging import quiet_client_loggers

        quiet_client_loggers()

        context = get_current_context()
        context["source_id"] = source_id  # type: ignore[typeddict-unknown-key]
        params = context["params"]
        settings = task_settings()
        (source,) = enabled_sources(settings, params["sources_file"], [source_id])
        summary = ingest_source(
            settings, source, url_limit=params["url_limit"], dry_run=params["dry_run"]
        )
        summary.raise_if_every_fetch_failed()
        return summary.summary()

    @task(outlets=[CLEANED])
    def report(summaries: list[dict]) -> dict:
        """The run per source as a table in this log; marks the cleaned topic as updated
        (an asset event with the totals) unless nothing was published."""
        return report_run(summaries)

    report(ingest.expand(source_id=list_sources()))


news_ingest()
