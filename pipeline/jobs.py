"""One ingestion pass for one source: discover → fetch → clean → publish.

The DAG's mapped task and `newsflow ingest` call the same function. Records reach the
warehouse only through Kafka; this job writes the fetch log and reads article versions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import ConfigError, FetchError, PoisonRecord
from pipeline.records import CleanedArticle
from pipeline.sources import Source, load_sources

log = logging.getLogger(__name__)


@dataclass
class IngestSummary:
    source_id: str
    discovered: int = 0
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    failed: int = 0
    published: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        data = asdict(self)
        data["errors"] = data["errors"][:20]  # the task result stays small
        return data


def enabled_sources(settings: Settings, sources_file: str | None = None,
                    only: list[str] | None = None) -> list[Source]:
    sources = load_sources(Path(sources_file) if sources_file else settings.sources)
    picked = [s for s in sources if s.enabled and (not only or s.id in only)]
    unknown = set(only or []) - {s.id for s in sources}
    if unknown:
        raise ConfigError(f"unknown source id(s): {', '.join(sorted(unknown))}")
    return picked


def _fetch_row(source_id: str, url: str, status: int | None, size: int, duration_ms: int,
               outcome: str, error: str | None) -> dict:
    return {
        "source_id": source_id, "url": url, "status": status, "bytes": size,
        "duration_ms": duration_ms, "outcome": outcome, "error": error,
        "fetched_at": datetime.now(UTC),
    }


def ingest_source(
    settings: Settings,
    source: Source,
    *,
    url_limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> IngestSummary:
    from pipeline.clean import clean
    from pipeline.fetch.discover import discover
    from pipeline.fetch.http import HttpClient
    from pipeline.publish.producer import make_producer, publish_records
    from pipeline.warehouse.db import make_engine, record_fetches, sync_sources

    say = progress or log.info
    summary = IngestSummary(source.id)
    engine = make_engine(settings)
    sync_sources(engine, [source])
    fetch_rows: list[dict] = []
    records: list[CleanedArticle] = []
    with HttpClient(settings, allow_private_network=source.allow_private_network,
                    min_delay_seconds=source.min_delay_seconds) as client:
        found, errors = discover(source, client)
        for url, message in errors:
            summary.errors.append(f"discovery {url}: {message}")
            fetch_rows.append(_fetch_row(source.id, url, None, 0, 0, "discovery_failed", message))
        if url_limit is not None:
            found = found[:url_limit]
        summary.discovered = len(found)
        say(f"{source.id}: {len(found)} article URLs discovered")
        for n, item in enumerate(found, 1):
            try:
                page = client.get(item.url)
            except FetchError as exc:
                bucket = "refused" if exc.outcome == "refused" else "failed"
                setattr(summary, bucket, getattr(summary, bucket) + 1)
                summary.errors.append(f"{item.url}: {exc}")
                fetch_rows.append(
                    _fetch_row(source.id, item.url, None, 0, 0, exc.outcome, str(exc)))
                continue
            summary.fetched += 1
            row = _fetch_row(source.id, item.url, page.status, page.bytes, page.duration_ms,
                             "ok", None)
            try:
                records.append(clean(page.body, page.final_url, source_id=source.id,
                                     fetched_at=datetime.now(UTC),
                                     content_type=page.content_type))
            except PoisonRecord as exc:
                summary.failed += 1
                summary.errors.append(f"{item.url}: {exc}")
                row.update(outcome="extract_failed", error=str(exc))
            fetch_rows.append(row)
            if n % 10 == 0:
                say(f"{source.id}: fetched {n}/{len(found)}")

    to_publish = _assign_versions(engine, records, summary)
    if not dry_run and to_publish:
        producer = make_producer(settings)
        try:
            result = publish_records(producer, to_publish)
        finally:
            producer.close()
        summary.published = result.published
        for article_id, error in result.failed:
            summary.errors.append(f"publish {article_id}: {error}")
        if result.failed:
            summary.failed += len(result.failed)
    record_fetches(engine, fetch_rows)
    engine.dispose()
    say(f"{source.id}: {summary.summary()}")
    return summary


def _assign_versions(engine, records: list[CleanedArticle],
                     summary: IngestSummary) -> list[CleanedArticle]:
    """New articles get version 1; changed content the next version; unchanged is not resent."""
    from pipeline.warehouse.db import known_articles

    known = known_articles(engine, [r.article_id for r in records])
    out: dict[str, CleanedArticle] = {}
    for record in records:
        if record.article_id in out:
            continue  # two URLs with one canonical URL: one article
        previous = known.get(record.article_id)
        if previous is None:
            summary.new += 1
            out[record.article_id] = record
        elif previous[0] == record.content_hash:
            summary.unchanged += 1
        else:
            summary.changed += 1
            out[record.article_id] = record.model_copy(update={"version": previous[1] + 1})
    return list(out.values())
