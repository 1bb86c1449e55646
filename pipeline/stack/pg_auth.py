"""Passwords on the embedded PostgreSQL: scram-sha-256 for every connection, no `trust`.

The superuser's password is generated once into NEWSFLOW_HOME/secrets/pg-superuser.password
(0600, its directory 0700) unless NEWSFLOW_PG_PASSWORD gives one. A new data directory gets it
from initdb; a data directory made when the server trusted every local connection is
converted by `stack up` while the server still trusts: the password is set first (the server
is sent a SCRAM verifier, never the password), then pg_hba.conf is rewritten and reloaded.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import psycopg
from psycopg import sql

from pipeline.config import Settings

# Loopback only (the server listens on 127.0.0.1 and its socket): a password on every line.
PG_HBA = """\
# Written by newsflow (pipeline/stack/pg_auth.py): every connection gives a password.
# TYPE  DATABASE     USER  ADDRESS        METHOD
local   all          all                  scram-sha-256
host    all          all   127.0.0.1/32   scram-sha-256
host    all          all   ::1/128        scram-sha-256
local   replication  all                  scram-sha-256
host    replication  all   127.0.0.1/32   scram-sha-256
host    replication  all   ::1/128        scram-sha-256
"""


def write_secret(path: Path, value: str, *, chmod_dir: bool = True) -> None:
    """`value` into `path`, readable by its owner only, in a directory only its owner enters
    (unless not `chmod_dir`). Written to a new 0600 file then renamed, so it is never
    readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if chmod_dir:
        path.parent.chmod(0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(value)
    os.replace(partial, path)


def ensure_superuser_password(settings: Settings) -> str:
    """NEWSFLOW_PG_PASSWORD, else the generated one (made on first use)."""
    known = settings.pg_superuser_password()
    if known is not None:
        return known
    password = secrets.token_urlsafe(24)
    write_secret(settings.pg_password_file, password)
    return password


def trusted_lines(data: Path) -> list[str]:
    """The lines of the data directory's pg_hba.conf that let a connection in without a
    password (method `trust`)."""
    hba = data / "pg_hba.conf"
    if not hba.exists():
        return []
    found = []
    for line in hba.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and "trust" in fields[3:]:
            found.append(line)
    return found


def write_hba(data: Path) -> None:
    """Replace pg_hba.conf in place (it keeps its owner: the server's user when we are root)."""
    (data / "pg_hba.conf").write_text(PG_HBA)


def require_passwords(settings: Settings, data: Path) -> bool:
    """On a running server whose pg_hba.conf still trusts: give the superuser its password,
    then make every connection give one. True when it converted something."""
    if not trusted_lines(data):
        return False
    password = ensure_superuser_password(settings)
    with psycopg.connect(
        host="127.0.0.1",
        port=settings.pg_port,
        user=settings.pg_user,
        password=password,  # ignored while the server trusts; needed once it reloaded
        dbname="postgres",
        connect_timeout=5,
        autocommit=True,
    ) as conn:
        verifier = conn.pgconn.encrypt_password(
            password.encode(), settings.pg_user.encode(), b"scram-sha-256"
        ).decode()
        conn.execute(
            sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
                sql.Identifier(settings.pg_user), sql.Literal(verifier)
            )
        )
        write_hba(data)
        conn.execute("SELECT pg_reload_conf()")
    # The server reloads on its own time: back only once it refuses a connection without one.
    deadline = time.monotonic() + 10
    while admits_without_password(settings) and time.monotonic() < deadline:
        time.sleep(0.2)
    return True


def admits_without_password(settings: Settings, user: str | None = None) -> bool:
    """True when the server lets `user` (the superuser) in over TCP with no password."""
    try:
        psycopg.connect(
            host="127.0.0.1",
            port=settings.pg_port,
            user=user or settings.pg_user,
            dbname="postgres",
            passfile="/nonexistent/pgpass",  # not ~/.pgpass either
            connect_timeout=5,
        ).close()
    except psycopg.OperationalError:
        return False
    return True
