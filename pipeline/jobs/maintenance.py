"""news_maintenance's chores: refresh the analysts' rollups, apply fetch_log retention."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from pipeline.config import Settings
from pipeline.jobs.engines import warehouse_engine

log = logging.getLogger(__name__)

# The materialized views of migration 0005; the views over them read what the last refresh saw.
ROLLUPS = ("mv_entity_source_day", "mv_entity_pairs")
# Rows per DELETE: short transactions, so retention never holds locks the ingest waits on.
RETENTION_BATCH = 10_000


def refresh_rollups(settings: Settings) -> dict[str, int]:
    """Refresh every rollup concurrently (readers keep the old rows meanwhile); row counts."""
    with warehouse_engine(settings) as engine:
        return {name: _refresh(engine, name) for name in ROLLUPS}


def _refresh(engine: Engine, name: str) -> int:
    with engine.begin() as conn:
        conn.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {name}"))
        rows = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()  # noqa: S608
    log.info("refreshed %s: %d rows", name, rows)
    return rows


def apply_retention(settings: Settings, days: int | None = None) -> int:
    """Delete fetch_log rows older than `days` (default: the configured retention)."""
    days = settings.fetch_log_retention_days if days is None else days
    if days < 1:
        raise ValueError(f"fetch_log retention must be at least one day, got {days}")
    deleted = 0
    with warehouse_engine(settings) as engine:
        while True:
            with engine.begin() as conn:
                batch = conn.execute(
                    text(
                        "DELETE FROM fetch_log WHERE id IN (SELECT id FROM fetch_log "
                        "WHERE fetched_at < now() - make_interval(days => :days) LIMIT :batch)"
                    ),
                    {"days": days, "batch": RETENTION_BATCH},
                ).rowcount
            deleted += batch
            if batch < RETENTION_BATCH:
                break
    log.info("fetch_log retention (%d days): %d rows deleted", days, deleted)
    return deleted
