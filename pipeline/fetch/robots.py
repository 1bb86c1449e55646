"""robots.txt: read with protego (Google's matching rules), once per origin, kept 24 hours.

What an answer to /robots.txt means here (RFC 9309, and Google's documented behaviour):

- 2xx: the rules in the file (at most 512 KiB; redirects are followed by the client);
- 4xx other than 429: there are no rules, everything is allowed;
- 429, 5xx, a timeout or no connection: the whole host is disallowed. That verdict holds for
  the rest of the run only and is never stored, so the next run asks again.

The rules of one run live in memory; 2xx and 4xx answers are also kept in a `RobotsStore` (the
warehouse's robots_txt table in a real run), so the many short runs of a schedule, on whichever
worker, ask each host for its robots.txt once a day rather than once a run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from protego import Protego

from pipeline.errors import FetchError
from pipeline.fetcher_state import RobotsFile

ROBOTS_TTL = timedelta(hours=24)
MAX_ROBOTS_BYTES = 512 * 1024
# The name robots.txt groups are matched against ("User-agent: newsflow").
ROBOTS_AGENT = "newsflow"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class RobotsStore(Protocol):
    def load(self, origin: str) -> RobotsFile | None: ...
    def save(self, robots: RobotsFile) -> None: ...


class Answer(Protocol):
    """What `Robots.check` needs of a fetch result (pipeline.fetch.http.FetchResult)."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...


class MemoryRobotsStore:
    """A store that lasts as long as the object: for one-off commands and unit tests."""

    def __init__(self) -> None:
        self.files: dict[str, RobotsFile] = {}

    def load(self, origin: str) -> RobotsFile | None:
        return self.files.get(origin)

    def save(self, robots: RobotsFile) -> None:
        self.files[robots.origin] = robots


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    outcome: str  # for fetch_log when not allowed: robots_disallowed or robots_unavailable
    reason: str
    crawl_delay: float | None = None


class _Rules:
    def __init__(self, parser: Protego | None, unavailable: str | None = None) -> None:
        self._parser = parser  # None: no rules (4xx) or no answer (see `unavailable`)
        self._unavailable = unavailable
        self.crawl_delay = parser.crawl_delay(ROBOTS_AGENT) if parser else None

    def verdict(self, url: str) -> Verdict:
        if self._unavailable:
            return Verdict(False, "robots_unavailable", self._unavailable)
        if self._parser is not None and not self._parser.can_fetch(url, ROBOTS_AGENT):
            return Verdict(False, "robots_disallowed", "disallowed by robots.txt", self.crawl_delay)
        return Verdict(True, "ok", "", self.crawl_delay)


def origin_of(url: str) -> str:
    """scheme://host:port, the scope of one robots.txt."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}:{parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)}"


class Robots:
    """The robots.txt rules of every origin one run touches; thread-safe.

    `check` fetches an origin's robots.txt on first use through the `fetch` callable it is
    given (the client's own GET, exempt from this check), holding a per-origin lock so that
    concurrent workers ask once.
    """

    def __init__(self, store: RobotsStore | None = None, *, ttl: timedelta = ROBOTS_TTL) -> None:
        self._store = store or MemoryRobotsStore()
        self._ttl = ttl
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, fetch: Callable[[str], Answer]) -> Verdict:
        origin = origin_of(url)
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            rules = self._rules.get(origin)
            if rules is None:
                rules = self._rules[origin] = self._load(origin, url, fetch)
        return rules.verdict(url)

    def _load(self, origin: str, url: str, fetch: Callable[[str], Answer]) -> _Rules:
        stored = self._store.load(origin)
        if stored is not None and datetime.now(UTC) - stored.fetched_at < self._ttl:
            return _parse(stored.status, stored.body)
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            result = fetch(robots_url)
        except FetchError as exc:
            status = _status_of(exc.outcome)
            if status is None or status == 429 or status >= 500:
                return _Rules(
                    None,
                    f"robots.txt unavailable ({exc.outcome}): host treated as "
                    f"disallowed until the next run",
                )
            body = ""
        else:
            status, body = result.status, result.body.decode("utf-8", errors="replace")
        self._store.save(RobotsFile(origin, status, body, datetime.now(UTC)))
        return _parse(status, body)


def _parse(status: int, body: str) -> _Rules:
    return _Rules(Protego.parse(body) if 200 <= status < 300 else None)


def _status_of(outcome: str) -> int | None:
    """The HTTP status of a client outcome such as "http_503"; None for timeouts and the like."""
    prefix, _, number = outcome.partition("_")
    return int(number) if prefix == "http" and number.isdigit() else None
