"""`newsflow sql`: one query on the warehouse, or an interactive psql session."""

from __future__ import annotations

import os
import subprocess

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from pipeline.config import Settings
from pipeline.errors import NewsflowError


def run_query(settings: Settings, query: str) -> tuple[list[str], list[tuple]]:
    engine = create_engine(settings.database_url())
    try:
        with engine.connect() as conn:
            result = conn.execute(text(query))
            if not result.returns_rows:
                conn.commit()
                return ["rows affected"], [(result.rowcount,)]
            return list(result.keys()), [tuple(r) for r in result]
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise NewsflowError(f"query failed: {first}") from exc
    finally:
        engine.dispose()


def interactive_psql(settings: Settings) -> int:
    from pipeline.stack.postgres import bin_path

    url = make_url(settings.database_url())
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # never on the command line, where ps shows it
    cmd = [bin_path("psql"), "-h", url.host or "127.0.0.1",
           "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database or ""]
    return subprocess.call(cmd, env=env)
