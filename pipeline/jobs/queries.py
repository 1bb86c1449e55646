"""`newsflow sql` and the demo's example queries: ad-hoc SQL on the warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.jobs.engines import warehouse_engine

if TYPE_CHECKING:
    from pipeline.warehouse.query import StatementResult


def query_warehouse(
    settings: Settings, query: str, *, write: bool = False
) -> list[StatementResult]:
    """One result per statement of `query`, run in one transaction, read-only unless `write`
    (pipeline/warehouse/query.py)."""
    from pipeline.warehouse.query import run_query

    with warehouse_engine(settings) as engine:
        return run_query(engine, query, write=write)


def warehouse_shell(settings: Settings, *, write: bool = False) -> int:
    """An interactive psql on the warehouse, read-only unless `write`; its exit status."""
    from pipeline.warehouse.query import interactive_psql

    return interactive_psql(settings, write=write)
