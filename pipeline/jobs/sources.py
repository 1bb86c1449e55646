"""`newsflow sources list` and `newsflow sources check ID`.

`list` validates the sources file, syncs it into the warehouse's sources table and shows each
source with its last fetch. `check` reads a source's feeds and sitemaps once, through the same
client, robots.txt rules and network policy as an ingestion pass, and reports what it found
without fetching a single article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import OperationalError

from pipeline.config import Settings
from pipeline.errors import ConfigError
from pipeline.fetch.discover import Discovered, discover
from pipeline.fetch.journal import FetchLogEntry
from pipeline.fetch.network import NetworkPolicy
from pipeline.fetch.robots import RobotsStore
from pipeline.fetch.run import FetchRun
from pipeline.jobs.engines import warehouse_engine
from pipeline.sources import Source, load_sources
from pipeline.table import format_table

if TYPE_CHECKING:
    from sqlalchemy import Engine

Echo = Callable[[str], None]
SHOWN_URLS = 10


@dataclass(frozen=True)
class SourceCheck:
    source: Source
    requests: list[FetchLogEntry]  # every request made or refused, robots.txt included
    found: list[Discovered]  # on the source's hosts, unique
    errors: list[tuple[str, str]]  # (feed or sitemap URL, "outcome: message")

    @property
    def ok(self) -> bool:
        return bool(self.found)


def check_source(
    settings: Settings,
    source: Source,
    *,
    robots_store: RobotsStore | None = None,
    network: NetworkPolicy | None = None,
) -> SourceCheck:
    run = FetchRun.for_source(settings, source, robots_store=robots_store, network=network)
    with run.client() as client:
        found, errors = discover(source, client)
    return SourceCheck(source, run.journal.entries, found, errors)


def run_list(settings: Settings, sources_file: str | None, echo: Echo, warn: Echo) -> None:
    from pipeline.warehouse.db import sync_sources
    from pipeline.warehouse.fetch_state import fetch_activity

    path = Path(sources_file) if sources_file else settings.sources
    sources = load_sources(path)
    activity: dict = {}
    with _warehouse(settings, warn, "sources not synced") as engine:
        if engine is not None:
            sync_sources(engine, sources, sources_file=str(path.resolve()))
            activity = fetch_activity(engine)
    rows = []
    for s in sources:
        last, recent = activity.get(s.id, (None, 0))
        rows.append(
            (
                s.id,
                s.name,
                "yes" if s.enabled else "no",
                len(s.feeds),
                len(s.sitemaps),
                len(s.urls),
                f"{s.min_delay_seconds:g}s",
                "yes" if s.allow_private_network else "no",
                last.strftime("%Y-%m-%d %H:%M:%SZ") if last else "-",
                recent,
            )
        )
    echo(
        format_table(
            (
                "id",
                "name",
                "enabled",
                "feeds",
                "sitemaps",
                "urls",
                "delay",
                "private",
                "last fetch (UTC)",
                "requests 24h",
            ),
            rows,
        )
    )


def run_check(
    settings: Settings, source_id: str, sources_file: str | None, echo: Echo, warn: Echo
) -> bool:
    """Print the check of one source; whether it found any article URL."""
    from pipeline.warehouse.db import record_fetches, sync_sources
    from pipeline.warehouse.fetch_state import WarehouseRobotsStore

    sources = {
        s.id: s for s in load_sources(Path(sources_file) if sources_file else settings.sources)
    }
    if source_id not in sources:
        raise ConfigError(
            f"unknown source id {source_id!r}; known: {', '.join(sorted(sources)) or 'none'}"
        )
    source = sources[source_id]
    with _warehouse(settings, warn, "robots.txt not cached, fetch_log not written") as engine:
        store = WarehouseRobotsStore(engine) if engine is not None else None
        if engine is not None:
            sync_sources(engine, [source])
        result = check_source(settings, source, robots_store=store)
        if engine is not None:
            rows = [
                {
                    "source_id": source.id,
                    "url": e.url,
                    "status": e.status,
                    "bytes": e.bytes,
                    "duration_ms": e.duration_ms,
                    "outcome": e.outcome,
                    "error": e.error,
                    "fetched_at": e.fetched_at,
                }
                for e in result.requests
            ]
            record_fetches(engine, rows)
    _print_check(result, echo)
    return result.ok


@contextmanager
def _warehouse(settings: Settings, warn: Echo, consequence: str) -> Iterator[Engine | None]:
    """An engine on the warehouse, or None (with a warning) when it cannot be reached."""
    with warehouse_engine(settings) as engine:
        try:
            with engine.connect():
                pass
        except OperationalError as exc:
            where = engine.url.render_as_string(hide_password=True)
            warn(
                f"newsflow: warning: warehouse at {where} not reachable ({consequence}): "
                f"{str(exc.orig).strip().splitlines()[0]}; start it with "
                f"`newsflow stack up postgres` or set NEWSFLOW_WAREHOUSE_URL"
            )
            yield None
            return
        yield engine


def _print_check(result: SourceCheck, echo: Echo) -> None:
    source = result.source
    echo(f"source {source.id} ({source.name}); own hosts: {', '.join(sorted(source.hosts))}")
    echo("")
    echo(
        format_table(
            ("status", "outcome", "ms", "bytes", "url"),
            [(e.status or "-", e.outcome, e.duration_ms, e.bytes, e.url) for e in result.requests],
        )
    )
    echo("")
    per_document = Counter(item.via for item in result.found)
    rows = []
    for via, count in per_document.items():
        dates = [i.published_at for i in result.found if i.via == via and i.published_at]
        rows.append(
            (via, count, min(dates).date() if dates else "-", max(dates).date() if dates else "-")
        )
    if rows:
        echo(format_table(("found in", "article URLs", "oldest", "newest"), rows))
        echo("")
    for url, message in result.errors:
        echo(f"problem: {url}: {message}")
    echo(
        f"{len(result.found)} article URLs on the source's hosts"
        + (
            f"; the first {SHOWN_URLS}:"
            if len(result.found) > SHOWN_URLS
            else (":" if result.found else "")
        )
    )
    for item in result.found[:SHOWN_URLS]:
        when = item.published_at.isoformat() if item.published_at else "no date"
        echo(f"  {item.url}  ({when}) {item.title or ''}".rstrip())
