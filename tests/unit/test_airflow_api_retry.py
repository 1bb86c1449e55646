"""The Airflow API client repeats an idempotent request that Airflow's metadata database
aborted (HTTP 500 "Database error", e.g. a deadlock with the scheduler), and never a POST."""

from __future__ import annotations

import httpx
import pytest

from pipeline.errors import NewsflowError
from pipeline.stack import airflow_api
from pipeline.stack.airflow_api import AirflowAPI

DATABASE_ERROR = {
    "detail": {
        "reason": "Database error",
        "statement": "hidden",
        "orig_error": "hidden",
        "message": "Serious error when handling your request.",
    }
}


def client(answers: list[httpx.Response], seen: list[str]) -> AirflowAPI:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return answers.pop(0)

    api = AirflowAPI.__new__(AirflowAPI)  # no login: the transport answers
    api.http = httpx.Client(
        base_url="http://airflow/api/v2", transport=httpx.MockTransport(handler)
    )
    return api


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(airflow_api, "_DATABASE_ERROR_RETRIES", (0, 0, 0))


def test_a_state_change_aborted_by_the_database_is_made_again():
    seen: list[str] = []
    api = client(
        [httpx.Response(500, json=DATABASE_ERROR), httpx.Response(200, json={"state": "failed"})],
        seen,
    )
    api.mark_run("news_ingest", "manual__1", "failed")
    assert seen == ["PATCH", "PATCH"]


def test_a_database_error_that_persists_is_reported():
    seen: list[str] = []
    api = client([httpx.Response(500, json=DATABASE_ERROR) for _ in range(4)], seen)
    with pytest.raises(NewsflowError, match="HTTP 500"):
        api.mark_run("news_ingest", "manual__1", "failed")
    assert seen == ["PATCH"] * 4


def test_other_errors_and_posts_are_not_repeated():
    seen: list[str] = []
    api = client([httpx.Response(500, json={"detail": "Internal Server Error"})], seen)
    with pytest.raises(NewsflowError):
        api.mark_run("news_ingest", "manual__1", "failed")
    assert seen == ["PATCH"]
    seen.clear()
    api = client([httpx.Response(500, json=DATABASE_ERROR)], seen)
    with pytest.raises(NewsflowError):
        api._call("POST", "/dags/news_ingest/dagRuns", json={"conf": {}})
    assert seen == ["POST"]
