"""The near-duplicate index in the test stack's PostgreSQL: it survives a restart, spans
sources, never matches an article with itself, and feeds the warehouse's views. Each test has
a database of its own (test_warehouse_db's `fresh_db`)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from test_warehouse_db import (  # noqa: F401 - fixtures
    empty_db_fixture,
    engine_fixture,
    fresh_db_fixture,
)

from pipeline.enrich import Enricher
from pipeline.enrich.duplicates import Probe, signature
from pipeline.records import EnrichedArticle
from pipeline.warehouse.db import store_batch
from pipeline.warehouse.dedup import WarehouseDuplicateIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from enrich_cases import make_record  # noqa: E402

pytestmark = pytest.mark.integration

T0 = datetime(2020, 2, 16, 8, 0, tzinfo=UTC)
STORY = [
    "The United States and its NATO allies agreed on Tuesday to expand the training mission in "
    "Iraq, after ministers met for two days at the alliance headquarters in Brussels.",
    "Jens Stoltenberg said the mission would only stay with the consent of the Iraqi "
    "government, and that the details would be settled in the coming months by commanders.",
    "The decision follows weeks of tension after a strike near Baghdad airport, which led the "
    "Iraqi parliament to vote for the withdrawal of all foreign troops from the country.",
]
OTHER = [
    "Leeds City Council has approved a new tram line to the airport after a long debate that "
    "ran past midnight and exposed deep divisions over how the project will be paid for.",
    "Councillors voted by 52 to 37 in favour of the second line, and construction is due to "
    "begin in the spring of 2028, with the first passengers expected four years later.",
]


def probe(article_id: str, paragraphs: list[str], hours: float = 0) -> Probe:
    return Probe(article_id, signature("\n\n".join(paragraphs)), T0 + timedelta(hours=hours))


def test_index_survives_a_restart_and_never_matches_itself(fresh_db) -> None:
    first = WarehouseDuplicateIndex.from_settings(fresh_db)
    assert first.assign([probe("a" * 64, STORY), probe("b" * 64, OTHER)]) == {
        "a" * 64: None,
        "b" * 64: None,
    }
    first.engine.dispose()

    restarted = WarehouseDuplicateIndex.from_settings(fresh_db)
    copy = [*STORY, "This story has been updated."]
    assert restarted.assign([probe("c" * 64, copy, hours=1)]) == {"c" * 64: "a" * 64}
    # Enriched again (a replay, a new version): the same answers, no self-match.
    assert restarted.assign([probe("a" * 64, STORY), probe("c" * 64, copy, hours=1)]) == {
        "a" * 64: None,
        "c" * 64: "a" * 64,
    }
    with restarted.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT article_id, duplicate_of, similarity FROM dedup_signatures ORDER BY seq")
        ).all()
    restarted.engine.dispose()
    assert [(r.article_id[0], (r.duplicate_of or "-")[0]) for r in rows] == [
        ("a", "-"),
        ("b", "-"),
        ("c", "a"),
    ]
    assert rows[2].similarity >= 0.8


def test_copies_in_one_batch_and_across_sources_are_linked(fresh_db, engine) -> None:
    enricher = Enricher(duplicates=WarehouseDuplicateIndex(engine))
    original = make_record("NATO to expand Iraq mission", STORY, slug="wire/nato", published=T0)
    copy = make_record(
        "Allies agree to train Iraqi troops",
        [*STORY, "Reporting by staff."],
        slug="regional/nato",
        published=T0 + timedelta(hours=1),
    )
    copy = copy.model_copy(update={"source_id": "regional"})
    results = enricher.enrich_each([original, copy])
    assert all(isinstance(r, EnrichedArticle) for r in results)
    assert [r.near_duplicate_of for r in results] == [None, original.article_id]
    store_batch(engine, "g", results, {})

    with engine.connect() as conn:
        near = conn.execute(
            text(
                "SELECT article_id, duplicate_of, source_id, original_source_id "
                "FROM v_near_duplicates"
            )
        ).all()
        ids = dict(
            conn.execute(
                text("SELECT canonical, wikidata_id FROM entities WHERE wikidata_id IS NOT NULL")
            ).all()
        )
    assert [tuple(r) for r in near] == [
        (copy.article_id, original.article_id, "regional", "example")
    ]
    assert ids == {
        "United States": "Q30",
        "NATO": "Q7184",
        "Iraq": "Q796",
        "Iraqi": "Q796",
        "Brussels": "Q239",  # the gazetteer's capitals carry their ids
    }

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM articles WHERE article_id = :id"), {"id": copy.article_id})
        left = conn.execute(text("SELECT article_id FROM dedup_signatures")).scalars().all()
    assert left == [original.article_id]
    enricher.duplicates.engine.dispose()
