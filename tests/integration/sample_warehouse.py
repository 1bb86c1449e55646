"""The sample site in a warehouse, through the pipeline's own functions and without Kafka:
ingest_source (a dry run, for fetch_log and sources), clean, the spaCy enricher, store_batch."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from devtools.sample_site import SampleSite
from pipeline.clean import clean
from pipeline.config import Settings
from pipeline.errors import PoisonRecord
from pipeline.jobs import enabled_sources, ingest_source, refresh_rollups
from pipeline.warehouse.db import make_engine, store_batch


def load_sample_site(
    settings: Settings, workdir: Path, *, refresh: bool = True, follow_ups: bool = False
) -> list[str]:
    """The sample site, one source per template, into the warehouse of `settings`, each
    article in its story as the consumer assigns them; the errors of the records the enricher
    refused (the consumer would dead-letter them). `follow_ups`: with other outlets' reports
    of two of its stories (story_cases.FOLLOW_UPS), for the story examples of docs/sql.md."""
    from story_cases import follow_up_records

    from pipeline.enrich import Enricher
    from pipeline.warehouse.stories import WarehouseStoryIndex

    records = []
    with SampleSite() as site:
        site.write_sources_per_template(workdir / "sources.yaml")
        for source in enabled_sources(settings, str(workdir / "sources.yaml")):
            summary = ingest_source(settings, source, dry_run=True)
            assert summary.failed == 0, summary.errors
            for url in source.urls:
                page = httpx.get(url, timeout=10)
                records.append(
                    clean(
                        page.content,
                        url,
                        source_id=source.id,
                        fetched_at=datetime.now(UTC),
                        content_type=page.headers["content-type"],
                    )
                )
    if follow_ups:
        records += follow_up_records()
    results = Enricher().enrich_each(records)
    engine = make_engine(settings)
    try:
        store_batch(
            engine,
            "sql-docs",
            [r for r in results if not isinstance(r, PoisonRecord)],
            {},
            assign_stories=WarehouseStoryIndex(engine).assign_articles,
        )
    finally:
        engine.dispose()
    if refresh:
        refresh_rollups(settings)
    return [
        f"{record.url}: {result}"
        for record, result in zip(records, results, strict=True)
        if isinstance(result, PoisonRecord)
    ]
