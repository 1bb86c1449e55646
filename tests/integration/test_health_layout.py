"""Source health on the real stack: a simulated layout change turns one source red.

The sample site is split into three sources, one per publisher template. Yesterday (the first
ingestion, its timestamps moved back a day) all three are healthy; today the courier's pages
are redesigned (client-side rendered: a stub of a body, no date, no author) and ingested again.
The courier turns red, the other two stay green, `newsflow sources health` lists it, and the
news_maintenance DAG fails naming it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from airflow_support import clear_active_runs
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from devtools.sample_site import TEMPLATES, SampleSite, stories
from pipeline.cli import main
from pipeline.config import Settings
from pipeline.jobs import enabled_sources, ingest_source, local_stack, source_health
from pipeline.stack.airflow_api import AirflowAPI
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration
BROKEN = "courier"


def _wait_for(engine, query: str, params: dict, expected: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    found = -1
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            found = conn.execute(text(query), params).scalar_one()
        if found >= expected:
            return found
        time.sleep(1)
    return found


@pytest.fixture(scope="module")
def layout_change(airflow_stack: Settings, tmp_path_factory) -> Iterator[dict]:
    settings = airflow_stack
    manager = local_stack(settings, progress=lambda line: print(f"[stack] {line}"))
    manager.up(["enricher"])
    site = SampleSite().start()
    prefix = f"h{uuid.uuid4().hex[:6]}"
    sources_file = tmp_path_factory.mktemp("health") / "sources.yaml"
    ids = site.write_sources_per_template(sources_file, prefix)
    engine = create_engine(settings.database_url())
    per_template = {t: sum(1 for s in stories() if s.template == t) for t in TEMPLATES}
    like = {"like": f"{prefix}-%"}
    try:
        for source in enabled_sources(settings, str(sources_file)):
            ingest_source(settings, source)
        stored = _wait_for(
            engine, "SELECT count(*) FROM articles WHERE source_id LIKE :like", like, len(stories())
        )
        assert stored == len(stories()), "the enricher did not store the first ingestion"
        with engine.begin() as conn:  # the first ingestion becomes yesterday's
            conn.execute(
                text(
                    "UPDATE fetch_log SET fetched_at = fetched_at - interval '1 day' "
                    "WHERE source_id LIKE :like"
                ),
                like,
            )
            conn.execute(
                text(
                    "UPDATE article_versions "
                    "SET fetched_at = fetched_at - interval '1 day' "
                    "WHERE record->>'source_id' LIKE :like"
                ),
                like,
            )

        site.redesign(BROKEN)
        summaries = {
            source.id: ingest_source(settings, source).summary()
            for source in enabled_sources(settings, str(sources_file))
        }
        changed = _wait_for(
            engine,
            "SELECT count(*) FROM article_versions "
            "WHERE record->>'source_id' = :id AND version = 2",
            {"id": ids[BROKEN]},
            per_template[BROKEN],
        )
        yield {
            "settings": settings,
            "engine": engine,
            "ids": ids,
            "summaries": summaries,
            "changed": changed,
            "per_template": per_template,
        }
    finally:
        site.stop()
        manager.down(["enricher"])
        engine.dispose()


def test_today_the_redesigned_source_is_red_and_the_others_green(layout_change):
    ids, engine = layout_change["ids"], layout_change["engine"]
    assert (
        layout_change["summaries"][ids[BROKEN]]["changed"] == layout_change["per_template"][BROKEN]
    )
    assert layout_change["changed"] == layout_change["per_template"][BROKEN]
    today = {h.source_id: h for h in source_health(engine, sources=list(ids.values()))}
    broken = today[ids[BROKEN]]
    assert broken.status == "red"
    assert broken.changed == layout_change["per_template"][BROKEN]
    assert broken.share_no_date == 1.0 and broken.share_no_author == 1.0
    assert broken.share_short == 1.0
    assert broken.median_ratio is not None and broken.median_ratio < 0.5
    assert any("14-day median" in r for r in broken.reasons)
    assert any("without a date" in r for r in broken.reasons)
    for template in TEMPLATES:
        if template != BROKEN:
            healthy = today[ids[template]]
            assert (healthy.status, healthy.reasons, healthy.failed) == ("green", [], 0)
            assert healthy.fetched > 0


def test_yesterday_every_source_was_green(layout_change):
    ids, engine = layout_change["ids"], layout_change["engine"]
    from datetime import UTC, datetime, timedelta

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    rows = source_health(engine, day=yesterday, sources=list(ids.values()))
    assert {h.source_id: h.status for h in rows} == dict.fromkeys(ids.values(), "green")
    assert {h.source_id: h.new for h in rows} == {
        ids[t]: n for t, n in layout_change["per_template"].items()
    }
    assert all(h.share_no_date == 0 and h.share_short == 0 for h in rows)


def test_sources_health_command_lists_the_red_source_and_exits_1(layout_change):
    ids = layout_change["ids"]
    env = settings_env(layout_change["settings"])
    result = CliRunner().invoke(
        main,
        [
            "sources",
            "health",
            *[arg for source_id in ids.values() for arg in ("--source", source_id)],
        ],
        env=env,
    )
    assert result.exit_code == 1, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert " red " in lines[ids[BROKEN]]
    assert "without a date" in lines[ids[BROKEN]]
    for template in TEMPLATES:
        if template != BROKEN:
            assert " green" in lines[ids[template]]


def test_maintenance_dag_fails_on_the_red_source_and_does_its_chores(layout_change):
    api = AirflowAPI(layout_change["settings"])
    api.wait_for_dag("news_maintenance")
    api.unpause("news_maintenance")
    clear_active_runs(api, "news_maintenance")
    run_id = api.trigger("news_maintenance", {})
    assert api.wait_for_run("news_maintenance", run_id, timeout=300) == "failed"
    states = {task: state for task, _, state in api.task_states("news_maintenance", run_id)}
    assert states == {
        "check_source_health": "failed",
        "refresh_rollups": "success",
        "apply_retention": "success",
        "report_dead_letters": "success",
    }
    log = api.http.get(
        f"/dags/news_maintenance/dagRuns/{run_id}/taskInstances/check_source_health/logs/1",
        params={"full_content": True},
    ).text
    assert layout_change["ids"][BROKEN] in log
    (rollups,) = api.task_results("news_maintenance", run_id, "refresh_rollups")
    assert rollups["mv_entity_source_day"] > 0
