"""Engines on the warehouse: the jobs open them, one way, and always dispose of them.

A stage never builds an engine from settings; it is handed one (or a store made on one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pipeline.config import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


@contextmanager
def warehouse_engine(settings: Settings, application_name: str = "newsflow") -> Iterator[Engine]:
    """An engine on the warehouse for one job, disposed afterwards. `application_name` shows
    in pg_stat_activity: which process holds that lock?"""
    from pipeline.warehouse.db import make_engine  # SQLAlchemy: only when a job needs it

    engine = make_engine(settings, application_name)
    try:
        yield engine
    finally:
        engine.dispose()
