"""The warehouse on the test stack's PostgreSQL: migrations, and writes that are safe to repeat.

Each test gets a database of its own on the stack's server (`fresh_db`), so tests neither see
each other's rows nor the stack's own warehouse. `test_consume_run.py` imports the helpers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from kafka.errors import KafkaTimeoutError
from scratch_db import scratch_database
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DataError

from pipeline.config import Settings
from pipeline.jobs import migrate_warehouse
from pipeline.records import (
    CleanedArticle,
    EnrichedArticle,
    Extractor,
    Paragraph,
    article_id_for,
    content_hash,
)
from pipeline.sources import Source
from pipeline.stack.manager import settings_env
from pipeline.warehouse.db import (
    counts,
    find_unstorable,
    known_articles,
    load_offsets,
    make_engine,
    record_fetches,
    store_batch,
    sync_sources,
)
from pipeline.warehouse.migrate import alembic_config
from pipeline.warehouse.models import Base
from pipeline.warehouse.outbox import OutboxLetter

pytestmark = pytest.mark.integration

SOURCE = "wh-test"
TOPIC = "news.articles.cleaned.v1"
TABLES = {
    "sources",
    "articles",
    "article_versions",
    "entities",
    "mentions",
    "fetch_log",
    "consumer_offsets",
    "consumer_dead_letters",
    "version_ledger",
}
VIEWS = {"v_articles_per_source_day", "v_top_entities"}


# -- helpers shared with test_consume_run.py ---------------------------------------------------


def make_cleaned(
    n: int, *, run: str = "run", version: int = 1, body: str | None = None, source_id: str = SOURCE
) -> CleanedArticle:
    """A valid cleaned record; `run` keeps article ids apart between tests."""
    url = f"https://news.example.org/{run}/story-{n}"
    body = body or f"Ada Lovelace spoke in Paris on day {n}.\n\nThe talk ran long."
    return CleanedArticle(
        article_id=article_id_for(url),
        url=url,
        canonical_url=url,
        source_id=source_id,
        title=f"Story {n}",
        authors=["Jane Doe"],
        published_at=datetime(2026, 11, 1, 8, tzinfo=UTC) + timedelta(hours=n),
        fetched_at=datetime(2026, 11, 28, 7, tzinfo=UTC),
        language="en",
        tags=["test"],
        text=body,
        paragraphs=[Paragraph(text=p) for p in body.split("\n\n")],
        word_count=len(body.split()),
        content_hash=content_hash(body),
        version=version,
        extractor=Extractor(name="test", version="1"),
    )


def enriched(article: CleanedArticle, *entities: tuple[str, str]) -> EnrichedArticle:
    """The article with one mention per (canonical, label) given, Paris the GPE by default."""
    entities = entities or (("Paris", "GPE"),)
    data = article.model_dump()
    data["entities"] = [
        {
            "name": canonical,
            "label": label,
            "canonical": canonical,
            "count": 1,
            "first_offset": max(0, article.text.find(canonical)),
            "surface_forms": [canonical],
        }
        for canonical, label in entities
    ]
    data["enricher"] = {"name": "test-enricher", "model": "none"}
    return EnrichedArticle.model_validate(data)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in key order: equal snapshots mean no row changed."""
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture(name="empty_db")
def empty_db_fixture(stack: Settings) -> Iterator[Settings]:
    """Settings for a new, empty database on the stack's server; dropped afterwards."""
    with scratch_database(stack, "test_wh") as settings:
        yield settings


@pytest.fixture(name="fresh_db")
def fresh_db_fixture(empty_db: Settings) -> Settings:
    migrate_warehouse(empty_db)
    return empty_db


@pytest.fixture(name="engine")
def engine_fixture(fresh_db: Settings) -> Iterator[Engine]:
    engine = make_engine(fresh_db)
    yield engine
    engine.dispose()


# -- migrations --------------------------------------------------------------------------------


def _schema(settings: Settings) -> dict[str, Any]:
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                "tables": {
                    t: (
                        [c["name"] for c in inspector.get_columns(t)],
                        sorted(i["name"] for i in inspector.get_indexes(t)),
                    )
                    for t in inspector.get_table_names()
                },
                "views": set(inspector.get_view_names()),
                # One row per head: migrations written side by side branch from one revision.
                "revisions": sorted(
                    conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                ),
            }
    finally:
        engine.dispose()


def test_upgrade_creates_every_table_and_view_and_running_it_again_is_a_no_op(empty_db):
    migrate_warehouse(empty_db)
    first = _schema(empty_db)
    migrate_warehouse(empty_db)
    assert _schema(empty_db) == first
    assert TABLES <= set(first["tables"])
    assert VIEWS <= first["views"]
    assert "ix_articles_source_id_published_at" in first["tables"]["articles"][1]
    assert "ix_mentions_entity_id" in first["tables"]["mentions"][1]
    assert "ix_consumer_dead_letters_group_id" in first["tables"]["consumer_dead_letters"][1]


def test_newsflow_db_upgrade_is_idempotent(empty_db):
    env = {**os.environ, **settings_env(empty_db)}
    runs = [
        subprocess.run(
            [str(Path(sys.executable).parent / "newsflow"), "db", "upgrade"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr
    assert all("latest migration" in r.stdout for r in runs)
    first = _schema(empty_db)
    migrate_warehouse(empty_db)
    assert _schema(empty_db) == first and TABLES <= set(first["tables"])


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_downgrade_to_nothing_and_back(fresh_db, engine):
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate_warehouse(fresh_db)
    assert TABLES <= set(inspect(engine).get_table_names())


def test_views_answer_their_questions(engine):
    store_batch(engine, "g", [enriched(make_cleaned(n)) for n in range(3)], {})
    with engine.connect() as conn:
        per_day = conn.execute(
            text("SELECT source_id, day, articles FROM v_articles_per_source_day ORDER BY day")
        ).all()
        top = conn.execute(text("SELECT canonical, label, articles FROM v_top_entities")).all()
    assert [(r.source_id, r.articles) for r in per_day] == [(SOURCE, 3)]
    assert [tuple(r) for r in top] == [("Paris", "GPE", 3)]


# -- store_batch -------------------------------------------------------------------------------


def test_storing_a_batch_twice_changes_no_row(engine):
    items = [
        enriched(make_cleaned(n), ("Paris", "GPE"), ("Ada Lovelace", "PERSON")) for n in range(5)
    ]
    offsets = {(TOPIC, 0): 10, (TOPIC, 1): 7}
    first = store_batch(engine, "g", items, offsets)
    before = snapshot(engine)
    again = store_batch(engine, "g", items, offsets)

    assert snapshot(engine) == before
    assert (first.articles, first.versions, first.entities, first.mentions) == (5, 5, 2, 10)
    assert (again.articles, again.versions, again.entities) == (0, 0, 0)
    assert counts(engine) == {
        "articles": 5,
        "article_versions": 5,
        "entities": 2,
        "mentions": 10,
        "fetch_log": 0,
    }
    assert load_offsets(engine, "g", TOPIC) == {0: 10, 1: 7}


def test_newer_version_replaces_the_article_and_adds_a_version(engine):
    v1 = make_cleaned(1)
    v2 = make_cleaned(1, version=2, body="Grace Hopper spoke in Berlin.\n\nShort, this time.")
    store_batch(engine, "g", [enriched(v1)], {})
    with engine.connect() as conn:
        stored_at = conn.execute(text("SELECT stored_at FROM articles")).scalar_one()

    result = store_batch(engine, "g", [enriched(v2, ("Berlin", "GPE"))], {})

    with engine.connect() as conn:
        article = conn.execute(text("SELECT * FROM articles")).one()
        versions = conn.execute(
            text("SELECT version, content_hash FROM article_versions ORDER BY version")
        ).all()
        mentioned = (
            conn.execute(
                text("SELECT e.canonical FROM mentions m JOIN entities e USING (entity_id)")
            )
            .scalars()
            .all()
        )
    assert result.articles == 1 and result.stale == 0
    assert (article.version, article.text, article.content_hash) == (2, v2.text, v2.content_hash)
    assert article.stored_at == stored_at
    assert article.enriched_at > stored_at
    assert [tuple(v) for v in versions] == [(1, v1.content_hash), (2, v2.content_hash)]
    assert mentioned == ["Berlin"]


def test_older_version_is_kept_as_history_but_does_not_overwrite(engine):
    v2 = make_cleaned(1, version=2, body="Grace Hopper spoke in Berlin.")
    store_batch(engine, "g", [enriched(v2, ("Berlin", "GPE"))], {})
    article_before = snapshot(engine)["articles"]

    result = store_batch(engine, "g", [enriched(make_cleaned(1))], {})

    after = snapshot(engine)
    assert result.stale == 1 and result.articles == 0
    assert after["articles"] == article_before
    assert [row[1] for row in after["article_versions"]] == [1, 2]
    assert len(after["mentions"]) == 1 and after["entities"][0][1] == "Berlin"


def test_two_versions_in_one_batch_keep_the_newest(engine):
    v1, v2 = make_cleaned(1), make_cleaned(1, version=2, body="Second take, from Rome.")
    store_batch(engine, "g", [enriched(v2, ("Rome", "GPE")), enriched(v1)], {})
    assert known_articles(engine, [v1.article_id, "f" * 64]) == {
        v1.article_id: (v2.content_hash, 2)
    }
    assert counts(engine)["article_versions"] == 2


def test_same_version_with_new_enrichment_replaces_the_mentions(engine):
    article = make_cleaned(1)
    store_batch(engine, "g", [enriched(article)], {})
    result = store_batch(engine, "g", [enriched(article, ("Ada Lovelace", "PERSON"))], {})
    with engine.connect() as conn:
        mentioned = conn.execute(
            text(
                "SELECT e.canonical, m.surface_forms FROM mentions m "
                "JOIN entities e USING (entity_id)"
            )
        ).all()
    assert result.articles == 0  # the article row itself did not change
    assert [tuple(m) for m in mentioned] == [("Ada Lovelace", ["Ada Lovelace"])]


def test_stored_offsets_only_move_forward(engine):
    store_batch(engine, "g", [], {(TOPIC, 0): 10})
    store_batch(engine, "g", [], {(TOPIC, 0): 5, (TOPIC, 2): 3})
    assert load_offsets(engine, "g", TOPIC) == {0: 10, 2: 3}
    store_batch(engine, "g", [], {(TOPIC, 0): 12})
    assert load_offsets(engine, "g", TOPIC) == {0: 12, 2: 3}
    assert load_offsets(engine, "other", TOPIC) == {}


def test_a_failing_before_commit_hook_stores_nothing(engine):
    letter = OutboxLetter(
        topic=TOPIC,
        partition=0,
        offset=3,
        key=b"k",
        value=b"{",
        headers=[],
        stage="validate",
        error="bad \x00 json",
        dlt_partition=0,
        dlt_from_offset=0,
    )

    def publish_fails(_articles: list) -> None:
        raise KafkaTimeoutError("the broker went away")

    with pytest.raises(KafkaTimeoutError):
        store_batch(
            engine,
            "g",
            [enriched(make_cleaned(1))],
            {(TOPIC, 0): 4},
            dead_letters=[letter],
            before_commit=publish_fails,
        )
    assert counts(engine)["articles"] == 0 and load_offsets(engine, "g", TOPIC) == {}

    store_batch(engine, "g", [enriched(make_cleaned(1))], {(TOPIC, 0): 4}, dead_letters=[letter])
    with engine.connect() as conn:
        row = conn.execute(text("SELECT error, sent_at FROM consumer_dead_letters")).one()
    assert row.error == "bad \\x00 json" and row.sent_at is None
    assert counts(engine)["articles"] == 1 and load_offsets(engine, "g", TOPIC) == {0: 4}


def test_records_postgres_refuses_are_found_without_storing_anything(engine):
    good = enriched(make_cleaned(1))
    bad = enriched(make_cleaned(2, body="A NUL \x00 byte slipped through."))
    with pytest.raises(DataError):
        store_batch(engine, "g", [good, bad], {(TOPIC, 0): 2})

    refused = find_unstorable(engine, [good, bad])

    assert list(refused) == [1] and "NUL" in refused[1]
    assert counts(engine)["articles"] == 0 and load_offsets(engine, "g", TOPIC) == {}


# -- fetch log, sources ------------------------------------------------------------------------


def test_record_fetches_appends_once_and_rejects_unknown_columns(engine):
    at = datetime(2026, 11, 28, 7, 30, tzinfo=UTC)
    rows = [
        {
            "source_id": SOURCE,
            "url": f"https://news.example.org/{n}",
            "status": 200,
            "bytes": 1234,
            "duration_ms": 80,
            "outcome": "ok",
            "error": None,
            "fetched_at": at,
        }
        for n in range(3)
    ]
    rows.append(
        {
            "source_id": SOURCE,
            "url": "https://news.example.org/x",
            "outcome": "failed",
            "error": "timed out",
            "fetched_at": at,
        }
    )
    assert record_fetches(engine, rows) == 4
    assert record_fetches(engine, rows) == 0  # a retry after a lost acknowledgement
    assert counts(engine)["fetch_log"] == 4
    with pytest.raises(ValueError, match="status_code"):
        record_fetches(engine, [{**rows[0], "status_code": 200}])


def test_sync_sources_upserts_and_moves_updated_at_only_on_change(engine):
    a = Source(id="alpha", name="Alpha", feeds=["https://alpha.example/rss.xml"])
    b = Source(id="beta", name="Beta", urls=["https://beta.example/story"])
    assert sync_sources(engine, [a, b]) == 2
    before = snapshot(engine)["sources"]
    assert sync_sources(engine, [b, a]) == 0
    assert snapshot(engine)["sources"] == before

    assert sync_sources(engine, [b.model_copy(update={"enabled": False})]) == 1
    after = {row[0]: row for row in snapshot(engine)["sources"]}
    assert after["alpha"] == before[0]
    assert after["beta"][3] is False and after["beta"][4] > before[1][4]
    assert after["alpha"][2]["feeds"] == ["https://alpha.example/rss.xml"]
