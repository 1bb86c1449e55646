"""The analysts' read-only role `newsflow_reader` (migrations 0002 and 0005) gets its login here.

Migrations carry no secrets, so `newsflow db upgrade` sets the password from
NEWSFLOW_READER_PASSWORD after migrating. The server is sent a SCRAM verifier computed by
libpq, never the password itself, so no statement log can leak it.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from sqlalchemy import Engine, text

from pipeline.config import Settings
from pipeline.errors import ConfigError

READER = "newsflow_reader"


def configure_reader(settings: Settings, engine: Engine) -> bool:
    """Let the reader log in with the configured password; False when none is configured."""
    if settings.reader_password is None:
        return False
    password = settings.reader_password.get_secret_value()
    if not password:
        raise ConfigError("NEWSFLOW_READER_PASSWORD is empty: set a password or unset it")
    with engine.begin() as conn:
        if (
            conn.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": READER}
            ).first()
            is None
        ):
            raise ConfigError(
                f"role {READER} does not exist (the migrating user may not create roles): "
                f"have an administrator run CREATE ROLE {READER}, then `newsflow db upgrade`"
            )
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, psycopg.Connection)  # the driver of config.py's database URL
        verifier = dbapi.pgconn.encrypt_password(
            password.encode(), READER.encode(), b"scram-sha-256"
        ).decode()
        try:
            with dbapi.cursor() as cursor:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                        sql.Identifier(READER), sql.Literal(verifier)
                    )
                )
        except psycopg.Error as exc:
            raise ConfigError(
                f"cannot set the password of {READER}: {exc}; the migrating "
                "user needs CREATEROLE (with ADMIN on the role)"
            ) from exc
    return True
