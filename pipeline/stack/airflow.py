"""Airflow 3 for the local stack: its four components under supervisord, its metadata in the
embedded PostgreSQL's `airflow` database.

`airflow standalone` would start the same components but never restarts one that exits, and a
scheduler exits when its metadata database goes away for a moment (a PostgreSQL restart): the
stack would then accept DAG runs that never start. supervisord restarts any component that
exits, as a production process manager would. Task logs are read from the shared
AIRFLOW_HOME, so the scheduler and triggerer start no log server of their own (those listen on
every interface, on ports shared by every stack on the machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import socket
import sys
import tempfile
from pathlib import Path

import httpx

from pipeline.config import Settings
from pipeline.errors import PrerequisiteError

# Pools bound how many sources are fetched at once: news_ingest's mapped tasks take
# newsflow_fetch, news_backfill's newsflow_backfill, so a long backfill never starves the live
# schedule. Airflow has no setting that declares pools; `ready` creates them through the API.
POOLS = {
    "newsflow_fetch": (4, "sources fetched at once by news_ingest"),
    "newsflow_backfill": (2, "sources fetched at once by news_backfill"),
}


def airflow_home(settings: Settings) -> Path:
    return settings.home_dir / "airflow"


# Component name, its airflow sub-command. The API server serves the UI, the REST API and the
# execution API the tasks report to.
COMPONENTS = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}


# `--executor celery`: two Celery workers, each with a hostname of its own. Both run on this
# machine, so each also reports its name as the task instances' hostname (hostname_callable):
# that is what tells, in the UI and the REST API, which worker ran a task. They serve no logs
# (the API server reads the task logs from the shared AIRFLOW_HOME).
CELERY_WORKERS = ("worker-1", "worker-2")
WORKER_HOSTNAME_VAR = "NEWSFLOW_CELERY_WORKER_HOSTNAME"


def celery_hostname(worker: str) -> str:
    return f"newsflow-{worker}"


def worker_hostname() -> str:
    """Airflow's `[core] hostname_callable` under the stack's Celery workers: the worker's
    name, or this machine's name outside them."""
    return os.environ.get(WORKER_HOSTNAME_VAR) or socket.getfqdn()


def programs(settings: Settings) -> dict[str, list[str]]:
    """The supervisord programs: Airflow's components, and the Celery workers with the
    CeleryExecutor."""
    found = dict(COMPONENTS)
    if settings.airflow_executor == "celery":
        for worker in CELERY_WORKERS:
            found[f"celery-{worker}"] = [
                "celery",
                "worker",
                "--celery-hostname",
                f"{celery_hostname(worker)}@%h",
                "--concurrency",
                str(settings.celery_worker_concurrency),
                "--skip-serve-logs",
                "--without-mingle",
                "--without-gossip",
            ]
    return found


def password_file(settings: Settings) -> Path:
    return airflow_home(settings) / "simple_auth_manager_passwords.json.generated"


def base_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.airflow_port}"


def environment(settings: Settings) -> dict[str, str]:
    """Airflow configuration as environment variables, so no airflow.cfg edits are needed."""
    venv_bin = str(Path(sys.executable).parent)
    return {
        "AIRFLOW_HOME": str(airflow_home(settings)),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_folder.resolve()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        **executor_environment(settings),
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        # The URL holds the database password: Airflow runs `cat` on its 0600 file
        # (metadata_url_files), so it is in no environment and no world-readable file.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_CMD": _cat(metadata_url_file(settings)),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__BASE_URL": base_url(settings),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url(settings)}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
        # The DAG's tasks import pipeline, which the editable install already provides.
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
    }


def executor_environment(settings: Settings) -> dict[str, str]:
    if settings.airflow_executor != "celery":
        return {"AIRFLOW__CORE__EXECUTOR": "LocalExecutor"}
    from pipeline.stack.redis_broker import broker_url

    return {
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": broker_url(settings),
        # Task states go to the metadata database Airflow already has, not to Redis.
        "AIRFLOW__CELERY__RESULT_BACKEND_CMD": _cat(result_backend_url_file(settings)),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.celery_worker_concurrency),
        "AIRFLOW__CORE__HOSTNAME_CALLABLE": "pipeline.stack.airflow.worker_hostname",
    }


def metadata_url(settings: Settings) -> str:
    """The metadata database's URL, password included: only for metadata_url_files."""
    url = settings.database_url(settings.airflow_db)
    return url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)


def metadata_url_file(settings: Settings) -> Path:
    return settings.home_dir / "secrets" / "airflow-metadata.url"


def result_backend_url_file(settings: Settings) -> Path:
    return settings.home_dir / "secrets" / "airflow-result-backend.url"


def write_metadata_url_files(settings: Settings) -> None:
    """The files Airflow's `*_CMD` settings read (0600, in the 0700 secrets directory)."""
    from pipeline.stack.pg_auth import write_secret

    url = metadata_url(settings)
    write_secret(metadata_url_file(settings), url)
    write_secret(result_backend_url_file(settings), "db+" + url.replace("+psycopg2", "", 1))


def _cat(path: Path) -> str:
    # Airflow splits the command with shlex and runs it without a shell.
    return f"cat {shlex.quote(str(path))}"


def supervisor_config(settings: Settings) -> Path:
    return airflow_home(settings) / "supervisord.conf"


def supervisor_socket(settings: Settings) -> Path:
    """supervisord's control socket: in AIRFLOW_HOME unless that path is too long for a unix
    socket (108 bytes), then in the temporary directory under a name derived from it."""
    path = airflow_home(settings) / "supervisor.sock"
    if len(str(path).encode()) < 100:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"newsflow-supervisor-{digest}.sock"


def component_log(settings: Settings, component: str) -> Path:
    return settings.home_dir / "logs" / f"airflow-{component}.log"


def prepare(settings: Settings) -> None:
    """AIRFLOW_HOME, the admin password and supervisord's configuration.

    The password is written here, readable by its owner only, so that the API server finds it
    and never prints a generated one to its log.
    """
    dags = settings.dags_folder.resolve()
    if not dags.is_dir():
        raise PrerequisiteError(
            f"no DAG files at {dags}: start the stack from the newsflow "
            "checkout, or set NEWSFLOW_DAGS_FOLDER to its dags/ folder"
        )
    home = airflow_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    ensure_admin_password(password_file(settings))
    write_metadata_url_files(settings)
    supervisor_config(settings).write_text(_supervisor_config(settings))


def ensure_admin_password(path: str | Path) -> None:
    """Give the simple auth manager's `admin` a random password in `path` (mode 0600) unless
    the file exists. docker-compose.yml's airflow-init calls this too."""
    path = Path(path)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps({"admin": secrets.token_urlsafe(12)}) + "\n")


def _supervisor_config(settings: Settings) -> str:
    airflow = Path(sys.executable).parent / "airflow"
    home = airflow_home(settings)
    sections = [
        "[supervisord]",
        "nodaemon=true",
        # supervisord's own events (spawned, exited, restarted) go to stdout: logs/airflow.log.
        "logfile=/dev/null",  # nodaemon already writes them to stdout
        "logfile_maxbytes=0",
        "loglevel=info",
        f"pidfile={home / 'supervisord.pid'}",
        f"directory={home}",
        "",
    ]
    if os.geteuid() == 0:
        # Running as root is deliberate in the local stack; this only silences the warning.
        sections.insert(-1, "user=root")
    # supervisord's control socket, its owner's only: the watchdog restarts components through
    # it, and `supervisorctl -c <this file> status` shows each program's state and uptime.
    socket_url = f"unix://{supervisor_socket(settings)}"
    sections += [
        "[unix_http_server]",
        f"file={supervisor_socket(settings)}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl={socket_url}",
        "",
        # The liveness probe: restarts a component that is alive but no longer heartbeats.
        "[eventlistener:watchdog]",
        f"command={sys.executable} -m pipeline.stack.watchdog {base_url(settings)}",
        "events=TICK_5",
        "autostart=true",
        "autorestart=true",
        f"stderr_logfile={component_log(settings, 'watchdog')}",
        "stderr_logfile_maxbytes=10MB",
        "stderr_logfile_backups=2",
        "",
    ]
    for name, args in programs(settings).items():
        worker = name.removeprefix("celery-")
        sections += [
            f"[program:{name}]",
            # supervisord expands %(name)s in commands: a literal % (Celery's %h) doubles.
            f"command={airflow} {' '.join(args).replace('%', '%%')}",
            *(
                [f"environment={WORKER_HOSTNAME_VAR}={celery_hostname(worker)}"]
                if worker in CELERY_WORKERS
                else []
            ),
            "autostart=true",
            "autorestart=true",
            # A component that exits within its first 10 s counts as a failed start; the
            # retries back off (1 s, 2 s, ...) while PostgreSQL is down.
            "startsecs=10",
            "startretries=1000",
            # SIGTERM, then SIGKILL after 20 s, to the component and every child it forked.
            "stopsignal=TERM",
            "stopwaitsecs=20",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={component_log(settings, name)}",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=2",
            "",
        ]
    return "\n".join(sections)


def command(settings: Settings) -> list[str]:
    """Migrate the metadata database, then run supervisord in the foreground."""
    return [sys.executable, "-m", "pipeline.stack.supervise", str(supervisor_config(settings))]


HEALTH_PARTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")


def health(settings: Settings) -> dict[str, str] | None:
    """Each part's status from the API server's health endpoint; None when it does not answer.
    A part that stopped heartbeating shows as unhealthy about 30 s later."""
    try:
        resp = httpx.get(f"{base_url(settings)}/api/v2/monitor/health", timeout=3)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        return None
    body = resp.json()
    return {part: str(body.get(part, {}).get("status")) for part in HEALTH_PARTS}


def unhealthy(parts: dict[str, str]) -> list[str]:
    return [part for part, status in parts.items() if status != "healthy"]


def ready(settings: Settings) -> bool:
    """Healthy, with newsflow's pools in place (the DAGs' tasks would wait forever without)."""
    parts = health(settings)
    if parts is None or unhealthy({part: parts[part] for part in HEALTH_PARTS[:3]}):
        return False
    from pipeline.errors import NewsflowError
    from pipeline.stack.airflow_api import AirflowAPI

    try:
        api = AirflowAPI(settings)
    except (NewsflowError, httpx.HTTPError):
        return False  # the API server may take a moment longer than the health endpoint
    try:
        api.ensure_pools(POOLS)
    finally:
        api.http.close()
    return True


def admin_password(settings: Settings) -> str | None:
    path = password_file(settings)
    if not path.exists():
        return None
    return json.loads(path.read_text()).get("admin")
