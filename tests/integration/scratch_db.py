"""A database of its own on the test stack's PostgreSQL, for tests that must not share rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import SecretStr
from sqlalchemy import create_engine, make_url

from pipeline.config import Settings


@contextmanager
def scratch_database(stack: Settings, prefix: str, **updates: object) -> Iterator[Settings]:
    """The stack's settings pointing at a new, empty database named `<prefix>_<random>`, with
    `updates` applied; the database is dropped (connections closed by force) afterwards."""
    base = make_url(stack.database_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    # pre-ping: a test may restart the server in between (test_delivery_crashes.py does).
    admin = create_engine(
        base.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield stack.model_copy(update={"warehouse_url": SecretStr(url), **updates})
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def database_url(settings: Settings) -> str:
    assert settings.warehouse_url is not None
    return settings.warehouse_url.get_secret_value()
