"""Redis for the local stack's CeleryExecutor (`newsflow stack up --executor celery`): Debian's
`redis-server` on loopback, its data under NEWSFLOW_HOME/redis.

Redis is only Celery's broker here: the result backend is Airflow's metadata database, so a
Redis restart loses at most queued messages, which the scheduler re-queues once their task
instances time out in the queue.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError

INSTALL_HINT = (
    "redis-server not found: `--executor celery` needs Debian's redis-server as Celery's "
    "broker: `sudo apt-get install redis-server` (`make test-tools` installs it as root)"
)


def data_dir(settings: Settings) -> Path:
    return settings.home_dir / "redis"


def broker_url(settings: Settings) -> str:
    return f"redis://127.0.0.1:{settings.redis_port}/0"


def executable() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found is None:
        raise PrerequisiteError(INSTALL_HINT)
    return found


def prepare(settings: Settings) -> None:
    executable()
    data_dir(settings).mkdir(parents=True, exist_ok=True)


def command(settings: Settings) -> list[str]:
    """In the foreground (the stack owns its process group), loopback only, logging to stdout
    (logs/redis.log), snapshots in data_dir."""
    return [
        executable(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(settings.redis_port),
        "--protected-mode",
        "yes",
        "--daemonize",
        "no",
        "--dir",
        str(data_dir(settings)),
        "--logfile",
        "",
        "--save",
        "60 1",
    ]


def ready(settings: Settings) -> bool:
    """Redis answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", settings.redis_port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False
