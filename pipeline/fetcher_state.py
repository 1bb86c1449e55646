"""What the fetcher remembers between runs, as the fetch stage and its store exchange it.

The fetch stage reads and writes this memory through ports (`RobotsStore` in fetch/robots.py,
`FetchStateStore` here); the warehouse implements them (warehouse/fetch_state.py). The shapes
live below both, so neither stage imports the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class RobotsFile:
    """A stored answer: the status (2xx or 4xx) and the text of an origin's robots.txt."""

    origin: str
    status: int
    body: str
    fetched_at: datetime


@dataclass(frozen=True)
class PageState:
    """What the last run stored about one page URL (see warehouse/models_fetch.FetchState)."""

    url: str
    source_id: str
    etag: str | None = None
    last_modified: str | None = None
    article_id: str | None = None
    content_hash: str | None = None
    version: int | None = None
    checked_at: datetime | None = None
    changed_at: datetime | None = None


class FetchStateStore(Protocol):
    """Per-page state: validators for conditional requests, and what was published."""

    def load(self, urls: Sequence[str]) -> dict[str, PageState]: ...
    def save(self, states: Sequence[PageState]) -> int: ...
