"""Stories in the test stack's PostgreSQL: the warehouse's index gives what the pure one gives,
survives a restart and is idempotent; records through the real enricher service land in the
stories of their events, with story_id in the stored and published records; a replay changes
no row; two enrichers at once give one story per event. Each test has a database of its own
(test_warehouse_db's `fresh_db`)."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from story_cases import REPORTS, record
from test_consume_run import (  # noqa: F401 - fixtures
    forget_kafka_offsets,
    message_of,
    publish,
    read_topic,
    start_at_end,
)
from test_warehouse_db import (  # noqa: F401 - fixtures
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
)

from pipeline.config import ENRICHED_TOPIC
from pipeline.enrich.stories import MemoryStoryIndex, StoryProbe
from pipeline.jobs import run_consumer
from pipeline.records import CleanedArticle, EnrichedArticle, EnrichedParagraph
from pipeline.warehouse.db import make_engine, store_batch
from pipeline.warehouse.models import ConsumerOffset
from pipeline.warehouse.stories import WarehouseStoryIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_stories import EN, FLOOD, FR, background, probe  # noqa: E402

pytestmark = pytest.mark.integration

STORY_TABLES = ("stories", "article_stories", "story_key_df")


def story_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of the story tables, in key order."""
    with engine.connect() as conn:
        return {
            table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
            for table in STORY_TABLES
        }


def assignments(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT article_id, story_id FROM article_stories")).all())


def assert_counts_consistent(engine: Engine) -> None:
    """Each story's article_count is its number of assigned articles; the total key counts
    every assigned article."""
    with engine.connect() as conn:
        wrong = conn.execute(
            text(
                "SELECT s.story_id FROM stories s LEFT JOIN article_stories x USING (story_id) "
                "GROUP BY s.story_id HAVING s.article_count <> count(x.article_id)"
            )
        ).all()
        total = conn.execute(text("SELECT articles FROM story_key_df WHERE key = ''")).scalar()
        assigned = conn.execute(text("SELECT count(*) FROM article_stories")).scalar()
    assert wrong == []
    assert total == assigned


def test_warehouse_index_matches_memory_survives_restart_and_is_idempotent(fresh_db) -> None:
    flood = probe("flood", FLOOD, "Floods hit Valencia after record rainfall", hours=5)
    probes = [*background(), EN, flood, FR]
    expected = MemoryStoryIndex().assign(probes)
    assert expected[-1] == EN.article_id  # the French report joins the English one

    first = WarehouseStoryIndex(make_engine(fresh_db))
    got = [
        sid for start in range(0, 31, 7) for sid in first.assign(probes[start : min(start + 7, 31)])
    ]
    first.engine.dispose()
    restarted = WarehouseStoryIndex(make_engine(fresh_db))
    got += restarted.assign(probes[31:])
    assert got == expected

    before = story_rows(restarted.engine)
    # A replay, in other batches and another order: the same stories, no row changed.
    assert restarted.assign(probes[::-1]) == expected[::-1]
    assert story_rows(restarted.engine) == before
    with restarted.engine.connect() as conn:
        story = conn.execute(
            text("SELECT * FROM stories WHERE story_id = :s"), {"s": EN.article_id}
        ).one()
        score = conn.execute(
            text("SELECT score FROM article_stories WHERE article_id = :a"), {"a": FR.article_id}
        ).scalar()
    assert (story.article_count, story.first_source, story.first_article_id) == (
        2,
        "wire",
        EN.article_id,
    )
    assert story.profile["languages"] == {"en": 1, "fr": 1}
    assert "Q7184" in story.keys and score > 0.4
    assert_counts_consistent(restarted.engine)
    restarted.engine.dispose()


def test_two_writers_at_once_give_one_story_per_event(fresh_db) -> None:
    """Eight events, reported by six articles each, assigned by two writers in small batches
    at the same moments: without the lock both would start a story for the same event."""
    events = {
        f"e{n}": {f"Q{1000 + n}": 2.0, f"Q{2000 + n}": 1.5, f"n:person {n}": 1.0} for n in range(8)
    }
    words = ["harbour", "tunnel", "budget", "strike", "festival", "election", "wildfire", "merger"]
    probes = [
        (event, probe(f"{event}-{k}", entities, f"The {word}", hours=k, source=f"s{k}"))
        for k in range(6)
        for (event, entities), word in zip(events.items(), words, strict=True)
    ]
    # Both writers get every event: the even reports to one, the odd to the other, so each
    # round of batches has two reports of the same events in flight.
    halves = [
        [p for n, p in enumerate(probes) if (n // len(events)) % 2 == parity] for parity in (0, 1)
    ]
    engines = [make_engine(fresh_db), make_engine(fresh_db)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(engine: Engine, mine: list[tuple[str, StoryProbe]]) -> None:
        index = WarehouseStoryIndex(engine)
        try:
            for start in range(0, len(mine), 2):
                barrier.wait(timeout=30)
                index.assign([p for _, p in mine[start : start + 2]])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [
        threading.Thread(target=write, args=(engine, half))
        for engine, half in zip(engines, halves, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    got = assignments(engines[0])
    by_event = defaultdict(set)
    for event, p in probes:
        by_event[event].add(got[p.article_id])
    assert all(len(stories) == 1 for stories in by_event.values()), by_event
    assert len({next(iter(s)) for s in by_event.values()}) == len(events)
    assert_counts_consistent(engines[0])
    for engine in engines:
        engine.dispose()


class TitleEnricher:
    """A stand-in enricher for the two-consumer test: the entities of the record's event,
    named in its title, with Wikidata ids."""

    def __init__(self, events: dict[str, list[str]]) -> None:
        self.events = events

    def enrich_each(self, records: list[CleanedArticle]) -> list[EnrichedArticle]:
        time.sleep(0.2)  # a model's time: the two consumers' batches overlap
        return [self._enriched(r) for r in records]

    def _enriched(self, article: CleanedArticle) -> EnrichedArticle:
        qids = self.events[article.title.split()[0]]
        data = article.model_dump()
        data["paragraphs"] = [EnrichedParagraph(text=p.text) for p in article.paragraphs]
        data["entities"] = [
            {
                "name": q,
                "label": "ORG",
                "canonical": q,
                "count": 1,
                "first_offset": 0,
                "wikidata_id": q,
            }
            for q in qids
        ]
        data["enricher"] = {"name": "title-enricher", "model": "none"}
        return EnrichedArticle.model_validate(data)


def test_records_through_the_enricher_service_land_in_their_stories(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    group = f"test-stories-{run}"
    start = start_at_end(stack, engine, group)
    reports = [
        (event, record(source, hours, title, body, run=run))
        for event, source, hours, title, body in REPORTS
    ]
    publish(stack, [message_of(r) for _, r in reports])

    stats = run_consumer(fresh_db, group=group, max_records=len(reports), idle_exit=60)
    assert stats.stored == len(reports)

    got = assignments(engine)
    by_event: dict[str, set[str]] = defaultdict(set)
    for event, r in reports:
        by_event[event].add(got[r.article_id])
    assert {e: len(s) for e, s in by_event.items()} == {"iraq": 1, "tram": 1, "chips": 1}
    assert len({next(iter(s)) for s in by_event.values()}) == 3
    first_of = {}
    for event, r in sorted(reports, key=lambda er: er[1].published_at):
        first_of.setdefault(event, r)
    with engine.connect() as conn:
        stored = dict(
            conn.execute(
                text(
                    "SELECT article_id, record->>'story_id' FROM article_versions "
                    "WHERE article_id = ANY(:ids)"
                ),
                {"ids": [r.article_id for _, r in reports]},
            ).all()
        )
        daily = conn.execute(
            text("SELECT story_id, sources FROM v_stories WHERE articles > 1 ORDER BY 1")
        ).all()
        firsts = {
            row.story_id: (row.source_id, row.next_source_id)
            for row in conn.execute(text("SELECT * FROM v_story_first"))
        }
    assert stored == got  # the stored record carries its story
    assert sorted(s for _, s in daily) == [2, 2, 3]
    assert firsts[got[first_of["iraq"].article_id]] == ("wire", "gazette")
    assert firsts[got[first_of["tram"].article_id]] == ("gazette", "courier")
    _, enriched_records = read_topic(stack, ENRICHED_TOPIC)
    published = {
        r.key.decode(): EnrichedArticle.model_validate_json(r.value).story_id
        for r in enriched_records
        if r.key and r.key.decode() in got
    }
    assert published == got

    # The group is rewound to before these records: reading them again moves no story.
    before = story_rows(engine)
    with engine.begin() as conn:
        conn.execute(delete(ConsumerOffset).where(ConsumerOffset.group_id == group))
    store_batch(engine, group, [], start)
    forget_kafka_offsets(stack, group)
    stats = run_consumer(fresh_db, group=group, max_records=len(reports), idle_exit=60)
    assert stats.consumed == len(reports)
    assert story_rows(engine) == before
    _, enriched_records = read_topic(stack, ENRICHED_TOPIC)
    republished = Counter(
        (r.key.decode(), EnrichedArticle.model_validate_json(r.value).story_id)
        for r in enriched_records
        if r.key and r.key.decode() in got
    )
    assert republished == Counter({(aid, sid): 2 for aid, sid in got.items()})


def test_two_enricher_services_at_once_give_consistent_stories(stack, fresh_db, engine):
    run = uuid.uuid4().hex[:10]
    group = f"test-stories-{run}"
    start_at_end(stack, engine, group)
    events = {f"E{n}": [f"Q{3000 + n}", f"Q{4000 + n}", f"Q{5000 + n}"] for n in range(10)}
    reports = [
        (event, record(f"s{k}", k, f"{event} report {k}", [f"Report {k} on {event}."], run=run))
        for k in range(6)
        for event in events
    ]
    enricher = TitleEnricher(events)
    stop = threading.Event()
    results: list = []
    workers = [
        threading.Thread(
            target=lambda: results.append(
                run_consumer(fresh_db, group=group, enricher=enricher, stop_event=stop)
            )
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    time.sleep(5)  # both join the group before the records come (not asserted)
    publish(stack, [message_of(r) for _, r in reports])
    deadline = time.monotonic() + 120
    while len(assignments(engine)) < len(reports) and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=30)

    got = assignments(engine)
    assert set(got) >= {r.article_id for _, r in reports}
    by_event: dict[str, set[str]] = defaultdict(set)
    for event, r in reports:
        by_event[event].add(got[r.article_id])
    assert all(len(s) == 1 for s in by_event.values()), by_event
    assert len({next(iter(s)) for s in by_event.values()}) == len(events)
    assert_counts_consistent(engine)
    assert sum(1 for r in results if r.stored) == 2  # both enrichers stored some
