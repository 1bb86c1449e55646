"""Airflow 3 in standalone mode, its metadata in the embedded PostgreSQL's `airflow` database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from pipeline.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# Pools bound how many sources are fetched at once: news_ingest's mapped tasks take
# newsflow_fetch, news_backfill's newsflow_backfill, so a long backfill never starves the live
# schedule. Airflow has no setting that declares pools; `ready` creates them through the API.
POOLS = {
    "newsflow_fetch": (4, "sources fetched at once by news_ingest"),
    "newsflow_backfill": (2, "sources fetched at once by news_backfill"),
}


def airflow_home(settings: Settings) -> Path:
    return settings.home_dir / "airflow"


def password_file(settings: Settings) -> Path:
    return airflow_home(settings) / "simple_auth_manager_passwords.json.generated"


def base_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.airflow_port}"


def environment(settings: Settings) -> dict[str, str]:
    """Airflow configuration as environment variables, so no airflow.cfg edits are needed."""
    venv_bin = str(Path(sys.executable).parent)
    metadata = (
        f"postgresql+psycopg2://{settings.pg_user}@127.0.0.1:{settings.pg_port}/{settings.airflow_db}"
    )
    return {
        "AIRFLOW_HOME": str(airflow_home(settings)),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__BASE_URL": base_url(settings),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url(settings)}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "15",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        # The DAG's tasks import pipeline, which the editable install already provides.
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
    }


def command() -> list[str]:
    return [str(Path(sys.executable).parent / "airflow"), "standalone"]


def ready(settings: Settings) -> bool:
    """Healthy, with newsflow's pools in place (the DAGs' tasks would wait forever without)."""
    try:
        resp = httpx.get(f"{base_url(settings)}/api/v2/monitor/health", timeout=3)
    except httpx.HTTPError:
        return False
    if resp.status_code != 200:
        return False
    health = resp.json()
    healthy = all(
        health.get(part, {}).get("status") == "healthy"
        for part in ("metadatabase", "scheduler", "dag_processor")
    )
    if not healthy:
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
