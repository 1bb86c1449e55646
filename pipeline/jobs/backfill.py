"""Backfills: ingest what a source's sitemaps and feeds list for a past publication period.

Idempotent by construction: ingest_source publishes only articles that are new or whose
content changed since the warehouse (or the fetcher's own state) last saw them, so a backfill
over a period the live runs covered publishes nothing twice, and running it again publishes
nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.jobs.ingest import ingest_source
from pipeline.jobs.summary import IngestSummary
from pipeline.progress import Meter
from pipeline.sources import Source


def publication_window(since: str | date, until: str | date) -> tuple[datetime, datetime]:
    """[since 00:00 UTC, the day after until 00:00 UTC): both days count, as a person means."""
    try:
        first = since if isinstance(since, date) else date.fromisoformat(since)
        last = until if isinstance(until, date) else date.fromisoformat(until)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"backfill dates must be YYYY-MM-DD, got since={since!r} until={until!r}"
        ) from exc
    if first > last:
        raise ConfigError(f"backfill since ({first}) is after until ({last}): swap them")
    start = datetime.combine(first, time(), UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), UTC)


def backfill_source(
    settings: Settings,
    source: Source,
    since: str | date,
    until: str | date,
    *,
    url_limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    meter: Meter | None = None,
) -> IngestSummary:
    """Ingest the articles of `source` published from `since` to `until` (inclusive).

    Items with no date in the feed or sitemap are left out: nothing says they belong to the
    period, and the live runs pick them up.
    """
    start, end = publication_window(since, until)
    return ingest_source(
        settings,
        source,
        url_limit=url_limit,
        dry_run=dry_run,
        progress=progress,
        published_since=start,
        published_until=end,
        force=force,
        meter=meter,
    )
