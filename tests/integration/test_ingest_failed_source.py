"""A source that gives nothing because its fetches fail is a failure, a quiet one is not.

On the real stack: `newsflow ingest` exits non-zero naming a source whose feed answers 404 (and
still runs the others), a source answering 304 everywhere stays green, a news_ingest run fails
the mapped task of the 404 source after its retries while the good source's task succeeds.
Source health does not count a robots.txt 404 as a failed fetch, and a source removed from
its sources file is no longer enabled nor judged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from airflow_support import clear_active_runs
from click.testing import CliRunner
from fetch_support import (
    LocalServer,
    Reply,
    article_html,
    conditional_page,
    forget_site,
    query,
    rss,
)
from sqlalchemy import create_engine

from pipeline.cli import main
from pipeline.config import Settings
from pipeline.jobs import ingest_source, latest_health, source_health
from pipeline.sources import Source
from pipeline.stack.airflow_api import AirflowAPI
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration


@pytest.fixture
def site(stack: Settings) -> Iterator[LocalServer]:
    """/good.xml lists two pages that answer 304 to a conditional request; /gone.xml is 404."""
    with LocalServer().running() as server:
        forget_site(stack, server)
        server.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        server.route("/good.xml", Reply(200, rss("/a", "/b")))
        for path, title in (("/a", "Harbour reopens"), ("/b", "Rail strike ends")):
            server.handle_with(
                path, conditional_page(article_html(title).encode(), etag=f'"{path[1:]}1"')
            )
        yield server


def entry(site: LocalServer, source_id: str, feed: str) -> dict:
    return {
        "id": source_id,
        "name": source_id,
        "feeds": [site.url(feed)],
        "min_delay_seconds": 0,
        "allow_private_network": True,
    }


def write_sources(path: Path, *entries: dict) -> str:
    path.write_text(yaml.safe_dump({"sources": list(entries)}), encoding="utf-8")
    return str(path)


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def ingest(stack: Settings, *args: str):
    return CliRunner().invoke(main, ["ingest", *args], env=settings_env(stack))


def summaries(output: str) -> dict[str, dict]:
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return {s["source_id"]: s for s in lines}


def test_ingest_exits_1_naming_a_source_whose_feed_is_gone_and_runs_the_others(
    stack, site, tmp_path
):
    gone, good = new_id("gone"), new_id("good")
    path = write_sources(
        tmp_path / "sources.yaml", entry(site, gone, "/gone.xml"), entry(site, good, "/good.xml")
    )

    result = ingest(stack, "--sources", path)

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"newsflow: error: source {gone}: every discovery URL failed: "
        f"{site.url('/gone.xml')} http_404"
    ]
    ran = summaries(result.stdout)
    assert (ran[gone]["discovered"], ran[gone]["discovery_failed"]) == (
        0,
        [f"{site.url('/gone.xml')} http_404"],
    )
    assert (ran[good]["new"], ran[good]["published"]) == (2, 2)  # run after the failed one


def test_ingest_of_a_source_answering_304_everywhere_exits_0(stack, site, tmp_path):
    quiet = new_id("quiet")
    path = write_sources(tmp_path / "sources.yaml", entry(site, quiet, "/good.xml"))

    first = ingest(stack, "--sources", path)
    second = ingest(stack, "--sources", path)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    again = summaries(second.stdout)[quiet]
    assert (again["fetched"], again["not_modified"], again["new"], again["published"]) == (
        2,
        2,
        0,
        0,
    )
    assert second.stderr == ""


def test_source_health_does_not_count_a_robots_txt_404_as_a_failed_fetch(stack, tmp_path):
    with LocalServer().running() as server:  # no robots.txt: 404, "allow all"
        forget_site(stack, server)
        server.route("/feed.xml", Reply(200, rss("/a")))
        server.route(
            "/a",
            Reply(200, article_html("Harbour reopens").encode(), {"Content-Type": "text/html"}),
        )
        source = Source(
            id=new_id("norobots"),
            name="No robots.txt",
            feeds=[server.url("/feed.xml")],
            min_delay_seconds=0,
            allow_private_network=True,
        )
        summary = ingest_source(stack, source)
    assert (summary.fetched, summary.failed, summary.skipped_robots) == (1, 0, 0)
    statuses = query(stack, "SELECT url, status FROM fetch_log WHERE source_id = :s", s=source.id)
    assert (server.url("/robots.txt"), 404) in [tuple(r) for r in statuses]

    engine = create_engine(stack.database_url())
    try:
        (health,) = source_health(engine, sources=[source.id])
    finally:
        engine.dispose()
    assert (health.fetched, health.failed, health.status, health.reasons) == (3, 0, "green", [])


def test_a_source_removed_from_its_file_is_no_longer_enabled_nor_judged(stack, site, tmp_path):
    kept, removed = new_id("kept"), new_id("removed")
    path = tmp_path / "sources.yaml"
    write_sources(path, entry(site, kept, "/good.xml"), entry(site, removed, "/gone.xml"))
    ingest(stack, "--sources", str(path))  # `removed`'s feed is gone: red today
    env = settings_env(stack)
    health = ["sources", "health", "--source", kept, "--source", removed]
    red = CliRunner().invoke(main, health, env=env)
    assert red.exit_code == 1 and removed in red.output  # half its fetches failed today

    write_sources(path, entry(site, kept, "/good.xml"))
    listed = CliRunner().invoke(main, ["sources", "list", "--sources", str(path)], env=env)

    assert listed.exit_code == 0, listed.output
    rows = {
        r.source_id: r
        for r in query(
            stack,
            "SELECT source_id, enabled, removed_at FROM sources WHERE source_id IN (:a, :b)",
            a=kept,
            b=removed,
        )
    }
    assert (rows[kept].enabled, rows[kept].removed_at) == (True, None)
    assert rows[removed].enabled is False and rows[removed].removed_at is not None
    after = CliRunner().invoke(main, health, env=env)
    assert after.exit_code == 0, after.output
    assert removed not in after.output and kept in after.output
    engine = create_engine(stack.database_url())
    try:
        assert removed not in {h.source_id for h in latest_health(engine)}
    finally:
        engine.dispose()


def test_news_ingest_fails_the_task_of_a_source_whose_feed_is_gone(airflow_stack, site, tmp_path):
    gone, good = new_id("gone"), new_id("good")
    path = write_sources(
        tmp_path / "sources.yaml", entry(site, gone, "/gone.xml"), entry(site, good, "/good.xml")
    )
    api = AirflowAPI(airflow_stack)
    api.wait_for_dag("news_ingest")
    api.unpause("news_ingest")
    clear_active_runs(api, "news_ingest")

    run_id = api.trigger("news_ingest", {"sources_file": path})

    assert api.wait_for_run("news_ingest", run_id, timeout=300) == "failed"
    instances = api.http.get(f"/dags/news_ingest/dagRuns/{run_id}/taskInstances").json()
    states = {
        (ti["task_id"], ti["map_index"]): (ti["state"], ti["try_number"])
        for ti in instances["task_instances"]
    }
    # Map indexes follow the file: 0 is the gone feed's source, retried twice as configured.
    assert states[("ingest", 0)] == ("failed", 3)
    assert states[("ingest", 1)] == ("success", 1)
    assert states[("list_sources", -1)][0] == "success"
    assert states[("report", -1)][0] == "upstream_failed"
    log = api.http.get(
        f"/dags/news_ingest/dagRuns/{run_id}/taskInstances/ingest/logs/3",
        params={"map_index": 0, "full_content": True},
    ).text
    assert f"source {gone}: every discovery URL failed: {site.url('/gone.xml')} http_404" in log
