"""After the warehouse lost rows (`DELETE FROM articles`): the next ingest restores them, and an
article's version never goes backwards nor names two texts, on the real Kafka and PostgreSQL.

Each test stores into a database of its own (`fresh_db`): the ingest job reads and writes its
fetch state there, and a consumer group of the test's own stores what it publishes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner
from fetch_support import (
    LocalServer,
    Reply,
    article_html,
    conditional_page,
    end_offsets,
    execute,
    query,
    records_since,
)
from test_consume_run import FakeEnricher, message_of, publish, read_topic, start_at_end
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
    make_cleaned,
)

from devtools.sample_site import SampleSite
from pipeline.cli import main
from pipeline.config import ENRICHED_TOPIC, Settings
from pipeline.jobs import IngestSummary, ingest_source, run_consumer
from pipeline.sources import Source
from pipeline.stack.manager import settings_env

pytestmark = pytest.mark.integration

CHANGED = (
    "The harbour reopens on Monday after repairs to the northern quay took longer than "
    "planned, the port authority said on Thursday evening.",
    "Ferries will run a reduced timetable until the end of the month, it added.",
)


@dataclass
class Pipeline:
    """Ingest a local site, consume what it published, look at the warehouse."""

    settings: Settings
    site: LocalServer
    source: Source
    group: str
    run: str

    def page(self, name: str, title: str, *paragraphs: str, etag: str) -> str:
        path = f"/{self.run}/{name}"  # ids of their own: the kept test stack's topics outlive runs
        self.site.handle_with(
            path, conditional_page(article_html(title, *paragraphs).encode(), etag=etag)
        )
        return self.site.url(path)

    def ingest(self, **options: object) -> IngestSummary:
        return ingest_source(self.settings, self.source, **options)

    def consume(self, records: int) -> None:
        stats = run_consumer(
            self.settings,
            group=self.group,
            max_records=records,
            idle_exit=20,
            enricher=FakeEnricher(),
        )
        assert stats.stored == records

    def articles(self) -> dict[str, tuple[int, str, str]]:
        """url → (version, content_hash, text) of the articles row."""
        rows = query(self.settings, "SELECT url, version, content_hash, text FROM articles")
        return {r.url: (r.version, r.content_hash, r.text) for r in rows}

    def lose_rows(self) -> None:
        """What `newsflow sql "DELETE FROM articles"` did to the user's warehouse."""
        execute(self.settings, "DELETE FROM articles")
        # The foreign keys cascade: the versions and mentions went with the articles.
        left = query(
            self.settings,
            "SELECT (SELECT count(*) FROM article_versions) AS versions,"
            " (SELECT count(*) FROM mentions) AS mentions",
        )
        assert tuple(left[0]) == (0, 0)


def texts_per_version(settings: Settings, article_ids: set[str]) -> dict[tuple[str, int], set]:
    """(article_id, version) → the content hashes the enriched topic carried under it."""
    _, records = read_topic(settings, ENRICHED_TOPIC)
    seen: dict[tuple[str, int], set] = {}
    for record in records:
        value = json.loads(record.value)
        if value["article_id"] in article_ids:
            seen.setdefault((value["article_id"], value["version"]), set()).add(
                value["content_hash"]
            )
    return seen


def assert_one_text_per_version(settings: Settings, article_ids: set[str]) -> None:
    seen = texts_per_version(settings, article_ids)
    assert seen and {key: hashes for key, hashes in seen.items() if len(hashes) > 1} == {}


@pytest.fixture
def pipeline(fresh_db: Settings, engine) -> Iterator[Pipeline]:
    run = uuid.uuid4().hex[:10]
    with LocalServer().running() as site:
        site.route("/robots.txt", Reply(200, b"User-agent: *\nAllow: /\n"))
        source = Source(
            id=f"loss-{run}", name="Loss", allow_private_network=True, min_delay_seconds=0, urls=[]
        )
        flow = Pipeline(fresh_db, site, source, f"test-loss-{run}", run)
        start_at_end(fresh_db, engine, flow.group)
        yield flow


def with_urls(flow: Pipeline, *urls: str) -> None:
    flow.source = flow.source.model_copy(update={"urls": list(urls)})


@pytest.mark.parametrize("later", [False, True], ids=["right-away", "an-hour-later"])
def test_articles_deleted_from_the_warehouse_come_back_at_their_versions(pipeline, later):
    a = pipeline.page("a", "Harbour reopens", etag='"a1"')
    b = pipeline.page("b", "Rail strike ends", etag='"b1"')
    with_urls(pipeline, a, b)
    pipeline.ingest()
    pipeline.consume(2)
    pipeline.page("a", "Harbour reopens", *CHANGED, etag='"a2"')
    pipeline.ingest()
    pipeline.consume(1)
    before = pipeline.articles()
    assert {url: row[0] for url, row in before.items()} == {a: 2, b: 1}

    pipeline.lose_rows()
    if later:  # past the time a published record may take to reach the warehouse
        execute(
            pipeline.settings,
            "UPDATE fetch_state SET changed_at = changed_at - "
            "interval '1 hour', checked_at = checked_at - interval '1 hour'",
        )
    again = pipeline.ingest()
    pipeline.consume(2)

    assert (again.published, again.new, again.changed) == (2, 0, 0)
    assert again.summary().get("republished") == 2
    assert pipeline.articles() == before
    ids = {aid for (aid,) in query(pipeline.settings, "SELECT article_id FROM articles")}
    assert_one_text_per_version(pipeline.settings, ids)


def test_a_page_changed_after_the_loss_gets_the_version_above_the_old_one(pipeline):
    a = pipeline.page("a", "Harbour reopens", etag='"a1"')
    with_urls(pipeline, a)
    pipeline.ingest()
    pipeline.consume(1)
    ((article_id,),) = query(pipeline.settings, "SELECT article_id FROM articles")
    pipeline.lose_rows()
    execute(
        pipeline.settings,
        "UPDATE fetch_state SET changed_at = changed_at - "
        "interval '1 hour', checked_at = checked_at - interval '1 hour'",
    )
    pipeline.page("a", "Harbour reopens", *CHANGED, etag='"a2"')

    start = end_offsets(pipeline.settings)
    again = pipeline.ingest()
    pipeline.consume(1)

    assert (again.changed, again.new, again.published) == (1, 0, 1)
    assert [(r["url"], r["version"]) for r in records_since(pipeline.settings, start)] == [(a, 2)]
    version, _, text = pipeline.articles()[a]
    assert version == 2 and "northern quay" in text
    assert_one_text_per_version(pipeline.settings, {article_id})


def test_a_record_reusing_a_stored_version_number_for_another_text_gets_the_next_one(pipeline):
    # A producer that lost its own state (or another tool) sends version 1 again, other text.
    first = make_cleaned(1, run=pipeline.run, source_id=pipeline.source.id)
    other = make_cleaned(
        1,
        run=pipeline.run,
        source_id=pipeline.source.id,
        body="Grace Hopper spoke in Berlin.\n\nA second text, same number.",
    )
    publish(pipeline.settings, [message_of(first)])
    pipeline.consume(1)
    pipeline.lose_rows()

    publish(pipeline.settings, [message_of(other)])
    pipeline.consume(1)

    (row,) = query(pipeline.settings, "SELECT version, content_hash FROM articles")
    assert tuple(row) == (2, other.content_hash)
    assert texts_per_version(pipeline.settings, {first.article_id}) == {
        (first.article_id, 1): {first.content_hash},
        (first.article_id, 2): {other.content_hash},
    }


def test_a_replayed_old_record_never_overwrites_newer_content_even_after_the_loss(pipeline):
    v1 = make_cleaned(1, run=pipeline.run, source_id=pipeline.source.id)
    v2 = make_cleaned(
        1,
        run=pipeline.run,
        source_id=pipeline.source.id,
        version=2,
        body="Grace Hopper spoke in Berlin.\n\nThe newer text.",
    )
    publish(pipeline.settings, [message_of(v1), message_of(v2)])
    pipeline.consume(2)
    pipeline.lose_rows()

    publish(pipeline.settings, [message_of(v1)])  # a replay: `dlt replay`, a reset group
    pipeline.consume(1)
    after_replay = query(pipeline.settings, "SELECT version, content_hash FROM articles")
    publish(pipeline.settings, [message_of(v2), message_of(v1)])  # the restore, then v1 again
    pipeline.consume(2)

    assert [tuple(r) for r in after_replay] == []  # version 2 is known: 1 is not the latest
    (row,) = query(pipeline.settings, "SELECT version, content_hash FROM articles")
    assert tuple(row) == (2, v2.content_hash)
    assert_one_text_per_version(pipeline.settings, {v1.article_id})


def test_ingest_force_republishes_unchanged_pages_and_an_idle_pass_says_to_use_it(
    fresh_db, tmp_path
):
    site = SampleSite().start()  # a port of its own: article ids no other test publishes
    try:
        sources = str(site.write_sources_yaml(tmp_path / "sources.yaml", "force"))
        env = settings_env(fresh_db)
        start = end_offsets(fresh_db)
        first = CliRunner().invoke(main, ["ingest", "--sources", sources], env=env)
        middle = end_offsets(fresh_db)
        sent = records_since(fresh_db, start)
        idle = CliRunner().invoke(main, ["ingest", "--sources", sources], env=env)
        forced = CliRunner().invoke(main, ["ingest", "--sources", sources, "--force"], env=env)
    finally:
        site.stop()
    assert [r.exit_code for r in (first, idle, forced)] == [0, 0, 0], forced.output
    first_sum, idle_sum, forced_sum = (
        json.loads(r.output.strip().splitlines()[-1]) for r in (first, idle, forced)
    )
    pages = first_sum["published"]
    assert pages > 0 and (idle_sum["unchanged"], idle_sum["published"]) == (pages, 0)
    assert "unchanged since the last run" in idle.output and "--force" in idle.output
    assert (forced_sum.get("republished"), forced_sum["published"]) == (pages, pages)
    again = records_since(fresh_db, middle)
    assert len(sent) == pages
    assert sorted((r["url"], r["version"], r["content_hash"]) for r in again) == sorted(
        (r["url"], r["version"], r["content_hash"]) for r in sent
    )
