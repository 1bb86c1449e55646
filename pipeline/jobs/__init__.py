"""The jobs: newsflow's one composition root.

The DAG tasks, the `newsflow` commands and the demo call these functions and nothing else for
what touches the world. A job turns the one `Settings` object into the things that talk to it
(warehouse engines, Kafka producers, the robots.txt and fetch-state stores, the near-duplicate
index) and hands them to the stages as small ports; the stages never build a client from
settings themselves.

- `ingest.py`: one ingestion pass of a source (discover → fetch → clean → publish);
  `summary.py` its counts and a DAG run's table; `backfill.py` a past period;
  `known_versions.py` what is known of the articles' versions.
- `consume.py`: the enricher service, wired with its engine, producer and enricher.
- `health.py`, `maintenance.py`, `dead_letters.py`: news_maintenance and `sources health`.
- `sources.py`: `newsflow sources list|check`; `extract.py`, `queries.py`, `kafka_admin.py`:
  the other commands' I/O; `warehouse_admin.py`: migrations; `stack.py`: the local stack with
  what its enricher needs; `shortfall.py`: why the demo's articles fell short.
- `engines.py`: the one way an engine on the warehouse is opened and disposed.

Names are loaded on first use, so `import pipeline.jobs` stays cheap for the CLI and for
DAG parsing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name → the module of this package that defines it
_EXPORTS = {
    "backfill_source": "backfill",
    "publication_window": "backfill",
    "make_enricher": "consume",
    "run_consumer": "consume",
    "report_dead_letters": "dead_letters",
    "store_dead_letters": "dead_letters",
    "warehouse_engine": "engines",
    "fetch_page": "extract",
    "SourceHealth": "health",
    "UnhealthySources": "health",
    "check_health": "health",
    "health_table": "health",
    "latest_health": "health",
    "show_health": "health",
    "source_health": "health",
    "RESEND_AFTER": "ingest",
    "enabled_sources": "ingest",
    "ingest_source": "ingest",
    "sync_sources_file": "ingest",
    "describe_topics": "kafka_admin",
    "ensure_topics": "kafka_admin",
    "list_dead_letters": "kafka_admin",
    "replay_dead_letters": "kafka_admin",
    "tail_topic": "kafka_admin",
    "topic_offsets": "kafka_admin",
    "KnownVersions": "known_versions",
    "apply_retention": "maintenance",
    "refresh_rollups": "maintenance",
    "query_warehouse": "queries",
    "warehouse_shell": "queries",
    "Shortfall": "shortfall",
    "explain_shortfall": "shortfall",
    "gather_shortfall": "shortfall",
    "SourceCheck": "sources",
    "check_source": "sources",
    "run_check": "sources",
    "run_list": "sources",
    "airflow_client": "stack",
    "local_stack": "stack",
    "IngestInterrupted": "summary",
    "IngestSummary": "summary",
    "interrupted_report": "summary",
    "run_totals": "summary",
    "summary_table": "summary",
    "KAFKA_CONNECTION": "task_settings",
    "WAREHOUSE_CONNECTION": "task_settings",
    "ConnectionFields": "task_settings",
    "secret_values": "task_settings",
    "settings_for_task": "task_settings",
    "migrate_warehouse": "warehouse_admin",
    "upgrade_warehouse": "warehouse_admin",
}

__all__ = [
    "ConnectionFields",
    "IngestInterrupted",
    "IngestSummary",
    "KAFKA_CONNECTION",
    "KnownVersions",
    "RESEND_AFTER",
    "Shortfall",
    "SourceCheck",
    "SourceHealth",
    "UnhealthySources",
    "WAREHOUSE_CONNECTION",
    "airflow_client",
    "apply_retention",
    "backfill_source",
    "check_health",
    "check_source",
    "describe_topics",
    "enabled_sources",
    "ensure_topics",
    "explain_shortfall",
    "fetch_page",
    "gather_shortfall",
    "health_table",
    "ingest_source",
    "interrupted_report",
    "latest_health",
    "list_dead_letters",
    "local_stack",
    "make_enricher",
    "migrate_warehouse",
    "publication_window",
    "query_warehouse",
    "refresh_rollups",
    "replay_dead_letters",
    "report_dead_letters",
    "run_check",
    "run_consumer",
    "run_list",
    "run_totals",
    "secret_values",
    "settings_for_task",
    "show_health",
    "source_health",
    "store_dead_letters",
    "summary_table",
    "sync_sources_file",
    "tail_topic",
    "topic_offsets",
    "upgrade_warehouse",
    "warehouse_engine",
    "warehouse_shell",
]

if TYPE_CHECKING:
    from pipeline.jobs.backfill import backfill_source, publication_window
    from pipeline.jobs.consume import make_enricher, run_consumer
    from pipeline.jobs.dead_letters import report_dead_letters, store_dead_letters
    from pipeline.jobs.engines import warehouse_engine
    from pipeline.jobs.extract import fetch_page
    from pipeline.jobs.health import (
        SourceHealth,
        UnhealthySources,
        check_health,
        health_table,
        latest_health,
        show_health,
        source_health,
    )
    from pipeline.jobs.ingest import (
        RESEND_AFTER,
        enabled_sources,
        ingest_source,
        sync_sources_file,
    )
    from pipeline.jobs.kafka_admin import (
        describe_topics,
        ensure_topics,
        list_dead_letters,
        replay_dead_letters,
        tail_topic,
        topic_offsets,
    )
    from pipeline.jobs.known_versions import KnownVersions
    from pipeline.jobs.maintenance import apply_retention, refresh_rollups
    from pipeline.jobs.queries import query_warehouse, warehouse_shell
    from pipeline.jobs.shortfall import Shortfall
    from pipeline.jobs.shortfall import explain as explain_shortfall
    from pipeline.jobs.shortfall import gather as gather_shortfall
    from pipeline.jobs.sources import SourceCheck, check_source, run_check, run_list
    from pipeline.jobs.stack import airflow_client, local_stack
    from pipeline.jobs.summary import (
        IngestInterrupted,
        IngestSummary,
        interrupted_report,
        run_totals,
        summary_table,
    )
    from pipeline.jobs.task_settings import (
        KAFKA_CONNECTION,
        WAREHOUSE_CONNECTION,
        ConnectionFields,
        secret_values,
        settings_for_task,
    )
    from pipeline.jobs.warehouse_admin import migrate_warehouse, upgrade_warehouse

# Exported under another name than the module's own.
_RENAMED = {"explain_shortfall": "explain", "gather_shortfall": "gather"}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), _RENAMED.get(name, name))
    globals()[name] = value
    return value
