"""The embedded PostgreSQL asks every connection for a password (scram-sha-256, no `trust`),
the superuser's and the reader's alike; `stack up` converts a data directory made when it
trusted every local connection, keeping every row."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from pydantic import SecretStr
from scratch_db import scratch_database
from side_stack import newsflow, side_env, side_settings

from pipeline.config import Settings
from pipeline.jobs.warehouse_admin import upgrade_warehouse
from pipeline.stack import pg_auth, postgres
from pipeline.stack.process import as_user
from pipeline.warehouse.reader_role import READER

pytestmark = pytest.mark.integration
READER_PASSWORD = "reader-" + uuid.uuid4().hex


def connect(settings: Settings, user: str, password: str | None, **where: object):
    """A connection that gives exactly `password` (no ~/.pgpass, no PGPASSWORD)."""
    params: dict[str, object] = {
        "host": "127.0.0.1",
        "port": settings.pg_port,
        "dbname": "postgres",
        "user": user,
        "passfile": "/nonexistent/pgpass",
        "connect_timeout": 5,
    }
    if password is not None:
        params["password"] = password
    params.update(where)
    return psycopg.connect(**params)  # type: ignore[arg-type]


def refusal(settings: Settings, user: str, password: str | None, **where: object) -> str:
    """The server's refusal of this login, or '' when it let it in."""
    try:
        connect(settings, user, password, **where).close()
    except psycopg.OperationalError as exc:
        return str(exc)
    return ""


def assert_password_only(settings: Settings, user: str, password: str) -> None:
    assert "no password supplied" in refusal(settings, user, None)
    assert "password authentication failed" in refusal(settings, user, password + "x")
    # The Unix socket too: no `local ... trust` line left.
    sock = str(postgres.socket_dir(settings))
    assert "no password supplied" in refusal(settings, user, None, host=sock)
    assert refusal(settings, user, password) == ""
    assert pg_auth.trusted_lines(postgres.data_dir(settings)) == []


@pytest.fixture(scope="module")
def reader_warehouse(stack: Settings) -> Iterator[Settings]:
    with scratch_database(
        stack, "test_pgpw", reader_password=SecretStr(READER_PASSWORD)
    ) as settings:
        upgrade_warehouse(settings, echo=print)  # `newsflow db upgrade`: the reader's login
        yield settings


def test_the_superuser_needs_its_generated_password(stack):
    password = stack.pg_password_file.read_text()
    assert len(password) >= 24
    assert stack.pg_password_file.stat().st_mode & 0o777 == 0o600
    assert stack.pg_password_file.parent.stat().st_mode & 0o777 == 0o700
    assert_password_only(stack, stack.pg_user, password)


def test_the_reader_needs_its_password(reader_warehouse):
    assert_password_only(reader_warehouse, READER, READER_PASSWORD)
    with connect(reader_warehouse, READER, READER_PASSWORD, dbname=_db(reader_warehouse)) as c:
        assert c.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def _db(settings: Settings) -> str:
    assert settings.warehouse_url is not None
    return settings.warehouse_url.get_secret_value().rsplit("/", 1)[1]


# -- a data directory of the code before passwords ----------------------------------------


def _trust_data_directory(settings: Settings) -> tuple[str | None, Path]:
    """What `stack up` made before passwords: initdb --auth=trust, its pg_hba.conf."""
    user = postgres._run_as()
    data, sock = postgres.data_dir(settings), postgres.socket_dir(settings)
    for d in (data, sock):
        d.mkdir(parents=True, exist_ok=True)
    if user:
        import pwd

        entry = pwd.getpwnam(user)
        for d in (data.parent, data, sock):
            os.chown(d, entry.pw_uid, entry.pw_gid)
        data.chmod(0o700)
        postgres._make_traversable(data.parent)
    subprocess.run(
        [
            postgres.bin_path("initdb"),
            "-D",
            str(data),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "-U",
            settings.pg_user,
            "--no-instructions",
        ],
        check=True,
        capture_output=True,
        cwd=data,
        **as_user(user),
    )
    return user, data


def test_stack_up_converts_a_trust_data_directory_keeping_every_row():
    superuser_password = "super-" + uuid.uuid4().hex
    settings = side_settings("pgtrust", 580, pg_password=SecretStr(superuser_password))
    shutil.rmtree(settings.home_dir, ignore_errors=True)  # a data directory of an earlier run
    env = side_env(settings)
    user, data = _trust_data_directory(settings)
    assert pg_auth.trusted_lines(data)
    log = (settings.home_dir / "trust-server.log").open("w")
    server = subprocess.Popen(
        postgres.command(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=data,
        start_new_session=True,
        **as_user(user),
    )
    try:
        for _ in range(120):
            if refusal(settings, settings.pg_user, None) == "":
                break
            time.sleep(0.5)
        with connect(settings, settings.pg_user, None, autocommit=True) as conn:
            conn.execute("CREATE DATABASE newsflow")
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(READER), sql.Literal(READER_PASSWORD)
                )
            )
        with connect(settings, settings.pg_user, None, dbname="newsflow") as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY, body text)")
            conn.execute("INSERT INTO kept SELECT i, md5(i::text) FROM generate_series(1, 5000) i")
        # Anyone on the machine was the superuser:
        assert refusal(settings, settings.pg_user, None) == ""
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(60)
        log.close()

    try:
        up = newsflow(env, "stack", "up", "postgres")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "now scram-sha-256 for every connection (was trust)" in up.stdout
        assert_password_only(settings, settings.pg_user, superuser_password)
        assert_password_only(settings, READER, READER_PASSWORD)
        with connect(settings, settings.pg_user, superuser_password, dbname="newsflow") as c:
            assert c.execute("SELECT count(*), sum(id) FROM kept").fetchone() == (
                5000,
                5000 * 5001 // 2,
            )
        # NEWSFLOW_PG_PASSWORD wins: nothing generated beside it.
        assert not settings.pg_password_file.exists()
        again = newsflow(env, "stack", "up", "postgres")
        assert again.returncode == 0 and "was trust" not in again.stdout
    finally:
        newsflow(env, "stack", "down")
