"""The analysts' role: `newsflow db upgrade` gives `newsflow_reader` a login with the configured
password; it reads every table and view, and writes, creates and refreshes nothing.

A database of its own on the test stack's server, migrated by the real command.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.errors import InsufficientPrivilege
from pydantic import SecretStr
from scratch_db import database_url, scratch_database
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import ProgrammingError

from pipeline.config import Settings
from pipeline.stack.manager import settings_env
from pipeline.warehouse.reader_role import READER

pytestmark = pytest.mark.integration
PASSWORD = "reader-" + uuid.uuid4().hex
NEWSFLOW = str(Path(sys.executable).parent / "newsflow")


@pytest.fixture(scope="module")
def warehouse(stack: Settings) -> Iterator[dict]:
    with scratch_database(stack, "test_reader", reader_password=SecretStr(PASSWORD)) as settings:
        url = make_url(database_url(settings))
        owner = create_engine(url)
        reader = create_engine(url.set(username=READER, password=PASSWORD))
        try:
            upgraded = subprocess.run(
                [NEWSFLOW, "db", "upgrade"],
                capture_output=True,
                text=True,
                env={**os.environ, **settings_env(settings)},
                timeout=120,
            )
            yield {"upgrade": upgraded, "owner": owner, "reader": reader}
        finally:
            owner.dispose()
            reader.dispose()


def _relations(owner: Engine, kinds: str) -> list[str]:
    with owner.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = ANY(:kinds) ORDER BY 1"
                ),
                {"kinds": list(kinds)},
            ).scalars()
        )


def _refused(reader: Engine, statement: str) -> bool:
    """True when PostgreSQL refuses `statement` for lack of privilege."""
    with reader.connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except ProgrammingError as exc:
            if isinstance(exc.orig, InsufficientPrivilege):
                return True
            raise
        finally:
            conn.rollback()
    return False


def _scram_matches(verifier: str, password: str) -> bool:
    """Does a SCRAM-SHA-256 verifier (RFC 7677, as PostgreSQL stores it) hold `password`?"""
    scheme, iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    return (
        scheme == "SCRAM-SHA-256"
        and hashlib.sha256(client_key).digest() == stored_key
        and hmac.digest(salted, b"Server Key", "sha256") == server_key
    )


def test_db_upgrade_gives_the_reader_a_login_with_the_configured_password(warehouse):
    upgraded = warehouse["upgrade"]
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"{READER} can log in" in upgraded.stdout
    assert PASSWORD not in upgraded.stdout + upgraded.stderr
    with warehouse["owner"].connect() as conn:
        can_login, verifier = conn.execute(
            text("SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = :role"),
            {"role": READER},
        ).one()
    assert can_login
    assert _scram_matches(verifier, PASSWORD)
    assert not _scram_matches(verifier, PASSWORD + "x")


def test_the_reader_reads_every_table_and_view(warehouse):
    relations = _relations(warehouse["owner"], "rvmp")
    assert {
        "articles",
        "article_search",
        "dead_letters",
        "v_source_health_daily",
        "mv_entity_pairs",
        "v_entity_cooccurrence",
        "alembic_version",
    } <= set(relations)
    with warehouse["reader"].connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar_one() == READER
        for name in relations:
            conn.exec_driver_sql(f'SELECT * FROM "{name}" LIMIT 1').all()


def test_the_reader_cannot_write_any_table(warehouse):
    reader = warehouse["reader"]
    with warehouse["owner"].connect() as conn:
        first_column = dict(
            conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND ordinal_position = 1"
                )
            ).all()
        )
    for name in _relations(warehouse["owner"], "rp"):
        column = first_column[name]
        for statement in (
            f'INSERT INTO "{name}" DEFAULT VALUES',
            f'UPDATE "{name}" SET "{column}" = "{column}" WHERE false',
            f'DELETE FROM "{name}"',
            f'TRUNCATE "{name}"',
        ):
            assert _refused(reader, statement), f"{READER} may run: {statement}"


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE public.notes (body text)",
        "CREATE TEMPORARY TABLE notes (body text)",
        "CREATE SCHEMA scratch",
        "CREATE VIEW public.v_mine AS SELECT 1 AS one",
        "CREATE FUNCTION public.one() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE INDEX ix_mine ON articles (title)",
        "REFRESH MATERIALIZED VIEW mv_entity_pairs",
        "ALTER TABLE articles ADD COLUMN mine text",
        "DROP VIEW v_top_entities",
    ],
)
def test_the_reader_cannot_create_or_change_anything(warehouse, statement):
    assert _refused(warehouse["reader"], statement), f"{READER} may run: {statement}"
