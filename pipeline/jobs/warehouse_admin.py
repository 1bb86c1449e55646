"""Warehouse administration: migrations (`newsflow db upgrade`, the stack's start-up, tests)
and the reader role's password."""

from __future__ import annotations

from collections.abc import Callable

from pipeline.config import Settings
from pipeline.jobs.engines import warehouse_engine


def migrate_warehouse(settings: Settings, revision: str = "heads") -> None:
    """Apply the migrations up to `revision` (idempotent; concurrent callers take turns)."""
    from pipeline.warehouse.migrate import upgrade

    with warehouse_engine(settings) as engine:
        upgrade(engine, revision)


def upgrade_warehouse(settings: Settings, echo: Callable[[str], None]) -> None:
    """`newsflow db upgrade`: migrate, then give the reader its password, if one is set."""
    from pipeline.warehouse.migrate import upgrade
    from pipeline.warehouse.reader_role import READER, configure_reader

    with warehouse_engine(settings) as engine:
        upgrade(engine)
        echo("warehouse is at the latest migration")
        if configure_reader(settings, engine):
            echo(f"{READER} can log in with NEWSFLOW_READER_PASSWORD")
