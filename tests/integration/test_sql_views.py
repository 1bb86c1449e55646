"""The analysts' views and the maintenance chores on real PostgreSQL (and the real dead-letter
topic): each test gets a fresh database from test_warehouse_db's fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from test_warehouse_db import (  # noqa: F401 - the fixtures are used by name
    empty_db_fixture,
    engine_fixture,
    enriched,
    fresh_db_fixture,
    make_cleaned,
)

from pipeline.jobs import apply_retention, refresh_rollups, report_dead_letters, store_dead_letters
from pipeline.warehouse.db import record_fetches, store_batch

pytestmark = pytest.mark.integration


def _rows(engine, query: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(query), params)]


def test_full_text_search_stems_in_the_article_language(engine):
    english = make_cleaned(1, run="fts", body="The dockers were striking again.\n\nPay.")
    german = make_cleaned(2, run="fts", body="Die Arbeiter streikten in den Häfen.\n\nLohn.")
    german = german.model_copy(update={"language": "de"})
    store_batch(engine, "g", [enriched(english), enriched(german)], {})
    configs = dict(
        _rows(
            engine,
            "SELECT a.language, s.config::text FROM article_search s "
            "JOIN articles a USING (article_id)",
        )
    )
    assert configs == {"en": "english", "de": "german"}
    hits = _rows(
        engine,
        "SELECT a.language FROM article_search s JOIN articles a "
        "USING (article_id) WHERE s.document @@ websearch_to_tsquery("
        "newsflow_text_config(:lang), :q)",
        lang="de",
        q="Hafen Arbeitern",
    )
    assert hits == [("de",)]
    assert _rows(
        engine,
        "SELECT count(*) FROM article_search s WHERE s.document @@ "
        "websearch_to_tsquery('english', 'strike')",
    ) == [(1,)]


def test_a_new_version_replaces_the_search_document(engine):
    store_batch(engine, "g", [enriched(make_cleaned(1, run="v", body="Tulips in Leiden."))], {})
    store_batch(
        engine,
        "g",
        [enriched(make_cleaned(1, run="v", version=2, body="Herring in Scheveningen."))],
        {},
    )
    query = (
        "SELECT count(*) FROM article_search WHERE document @@ websearch_to_tsquery('english', :q)"
    )
    assert _rows(engine, query, q="tulips") == [(0,)]
    assert _rows(engine, query, q="herring") == [(1,)]


def test_duplicate_clusters_follow_near_duplicate_chains_to_the_original(engine):
    original, copy, copy_of_copy, alone = (make_cleaned(n, run="dup") for n in range(4))
    items = [enriched(original), enriched(alone)]
    for article, of in ((copy, original), (copy_of_copy, copy)):
        items.append(enriched(article).model_copy(update={"near_duplicate_of": of.article_id}))
    store_batch(engine, "g", items, {})
    rows = _rows(
        engine,
        "SELECT cluster_id, cluster_size, article_id, is_original "
        "FROM v_duplicate_clusters ORDER BY is_original DESC, article_id",
    )
    assert {r[0] for r in rows} == {original.article_id}
    assert {r[2] for r in rows} == {original.article_id, copy.article_id, copy_of_copy.article_id}
    assert [(r[1], r[3]) for r in rows][0] == (3, True)
    assert sum(r[3] for r in rows) == 1


def test_rollups_refresh_to_what_the_live_tables_say(engine, fresh_db):
    store_batch(
        engine,
        "g",
        [
            enriched(make_cleaned(n, run="mv"), ("Paris", "GPE"), ("Ada Lovelace", "PERSON"))
            for n in range(3)
        ],
        {},
    )
    assert _rows(engine, "SELECT count(*) FROM v_entity_cooccurrence") == [(0,)]
    counts = refresh_rollups(fresh_db)
    assert counts == {"mv_entity_source_day": 2, "mv_entity_pairs": 1}  # one day, two entities
    assert _rows(
        engine,
        "SELECT canonical, other_canonical, articles FROM v_entity_cooccurrence ORDER BY canonical",
    ) == [("Ada Lovelace", "Paris", 3), ("Paris", "Ada Lovelace", 3)]
    assert _rows(
        engine, "SELECT canonical, rank, articles FROM v_top_entities_source ORDER BY canonical"
    ) == [("Ada Lovelace", 1, 3), ("Paris", 1, 3)]
    assert refresh_rollups(fresh_db) == counts


def test_retention_deletes_only_fetches_older_than_the_limit(engine, fresh_db):
    now = datetime.now(UTC)
    rows = [
        {
            "source_id": "s",
            "url": f"https://x.test/{age}",
            "status": 200,
            "bytes": 1,
            "duration_ms": 1,
            "outcome": "ok",
            "error": None,
            "fetched_at": now - timedelta(days=age),
        }
        for age in (0, 5, 29, 31, 400)
    ]
    record_fetches(engine, rows)
    assert apply_retention(fresh_db, days=30) == 2
    assert sorted(_rows(engine, "SELECT url FROM fetch_log")) == [
        ("https://x.test/0",),
        ("https://x.test/29",),
        ("https://x.test/5",),
    ]
    assert apply_retention(fresh_db, days=30) == 0
    with pytest.raises(ValueError, match="at least one day"):
        apply_retention(fresh_db, days=0)


def _dead_letter(offset: int, key: str, at: datetime) -> dict:
    return {
        "partition": 0,
        "offset": offset,
        "dead_lettered_at": at.isoformat(),
        "key": key,
        "error": "enrich failed: boom",
        "stage": "enrich",
        "source_topic": "news.articles.cleaned.v1",
        "source_partition": 1,
        "source_offset": 40 + offset,
        "value_preview": "{",
    }


def test_dead_letters_are_stored_once_and_marked_when_the_article_arrives_later(engine):
    stored_later, never = make_cleaned(1, run="dlt"), make_cleaned(2, run="dlt")
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    entries = [
        _dead_letter(7, stored_later.article_id, an_hour_ago),
        _dead_letter(8, never.article_id, an_hour_ago),
    ]
    assert store_dead_letters(engine, entries) == 2
    assert store_dead_letters(engine, entries) == 0
    store_batch(engine, "g", [enriched(stored_later)], {})  # a replay that worked
    assert _rows(
        engine, "SELECT dlt_offset, stored_since, stage FROM v_dead_letters ORDER BY dlt_offset"
    ) == [(7, True, "enrich"), (8, False, "enrich")]


def test_the_dead_letter_report_reads_the_real_topic_and_repeats_harmlessly(fresh_db):
    first = report_dead_letters(fresh_db)
    again = report_dead_letters(fresh_db)
    assert again["new"] == 0
    assert again["total"] == first["total"] == first["new"]
    assert again["unresolved"] == sum(again["unresolved_by_stage"].values())
