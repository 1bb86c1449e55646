"""
### news_maintenance

Daily upkeep of the warehouse, four independent tasks:

* `refresh_rollups`: refreshes the analysts' materialized views (`mv_entity_source_day`,
  `mv_entity_pairs`, behind the top-entity, timeline and co-occurrence views) concurrently,
  so queries keep running meanwhile.
* `apply_retention`: deletes `fetch_log` rows older than `NEWSFLOW_FETCH_LOG_RETENTION_DAYS`
  (or the `retention_days` param).
* `report_dead_letters`: copies new records of `news.articles.cleaned.v1.DLT` into the
  `dead_letters` table and reports how many are still unresolved, by stage.
* `check_source_health`: **fails** (no retries) when a source's health is red on its latest
  day: half its fetches failing, its median body under half its 14-day median, or half its
  articles suddenly without a date. Its log has the table of every source;
  `newsflow sources health` shows the same.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException
from newsflow_common import START, retrying, task_settings


@dag(
    dag_id="news_maintenance",
    schedule="@daily",
    start_date=START,
    catchup=False,
    max_active_runs=1,
    tags=["newsflow", "maintenance"],
    doc_md=__doc__,
    default_args=retrying(timedelta(minutes=1), timedelta(minutes=10)),
    params={
        "retention_days": Param(
            None,
            type=["null", "integer"],
            minimum=1,
            description="default: NEWSFLOW_FETCH_LOG_RETENTION_DAYS",
        )
    },
)
def news_maintenance():
    @task
    def refresh_rollups() -> dict:
        """Refreshes the materialized rollups concurrently; their row counts."""
        from pipeline.jobs import refresh_rollups as refresh

        return refresh(task_settings())

    @task
    def apply_retention() -> int:
        """Deletes fetch_log rows past retention; how many."""
        from pipeline.jobs import apply_retention as retain

        return retain(task_settings(), get_current_context()["params"]["retention_days"])

    @task
    def report_dead_letters() -> dict:
        """Copies new dead letters into the warehouse; counts by stage."""
        from pipeline.jobs import report_dead_letters as report

        return report(task_settings())

    @task
    def check_source_health() -> list[dict]:
        """Every source's latest health as a table in this log; fails when one is red."""
        from pipeline.jobs import UnhealthySources, check_health

        try:
            return [h.as_dict() for h in check_health(task_settings(), echo=print)]
        except UnhealthySources as exc:
            raise AirflowFailException(str(exc)) from exc

    refresh_rollups()
    apply_retention()
    report_dead_letters()
    check_source_health()


news_maintenance()
