"""The dead-letter report: copy the dead-letter topic into `dead_letters`, count what is open.

The topic is the record of truth (it holds the original bytes, and `newsflow dlt replay` sends
them back); the table lets analysts join dead letters to articles in SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pipeline.config import Settings
from pipeline.jobs.engines import warehouse_engine
from pipeline.warehouse.models_analytics import DeadLetter

log = logging.getLogger(__name__)

# Newest dead letters read per partition and run; a daily report sees far fewer than this.
READ_LIMIT = 10_000


def store_dead_letters(engine: Engine, entries: Sequence[dict[str, Any]]) -> int:
    """Upsert entries as `newsflow dlt list` describes them; returns how many were new."""
    if not entries:
        return 0
    rows = [
        {
            "dlt_partition": e["partition"],
            "dlt_offset": e["offset"],
            "dead_lettered_at": datetime.fromisoformat(e["dead_lettered_at"]),
            "record_key": e["key"],
            "stage": e["stage"],
            "error": e["error"],
            "source_topic": e["source_topic"],
            "source_partition": e["source_partition"],
            "source_offset": e["source_offset"],
            "value_preview": e["value_preview"],
        }
        for e in entries
    ]
    stmt = (
        pg_insert(DeadLetter)
        .on_conflict_do_nothing(index_elements=["dlt_partition", "dlt_offset"])
        .returning(DeadLetter.dlt_offset)
    )
    with engine.begin() as conn:
        return len(conn.execute(stmt, rows).all())


def report_dead_letters(settings: Settings) -> dict[str, Any]:
    """Copy new dead letters into the warehouse; what is still unresolved, by stage."""
    from pipeline.consume.dlt import list_dead_letters

    entries = list_dead_letters(settings, READ_LIMIT)
    with warehouse_engine(settings) as engine:
        new = store_dead_letters(engine, entries)
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(DeadLetter)).scalar_one()
            open_by_stage: dict[str, int] = dict(
                conn.execute(
                    text(
                        "SELECT coalesce(stage, '?'), count(*) FROM v_dead_letters "
                        "WHERE NOT stored_since GROUP BY 1 ORDER BY 1"
                    )
                ).all()
            )
    report = {
        "new": new,
        "total": total,
        "unresolved": sum(open_by_stage.values()),
        "unresolved_by_stage": open_by_stage,
    }
    log.info("dead letters: %s", report)
    return report
