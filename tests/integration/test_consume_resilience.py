"""The enricher service when things go wrong: a database outage mid-batch, stop requests."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, make_url
from test_consume_run import (
    FakeEnricher,
    message_of,
    publish,
    read_topic,
    start_at_end,
    stored_articles,
)
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.config import CLEANED_TOPIC, Settings
from pipeline.jobs import run_consumer
from pipeline.warehouse.db import load_offsets

pytestmark = pytest.mark.integration


class OutageEnricher(FakeEnricher):
    """Takes the warehouse database away during the first batch, for `seconds`, the way a
    restarting server would: new connections refused, open ones cut."""

    def __init__(self, settings: Settings, seconds: float) -> None:
        super().__init__()
        self.url = make_url(settings.database_url())
        self.seconds = seconds
        self.calls = 0

    def _allow(self, allowed: bool) -> None:
        admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        name = self.url.database
        with admin.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allowed}')
            if not allowed:
                conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = '{name}'"
                )  # noqa: S608 - our own name
        admin.dispose()

    def enrich_each(self, records):
        self.calls += 1
        if self.calls == 1:
            self._allow(False)
            threading.Timer(self.seconds, self._allow, [True]).start()
        return super().enrich_each(records)


def test_database_outage_mid_batch_is_retried_without_skipping_a_record(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    source, group = f"consume-{run}", f"test-consume-{run}"
    start_at_end(stack, engine, group)
    articles = [make_cleaned(n, run=run, source_id=source) for n in range(10)]
    publish(stack, [message_of(a) for a in articles])
    enricher = OutageEnricher(fresh_db, seconds=3)

    stats = run_consumer(fresh_db, group=group, max_records=10, idle_exit=60, enricher=enricher)

    assert stats.retries >= 1 and enricher.calls >= 2  # the batch was read and enriched again
    assert (stats.consumed, stats.stored) == (10, 10)
    assert {r.article_id for r in stored_articles(engine, source)} == {
        a.article_id for a in articles
    }
    assert load_offsets(engine, group, CLEANED_TOPIC) == read_topic(stack, CLEANED_TOPIC)[0]


def test_stop_event_ends_a_run_without_limits(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    source, group = f"consume-{run}", f"test-consume-{run}"
    start_at_end(stack, engine, group)
    publish(stack, [message_of(make_cleaned(n, run=run, source_id=source)) for n in range(3)])
    stop = threading.Event()
    result = {}
    worker = threading.Thread(
        target=lambda: result.update(
            stats=run_consumer(fresh_db, group=group, enricher=FakeEnricher(), stop_event=stop)
        )
    )
    worker.start()
    deadline = time.monotonic() + 60
    while len(stored_articles(engine, source)) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)

    stop.set()
    worker.join(timeout=15)

    assert not worker.is_alive()
    assert result["stats"].stored >= 3


def test_sigterm_finishes_the_current_batch_then_exits(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    source, group = f"consume-{run}", f"test-consume-{run}"
    start_at_end(stack, engine, group)
    publish(stack, [message_of(make_cleaned(n, run=run, source_id=source)) for n in range(3)])

    class TerminatedMidBatch(FakeEnricher):
        def enrich_each(self, records):
            signal.raise_signal(signal.SIGTERM)  # arrives while the batch is in flight
            return super().enrich_each(records)

    before = signal.getsignal(signal.SIGTERM)
    stats = run_consumer(
        fresh_db, group=group, enricher=TerminatedMidBatch(), install_signal_handlers=True
    )

    assert stats.batches == 1
    assert stats.stored + stats.dead_lettered == stats.consumed
    assert load_offsets(engine, group, CLEANED_TOPIC)  # the batch was committed
    assert signal.getsignal(signal.SIGTERM) is before
