"""`newsflow bench delivery`'s parallel writers really store: two processes, each its own
records and partition, write every article and both partitions' offsets into one database."""

from __future__ import annotations

import pytest
from scratch_db import scratch_database
from sqlalchemy import text

from devtools.bench.delivery import CopyOnly, _records
from devtools.bench.store_writers import parallel_store_rate
from pipeline.config import Settings
from pipeline.jobs import migrate_warehouse
from pipeline.warehouse.db import make_engine

pytestmark = pytest.mark.integration


def test_two_writers_store_all_their_articles_and_offsets(stack: Settings) -> None:
    with scratch_database(stack, "test_writers") as settings:
        migrate_warehouse(settings)
        engine = make_engine(settings)
        try:
            rate = parallel_store_rate(settings, engine, _records, 2, 600, 200, "writers")
            with engine.connect() as conn:
                articles = conn.execute(
                    text("SELECT count(*), count(DISTINCT source_id) FROM articles")
                ).one()
                mentions = conn.execute(text("SELECT count(DISTINCT article_id) FROM mentions"))
                offsets = conn.execute(
                    text(
                        "SELECT partition, next_offset FROM consumer_offsets "
                        "WHERE group_id = 'bench' ORDER BY partition"
                    )
                ).all()
        finally:
            engine.dispose()
    assert tuple(articles) == (1200, 1)
    assert mentions.scalar() == 1200
    assert [tuple(row) for row in offsets] == [(0, 600), (1, 600)]
    assert rate > 0


def test_two_writers_run_the_copy_ceiling_when_asked(stack: Settings) -> None:
    # The ceiling writes the same article and mention rows and nothing else: no offsets.
    with scratch_database(stack, "test_writers_ceiling") as settings:
        migrate_warehouse(settings)
        engine = make_engine(settings)
        try:
            parallel_store_rate(settings, engine, _records, 2, 400, 200, "ceiling", CopyOnly)
            with engine.connect() as conn:
                articles = conn.execute(text("SELECT count(*) FROM articles")).scalar()
                mentions = conn.execute(text("SELECT count(DISTINCT article_id) FROM mentions"))
                offsets = conn.execute(text("SELECT count(*) FROM consumer_offsets")).scalar()
        finally:
            engine.dispose()
    assert articles == 800
    assert mentions.scalar() == 800
    assert offsets == 0
