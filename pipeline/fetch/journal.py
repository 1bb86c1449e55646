"""The fetch log of one run, in memory: one entry per request made or refused.

Clients add an entry for every attempt (robots.txt, feeds, sitemaps, pages, redirect hops,
retries, 304s) and for every request they refused to make (robots.txt, the network policy).
The job amends the final entry of a page with its verdict (new, changed, unchanged,
not_html, ...) and writes the lot to the warehouse's fetch_log at the end of the run.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class FetchLogEntry:
    url: str
    outcome: str = "ok"
    status: int | None = None
    bytes: int = 0
    duration_ms: int = 0
    error: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    sent: bool = False  # whether a request went out (refusals are logged without one)


class Journal:
    """Thread-safe list of fetch log entries, shared by the clients of one run."""

    def __init__(self) -> None:
        self._entries: list[FetchLogEntry] = []
        self._lock = threading.Lock()

    def add(self, entry: FetchLogEntry) -> FetchLogEntry:
        with self._lock:
            self._entries.append(entry)
        return entry

    @property
    def entries(self) -> list[FetchLogEntry]:
        with self._lock:
            return list(self._entries)

    def rows(self, source_id: str) -> list[dict]:
        """fetch_log rows (pipeline.warehouse.db.FETCH_COLUMNS) for `record_fetches`."""
        return [
            {
                "source_id": source_id,
                "url": e.url,
                "status": e.status,
                "bytes": e.bytes,
                "duration_ms": e.duration_ms,
                "outcome": e.outcome,
                "error": e.error,
                "fetched_at": e.fetched_at,
            }
            for e in self.entries
        ]
