"""news_backfill on the real stack: a past period, only what the live run had not seen.

A live news_ingest run with a URL limit sees the first nine articles the sample site's feeds
list (the RSS feed's, spread over the whole archive). A backfill over 10 October to 10 November
then publishes exactly the stories of that period the live run had not published, and a
second backfill publishes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date

import pytest
from kafka import KafkaConsumer, TopicPartition

from devtools.sample_site import SampleSite, stories
from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.fetch.urls import canonicalize
from pipeline.jobs import backfill_source, enabled_sources
from pipeline.records import article_id_for
from pipeline.stack.airflow_api import AirflowAPI

pytestmark = pytest.mark.integration
SINCE, UNTIL = date(2026, 10, 10), date(2026, 11, 10)
LIVE_URL_LIMIT = 9


def published_ids(settings: Settings, source_id: str) -> list[str]:
    """article_id of every message of `source_id` on the cleaned topic, repeats included."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    try:
        parts = [
            TopicPartition(CLEANED_TOPIC, p) for p in consumer.partitions_for_topic(CLEANED_TOPIC)
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        end = consumer.end_offsets(parts)
        ids = []
        while any(consumer.position(tp) < end[tp] for tp in parts):
            for records in consumer.poll(timeout_ms=3000).values():
                ids.extend(
                    r.key.decode()
                    for r in records
                    if json.loads(r.value).get("source_id") == source_id
                )
        return ids
    finally:
        consumer.close()


def _run(api: AirflowAPI, dag_id: str, conf: dict, task_id: str) -> dict:
    run_id = api.trigger(dag_id, conf)
    state = api.wait_for_run(dag_id, run_id, timeout=300)
    assert state == "success", api.task_states(dag_id, run_id)
    (summary,) = api.task_results(dag_id, run_id, task_id)
    return summary


@pytest.fixture(scope="module")
def backfill(airflow_stack: Settings, tmp_path_factory) -> Iterator[dict]:
    settings = airflow_stack
    site = SampleSite().start()  # a port of its own: article ids no other test publishes
    source_id = f"bf-{uuid.uuid4().hex[:6]}"
    sources = str(site.write_sources_yaml(tmp_path_factory.mktemp("bf") / "s.yaml", source_id))
    api = AirflowAPI(settings)
    try:
        for dag_id in ("news_ingest", "news_backfill"):
            api.wait_for_dag(dag_id)
            api.unpause(dag_id)
        live = _run(
            api, "news_ingest", {"sources_file": sources, "url_limit": LIVE_URL_LIMIT}, "ingest"
        )
        live_ids = published_ids(settings, source_id)
        filled = _run(
            api,
            "news_backfill",
            {"sources_file": sources, "since": SINCE.isoformat(), "until": UNTIL.isoformat()},
            "backfill",
        )
        all_ids = published_ids(settings, source_id)
        in_period = {
            article_id_for(canonicalize(site.base_url + s.path))
            for s in stories()
            if SINCE <= s.published_at.astimezone(UTC).date() <= UNTIL
        }
        yield {
            "settings": settings,
            "sources": sources,
            "source_id": source_id,
            "live": live,
            "live_ids": live_ids,
            "backfill": filled,
            "all_ids": all_ids,
            "in_period": in_period,
        }
    finally:
        site.stop()


def test_the_live_run_saw_part_of_the_period(backfill):
    live_ids = set(backfill["live_ids"])
    assert backfill["live"]["published"] == len(live_ids) == LIVE_URL_LIMIT
    assert live_ids & backfill["in_period"], "the live run saw nothing of the period"
    assert backfill["in_period"] - live_ids, "the live run saw the whole period"


def test_backfill_publishes_only_the_unseen_articles_of_the_period(backfill):
    live_ids = set(backfill["live_ids"])
    # Messages come partition by partition, not in publishing order: compare counts.
    backfilled = Counter(backfill["all_ids"]) - Counter(backfill["live_ids"])
    assert set(backfilled) == backfill["in_period"] - live_ids
    assert set(backfilled.values()) == {1}, "an article was published twice"
    summary = backfill["backfill"]
    assert summary["published"] == summary["new"] == backfilled.total()
    assert summary["skipped_out_of_range"] == len(stories()) - len(backfill["in_period"])


def test_a_second_backfill_publishes_nothing(backfill):
    settings = backfill["settings"]
    (source,) = enabled_sources(settings, backfill["sources"], [backfill["source_id"]])
    again = backfill_source(settings, source, SINCE, UNTIL)
    assert again.published == 0 and again.new == 0
    assert again.unchanged == len(backfill["in_period"])
    assert Counter(published_ids(settings, backfill["source_id"])) == Counter(backfill["all_ids"])


def test_bad_dates_fail_the_run_before_fetching_anything(backfill):
    api = AirflowAPI(backfill["settings"])
    run_id = api.trigger(
        "news_backfill",
        {
            "sources_file": backfill["sources"],
            "since": UNTIL.isoformat(),
            "until": SINCE.isoformat(),
        },
    )
    assert api.wait_for_run("news_backfill", run_id, timeout=300) == "failed"
    states = {task: state for task, _, state in api.task_states("news_backfill", run_id)}
    assert states["plan"] == "failed"
    assert states.get("backfill") in (None, "upstream_failed")
