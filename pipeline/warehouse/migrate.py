"""Warehouse migrations: Alembic, configured in code, so no alembic.ini is needed anywhere.

To write a new migration, change `models.py`, then autogenerate against an upgraded database
and review the result (autogenerate misses views, grants and server-side details):

    from alembic import command
    from pipeline.jobs import warehouse_engine
    from pipeline.warehouse.migrate import alembic_config
    with warehouse_engine(settings) as engine, engine.begin() as conn:
        command.revision(alembic_config(conn), "what changed", autogenerate=True)
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import OperationalError

from pipeline.errors import TransientError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant shared by every newsflow process: serializes concurrent `upgrade` calls.
_ADVISORY_LOCK = 0x6E657773  # "news"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py runs on this connection; a URL in the config would also leak passwords to logs.
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the warehouse of `engine` to `revision`; a no-op when it is there already.

    One transaction (PostgreSQL has transactional DDL): a failed migration leaves nothing half
    done. Concurrent callers (stack start-up, a user's `newsflow db upgrade`) take turns.
    """
    try:
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK)))
            command.upgrade(alembic_config(conn), revision)
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise TransientError(
            f"cannot migrate the warehouse at {where}: {exc.orig}; is PostgreSQL running "
            "(`newsflow stack up postgres`, or NEWSFLOW_WAREHOUSE_URL)?"
        ) from exc
