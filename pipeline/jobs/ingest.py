"""One ingestion pass for one source: discover → fetch → clean → publish.

The DAG's mapped task and `newsflow ingest` call the same function. Records reach the
warehouse only through Kafka; this job reads and writes only what the fetcher keeps for itself
(sources, fetch_state, robots_txt, fetch_log) and reads article versions, from the articles
and from the version ledger, which outlives lost article rows (see `known_versions.py`).

This is where the fetch stage meets the world: the job opens the warehouse engine and hands
the fetcher its robots.txt store and fetch-state store (ports on that engine), the cleaner its
pages, and the publisher the records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.fetcher_state import FetchStateStore, PageState
from pipeline.jobs.engines import warehouse_engine
from pipeline.jobs.ingest_metrics import push_source_run, push_sources_enabled
from pipeline.jobs.summary import IngestInterrupted, IngestSummary
from pipeline.progress import Meter, given_or_logged
from pipeline.records import CleanedArticle
from pipeline.sources import Source, load_sources

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from pipeline.fetch.discover import Discovered, PublishedWindow
    from pipeline.fetch.http import FetchResult
    from pipeline.fetch.network import NetworkPolicy
    from pipeline.fetch.pages import PageOutcome
    from pipeline.fetch.run import FetchRun
    from pipeline.publish.producer import PublishError, PublishInterrupted

log = logging.getLogger(__name__)

# How long a published record may take to reach the warehouse before it is taken as lost.
RESEND_AFTER = timedelta(minutes=15)


def enabled_sources(
    settings: Settings, sources_file: str | None = None, only: list[str] | None = None
) -> list[Source]:
    sources = load_sources(Path(sources_file) if sources_file else settings.sources)
    picked = [s for s in sources if s.enabled and (not only or s.id in only)]
    unknown = set(only or []) - {s.id for s in sources}
    if unknown:
        raise ConfigError(f"unknown source id(s): {', '.join(sorted(unknown))}")
    if not only:  # a run over every enabled source (news_ingest's list, `newsflow ingest`)
        push_sources_enabled(settings, len(picked))
    return picked


def sync_sources_file(settings: Settings, sources_file: str | None = None) -> int:
    """Sync the whole sources file into the warehouse's `sources` table: the sources it lists
    are upserted, those synced from it before and no longer in it are marked removed (no
    longer enabled, left out of source health). Returns how many rows changed."""
    from pipeline.warehouse.db import sync_sources

    path = Path(sources_file) if sources_file else settings.sources
    sources = load_sources(path)
    with warehouse_engine(settings) as engine:
        return sync_sources(engine, sources, sources_file=str(path.resolve()))


def ingest_source(
    settings: Settings,
    source: Source,
    *,
    url_limit: int | None = None,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    published_since: datetime | None = None,
    published_until: datetime | None = None,
    include_undated: bool = False,
    network: NetworkPolicy | None = None,
    force: bool = False,
    meter: Meter | None = None,
) -> IngestSummary:
    """Discover, fetch, clean and publish one source; every request lands in fetch_log.

    `published_since`/`published_until` (timezone-aware) keep only the discovered items whose
    feed or sitemap date falls in [since, until); items without a date are kept only with
    `include_undated`. `network` replaces the network policy the source's
    allow_private_network gives (tests use it to treat a loopback server as a public site).
    `force` fetches every page unconditionally and republishes the unchanged ones under
    their known versions, whatever the fetch state says. `meter` hears the pages and their
    verdicts as they come (default: plain log lines; `newsflow ingest` passes its own).
    """
    from pipeline.fetch.discover import PublishedWindow

    window = PublishedWindow(published_since, published_until, include_undated)
    say = progress or log.info
    meter = given_or_logged(meter, f"ingest {source.id}", log)
    summary = IngestSummary(source.id)
    fetch_seconds: list[float] = []  # each request's, for the pushed metrics
    try:
        _ingest(
            settings,
            source,
            summary,
            fetch_seconds,
            window,
            url_limit,
            dry_run,
            say,
            network,
            force,
            meter,
        )
    except Exception:
        if not dry_run:  # a run that raised (Kafka refused the records...) failed
            push_source_run(settings, summary, fetch_seconds, failed=True)
        raise
    if not dry_run:
        push_source_run(settings, summary, fetch_seconds, failed=summary.failure() is not None)
    return summary


def _ingest(
    settings: Settings,
    source: Source,
    summary: IngestSummary,
    fetch_seconds: list[float],
    window: PublishedWindow,
    url_limit: int | None,
    dry_run: bool,
    say: Callable[[str], None],
    network: NetworkPolicy | None,
    force: bool,
    meter: Meter,
) -> None:
    from pipeline.fetch.discover import discover
    from pipeline.fetch.run import FetchRun
    from pipeline.warehouse.db import record_fetches, sync_sources
    from pipeline.warehouse.fetch_state import WarehouseFetchState, WarehouseRobotsStore

    with warehouse_engine(settings) as engine:
        run = FetchRun.for_source(
            settings, source, robots_store=WarehouseRobotsStore(engine), network=network
        )
        try:
            sync_sources(engine, [source])
            with run.client() as client:
                found, errors = discover(source, client)
            summary.errors.extend(f"discovery {url}: {message}" for url, message in errors)
            summary.count_discovery([*source.feeds, *source.sitemaps], errors)
            picked = [item for item in found if item in window]
            summary.skipped_out_of_range = len(found) - len(picked)
            picked = picked[:url_limit] if url_limit is not None else picked
            summary.discovered = len(picked)
            say(f"{source.id}: {len(picked)} article URLs to fetch ({len(found)} discovered)")
            _fetch_and_publish(
                settings,
                engine,
                WarehouseFetchState(engine),
                run,
                source,
                picked,
                summary,
                dry_run,
                force,
                say,
                meter,
            )
        except KeyboardInterrupt as exc:
            run.cancelled.set()  # discovery's or a worker's request in flight ends now
            raise IngestInterrupted(summary) from exc
        finally:
            summary.requests = sum(1 for e in run.journal.entries if e.sent)
            fetch_seconds += [e.duration_ms / 1000 for e in run.journal.entries if e.sent]
            record_fetches(engine, run.journal.rows(source.id))
    for line in summary.report_lines():
        say(line)
    if not dry_run and summary.unchanged and summary.unchanged == summary.fetched:
        say(
            f"{source.id}: published nothing: all {summary.unchanged} pages unchanged since the "
            "last run, and their articles are in the warehouse; to send them again anyway: "
            "`newsflow ingest --force`"
        )


def _fetch_and_publish(
    settings: Settings,
    engine: Engine,
    store: FetchStateStore,
    run: FetchRun,
    source: Source,
    items: Sequence[Discovered],
    summary: IngestSummary,
    dry_run: bool,
    force: bool,
    say: Callable[[str], None],
    meter: Meter,
) -> None:
    from pipeline.clean import clean
    from pipeline.fetch.changes import assign_versions
    from pipeline.fetch.pages import Validators, fetch_pages
    from pipeline.jobs.known_versions import KnownVersions

    state = store.load([item.url for item in items])
    # A page whose article the warehouse lost is asked for unconditionally: a 304 has no
    # body to publish again.
    resend_before = datetime.now(UTC) - RESEND_AFTER
    lost = set() if force else KnownVersions.load(engine, state, [], resend_before).to_resend()
    validators = {
        url: Validators(s.etag, s.last_modified)
        for url, s in state.items()
        if not force and s.article_id not in lost
    }

    def clean_page(page: FetchResult) -> CleanedArticle:
        fetched_at = page.entry.fetched_at if page.entry else datetime.now(UTC)
        return clean(
            page.body,
            page.final_url,
            source_id=source.id,
            fetched_at=fetched_at,
            content_type=page.content_type,
        )

    def page_done(outcome: PageOutcome) -> None:
        meter.advance(pages=1, failed=int(outcome.kind in ("failed", "extract_failed")))

    outcomes = fetch_pages(
        run,
        items,
        validators,
        clean_page,
        progress=lambda line: say(f"{source.id}: {line}"),
        on_page=page_done,
    )
    _count_fetches(outcomes, summary)

    cleaned = [o for o in outcomes if o.record is not None]
    records = [o.record for o in cleaned if o.record is not None]
    ids = [r.article_id for r in records]
    versions_known = KnownVersions.load(engine, state, ids, resend_before)
    known = versions_known.latest
    resend = set(ids) if force else versions_known.to_resend()
    to_publish, verdicts = assign_versions(records, known, resend)
    for outcome, verdict in zip(cleaned, verdicts, strict=True):
        outcome.note(verdict)
        if verdict in ("new", "changed", "unchanged", "republished"):
            setattr(summary, verdict, getattr(summary, verdict) + 1)
    meter.advance(new=summary.new, changed=summary.changed, unchanged=summary.unchanged)

    if dry_run:
        return  # no fetch_state either: the next real run must fetch and publish these pages
    failed_ids, error = _publish(settings, to_publish, summary)
    meter.advance(published=summary.published, failed=len(failed_ids))
    published = {r.article_id: r for r in to_publish if r.article_id not in failed_ids}
    versions = {aid: k.version for aid, k in known.items()}
    versions.update((aid, r.version) for aid, r in published.items())
    store.save(_new_state(source.id, outcomes, state, published, versions))
    if error is not None:
        raise error


def _count_fetches(outcomes: Sequence[PageOutcome], summary: IngestSummary) -> None:
    buckets = {
        "skipped_robots": "skipped_robots",
        "not_html": "skipped_not_html",
        "refused": "refused",
        "deferred": "deferred",
        "failed": "failed",
        "extract_failed": "failed",
        "not_modified": "not_modified",
    }
    for outcome in outcomes:
        summary.fetched += outcome.fetched
        if outcome.kind == "not_modified":
            summary.unchanged += 1
        if bucket := buckets.get(outcome.kind):
            setattr(summary, bucket, getattr(summary, bucket) + 1)
        if outcome.error and outcome.kind not in ("skipped_robots", "not_html"):
            summary.errors.append(outcome.error)


def _publish(
    settings: Settings, records: list[CleanedArticle], summary: IngestSummary
) -> tuple[set[str], PublishError | PublishInterrupted | None]:
    """Publish `records`: the article ids whose send failed, and the error to raise once the
    acknowledged records are remembered (so the task fails with the cause, and its retry
    sends only the rest; or Ctrl-C stops the pass)."""
    from pipeline.publish.producer import PublishError, PublishInterrupted, publish_cleaned

    error: PublishError | PublishInterrupted | None = None
    try:
        result = publish_cleaned(settings, records)
    except (PublishError, PublishInterrupted) as exc:
        result, error = exc.result, exc
    summary.published = result.published
    for article_id, message in result.failed:
        summary.errors.append(f"publish {article_id}: {message}")
    summary.failed += len(result.failed)
    return {article_id for article_id, _ in result.failed}, error


def _new_state(
    source_id: str,
    outcomes: Sequence[PageOutcome],
    before: dict[str, PageState],
    published: dict[str, CleanedArticle],
    versions: dict[str, int],
) -> list[PageState]:
    """fetch_state rows for the pages whose content is now accounted for downstream.

    `published`: the records sent in this run by article id; `versions`: the latest version
    of every article known, sent now or before.
    """
    states = []
    for outcome in outcomes:
        page, url = outcome.page, outcome.item.url
        if page is None or page.entry is None:
            continue
        checked = page.entry.fetched_at
        etag, modified = page.headers.get("etag"), page.headers.get("last-modified")
        if outcome.kind == "not_modified":
            # A 304 may carry fresh validators; if not, the ones that earned it stay valid.
            old = before.get(url)
            states.append(
                PageState(
                    url,
                    source_id,
                    etag or (old.etag if old else None),
                    modified or (old.last_modified if old else None),
                    checked_at=checked,
                )
            )
            continue
        record = outcome.record
        if record is None or page.entry.outcome not in (
            "new",
            "changed",
            "unchanged",
            "republished",
        ):
            continue
        sent = published.get(record.article_id)
        if page.entry.outcome != "unchanged" and sent is None:
            continue  # not published: the next run must fetch and send it again
        states.append(
            PageState(
                url,
                source_id,
                etag,
                modified,
                record.article_id,
                record.content_hash,
                versions.get(record.article_id),
                checked,
                checked if sent else None,
            )
        )
    return states
