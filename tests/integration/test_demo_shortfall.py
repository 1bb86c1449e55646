"""The facts behind the demo's time-out message, read from the real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from test_consume_run import FakeEnricher, message_of, publish, start_at_end
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.jobs import run_consumer
from pipeline.jobs.shortfall import explain, gather

pytestmark = pytest.mark.integration


def test_the_enricher_lag_and_its_dead_letters_are_counted_and_named(fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    settings = fresh_db.model_copy(update={"consumer_group": f"test-shortfall-{run}"})
    start_at_end(settings, engine, settings.consumer_group)
    since = datetime.now(UTC)
    articles = [make_cleaned(n, run=run) for n in range(3)]
    publish(settings, [message_of(a) for a in articles])

    def facts():
        return gather(
            settings,
            expected=3,
            stored=0,
            waited=180,
            ingest={"published": 3},
            since=since,
            enricher_running=True,
        )

    behind = facts()
    run_consumer(
        settings,
        group=settings.consumer_group,
        max_records=3,
        idle_exit=20,
        enricher=FakeEnricher(reject=[articles[0].title]),
    )
    caught_up = facts()

    assert (behind.lag, behind.dead_letters) == (3, 0)
    assert "the enricher has 3 records of news.articles.cleaned.v1 left to store" in explain(behind)
    assert (caught_up.lag, caught_up.dead_letters) == (0, 1)
    assert "1 record dead-lettered: `newsflow dlt list`" in explain(caught_up)
