"""A small client for Airflow 3's REST API (/api/v2), logging in as the local stack's admin."""

from __future__ import annotations

import time
from typing import Any

import httpx

from pipeline.config import Settings
from pipeline.errors import NewsflowError
from pipeline.stack.airflow import admin_password, base_url, password_file

_DATABASE_ERROR_RETRIES = (0.5, 1.0, 2.0)  # seconds before each new try


def _database_error(resp: httpx.Response) -> bool:
    """Airflow's answer when its metadata database refused the request's transaction."""
    if resp.status_code != 500:
        return False
    try:
        body = resp.json()
    except ValueError:
        return False
    detail = body.get("detail") if isinstance(body, dict) else None
    return isinstance(detail, dict) and detail.get("reason") == "Database error"


class AirflowAPI:
    def __init__(self, settings: Settings, username: str = "admin") -> None:
        password = admin_password(settings)
        if password is None:
            raise NewsflowError(
                f"no Airflow admin password in {password_file(settings)}: is Airflow up "
                "(`newsflow stack status`)?"
            )
        self.base = base_url(settings)
        resp = httpx.post(
            f"{self.base}/auth/token", json={"username": username, "password": password}, timeout=30
        )
        if resp.status_code not in (200, 201):
            raise NewsflowError(f"Airflow login failed: HTTP {resp.status_code} {resp.text[:200]}")
        token = resp.json()["access_token"]
        self.http = httpx.Client(
            base_url=f"{self.base}/api/v2", timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self.http.request(method, path, **kwargs)
        # Airflow answers 500 "Database error" when its metadata database aborted the request's
        # transaction, e.g. a deadlock with the scheduler updating the same run (PostgreSQL
        # aborts one side; nothing of it was written). Requests that set a state or read are
        # idempotent: try them again. A POST (a new run) is never repeated.
        for pause in _DATABASE_ERROR_RETRIES if method in ("GET", "PATCH") else ():
            if not _database_error(resp):
                break
            time.sleep(pause)
            resp = self.http.request(method, path, **kwargs)
        if resp.status_code >= 400:
            raise NewsflowError(
                f"Airflow API {method} {path}: HTTP {resp.status_code} {resp.text[:300]}"
            )
        return resp.json() if resp.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> dict:
        """Wait until the DAG processor has parsed dag_id; fail on an import error."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            errors = self._call("GET", "/importErrors")["import_errors"]
            if errors:
                first = errors[0]
                raise NewsflowError(
                    f"DAG import error in {first['filename']}: "
                    f"{first['stack_trace'].strip().splitlines()[-1]}"
                )
            resp = self.http.get(f"/dags/{dag_id}")
            if resp.status_code == 200:
                return resp.json()
            time.sleep(2)
        raise NewsflowError(f"Airflow has not parsed DAG {dag_id} after {timeout:.0f}s")

    def ensure_pools(self, pools: dict[str, tuple[int, str]]) -> None:
        """Create the pools that are missing; existing ones keep slots an operator set."""
        existing = {p["name"] for p in self._call("GET", "/pools", params={"limit": 1000})["pools"]}
        for name, (slots, description) in pools.items():
            if name not in existing:
                self._call(
                    "POST",
                    "/pools",
                    json={"name": name, "slots": slots, "description": description},
                )

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict) -> str:
        run = self._call(
            "POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf}
        )
        return run["dag_run_id"]

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(2)
        raise NewsflowError(
            f"DAG run {run_id} of {dag_id} not finished after {timeout:.0f}s: "
            f"{self.why_waiting(dag_id, run_id)}"
        )

    def why_waiting(self, dag_id: str, run_id: str) -> str:
        """What a run that does not finish is waiting for: its tasks' states, the DAG's other
        active runs (max_active_runs queues it behind them) and the components' health."""
        parts = []
        try:
            states = self.task_states(dag_id, run_id)
            parts.append(
                "tasks "
                + (
                    ", ".join(f"{t}[{i}]={s}" if i >= 0 else f"{t}={s}" for t, i, s in states)
                    or "none yet"
                )
            )
            others = [
                f"{r['dag_run_id']} ({r['state']})"
                for r in self.active_runs(dag_id)
                if r["dag_run_id"] != run_id
            ]
            parts.append("other active runs: " + (", ".join(others) or "none"))
            health = self.http.get(f"{self.base}/api/v2/monitor/health").json()
            parts.append(
                "health: " + ", ".join(f"{k} {v.get('status')}" for k, v in health.items())
            )
        except (NewsflowError, httpx.HTTPError, KeyError, ValueError) as exc:
            parts.append(f"(could not ask Airflow: {exc})")
        return "; ".join(parts)

    def active_runs(self, dag_id: str) -> list[dict]:
        """The DAG's queued and running runs: a new run waits behind them (max_active_runs)."""
        return self._call(
            "GET", f"/dags/{dag_id}/dagRuns", params=[("state", "running"), ("state", "queued")]
        )["dag_runs"]

    def mark_run(self, dag_id: str, run_id: str, state: str) -> None:
        """Set a run's state (`success` or `failed`), as the UI's "Mark as" does."""
        self._call("PATCH", f"/dags/{dag_id}/dagRuns/{run_id}", json={"state": state})

    def task_results(self, dag_id: str, run_id: str, task_id: str) -> list[Any]:
        """The return values of every map index of a task in a run."""
        instances = self._call(
            "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"task_id": task_id}
        )["task_instances"]
        results = []
        for ti in instances:
            entry = self._call(
                "GET",
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value",
                params={"map_index": ti["map_index"], "deserialize": True},
            )
            results.append(entry.get("value"))
        return results

    def task_states(self, dag_id: str, run_id: str) -> list[tuple[str, int, str]]:
        instances = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return [(ti["task_id"], ti["map_index"], ti["state"]) for ti in instances["task_instances"]]
