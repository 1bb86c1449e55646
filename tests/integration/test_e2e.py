"""The whole path on the real stack: Airflow DAG run → Kafka → enricher → PostgreSQL."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, text

from devtools.sample_site import SampleSite, stories
from pipeline.config import CLEANED_TOPIC, ENRICHED_TOPIC, Settings
from pipeline.fetch.urls import canonicalize
from pipeline.jobs import local_stack
from pipeline.records import article_id_for
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = pytest.mark.integration
DAG_ID = "news_ingest"


def _topic_messages(settings: Settings, topic: str) -> list:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    end = consumer.end_offsets(parts)
    messages = []
    while any(consumer.position(tp) < end[tp] for tp in parts):
        for records in consumer.poll(timeout_ms=3000).values():
            messages.extend(records)
    consumer.close()
    return messages


def _wait_for_articles(engine, expected: int, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT count(*) FROM articles WHERE source_id = 'sample'")
            ).scalar_one()
        if count >= expected:
            return count
        time.sleep(1)
    return count


def _run_dag(api: AirflowAPI, sources_file: str) -> tuple[str, list[dict]]:
    run_id = api.trigger(DAG_ID, {"sources_file": sources_file})
    state = api.wait_for_run(DAG_ID, run_id, timeout=600)
    assert state == "success", api.task_states(DAG_ID, run_id)
    return run_id, [r for r in api.task_results(DAG_ID, run_id, "ingest") if r]


@pytest.fixture(scope="module")
def pipeline_run(airflow_stack: Settings, tmp_path_factory):
    stack = airflow_stack
    manager = local_stack(stack, progress=lambda line: print(f"[stack] {line}"))
    manager.up(["enricher"])
    site = SampleSite(port=stack.sample_site_port).start()
    sources = site.write_sources_yaml(tmp_path_factory.mktemp("e2e") / "sources.yaml")
    api = AirflowAPI(stack)
    api.wait_for_dag(DAG_ID)
    api.unpause(DAG_ID)
    engine = create_engine(stack.database_url())
    try:
        run_id, summaries = _run_dag(api, str(sources))
        stored = _wait_for_articles(engine, len(site.article_urls()))
        yield {
            "site": site,
            "api": api,
            "engine": engine,
            "sources": str(sources),
            "run_id": run_id,
            "summaries": summaries,
            "stored": stored,
        }
    finally:
        site.stop()
        manager.down(["enricher"])
        engine.dispose()


def test_dag_run_fetches_and_publishes_every_article(pipeline_run):
    urls = pipeline_run["site"].article_urls()
    (summary,) = pipeline_run["summaries"]
    assert summary["source_id"] == "sample"
    assert summary["discovered"] == len(urls)
    assert summary["fetched"] == len(urls)
    assert summary["failed"] == 0


def test_cleaned_topic_has_one_keyed_message_per_article(pipeline_run, stack):
    urls = pipeline_run["site"].article_urls()
    expected_ids = {article_id_for(canonicalize(u)) for u in urls}
    messages = [
        m for m in _topic_messages(stack, CLEANED_TOPIC) if m.key and m.key.decode() in expected_ids
    ]
    assert {m.key.decode() for m in messages} == expected_ids
    for m in messages:
        headers = dict(m.headers)
        assert headers["schema"] == b"article.cleaned/1"
        assert headers["content-type"] == b"application/json"
    enriched = {m.key.decode() for m in _topic_messages(stack, ENRICHED_TOPIC)}
    assert expected_ids <= enriched


def test_warehouse_holds_every_story_with_entities(pipeline_run):
    engine = pipeline_run["engine"]
    assert pipeline_run["stored"] == len(pipeline_run["site"].article_urls())
    by_title = {s.title: s for s in stories()}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.article_id, a.title, a.authors, a.published_at, a.word_count, "
                "(SELECT count(*) FROM mentions m WHERE m.article_id = a.article_id) AS mentions "
                "FROM articles a WHERE a.source_id = 'sample'"
            )
        ).all()
        fetched = conn.execute(
            text(
                "SELECT count(DISTINCT url) FROM fetch_log "
                "WHERE source_id = 'sample' AND status = 200"
            )
        ).scalar_one()
    assert len(rows) == len(by_title)
    for row in rows:
        story = by_title[row.title]
        assert list(row.authors) == list(story.authors)
        assert row.published_at == story.published_at
        assert row.word_count > 100
        assert row.mentions >= 1, f"no entity mentions for {row.title}"
    assert fetched >= len(rows)


def test_second_run_changes_nothing(pipeline_run):
    engine = pipeline_run["engine"]
    tables = ("articles", "article_versions", "entities", "mentions")

    def counts():
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608
                for t in tables
            }

    before = counts()
    _, summaries = _run_dag(pipeline_run["api"], pipeline_run["sources"])
    (summary,) = summaries
    assert summary["unchanged"] == len(pipeline_run["site"].article_urls())
    assert summary["published"] == 0
    time.sleep(3)
    assert counts() == before


def test_ingest_log_leads_with_the_summary_line_without_client_chatter(pipeline_run):
    """kafka-python's INFO lines (about 20 per producer) buried the summary, which was one
    line of the whole summary dict, logged twice; now one short line, no chatter."""
    api, run_id = pipeline_run["api"], pipeline_run["run_id"]
    (summary,) = pipeline_run["summaries"]
    resp = api.http.get(
        f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/ingest/logs/1",
        params={"map_index": 0},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    events = [e for e in resp.json()["content"] if isinstance(e, dict)]
    chatter = [
        e["event"]
        for e in events
        if str(e.get("logger", "")).startswith("kafka") and e.get("level") in ("debug", "info")
    ]
    assert chatter == []
    lines = [str(e.get("event", "")) for e in events]
    expected = (
        f"source sample: {summary['discovered']} discovered, {summary['fetched']} "
        f"fetched, {summary['new']} new, {summary['changed']} changed, "
        f"{summary['unchanged']} unchanged, {summary['published']} published, "
        f"{summary['failed']} failed"
    )
    assert expected in lines
    assert not any(line.startswith("Done. Returned value was") for line in lines)
    assert max(len(line) for line in lines[lines.index(expected) :]) <= 120
