"""When to ask again: spacing per host, backoff between retries, a server's Retry-After.

One `HostPacer` is shared by all the clients of an ingestion pass (discovery, then one worker
per host), so the spacing holds from the last discovery request to the first page request.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pipeline.errors import FetchError

# A task must not sleep for hours because a robots.txt asks for a huge Crawl-delay or a server
# for a far Retry-After: a request that would wait longer than this is deferred to a later run.
MAX_WAIT_SECONDS = 60.0


class HostPacer:
    """Per host: one request at a time, and a minimum delay between the end of one request and
    the start of the next.

    Workers are given hosts of their own, but a redirect can take one to another worker's host
    ("example.com" to "www.example.com"); the turn is therefore held from `wait_turn` to
    `done`, whichever worker asks, so two requests never reach one host at once.
    """

    def __init__(
        self, min_delay_seconds: float = 0.0, *, max_wait_seconds: float = MAX_WAIT_SECONDS
    ) -> None:
        self._min_delay = min_delay_seconds
        self._max_wait = max_wait_seconds
        self._delays: dict[str, float] = {}
        self._last: dict[str, float] = {}  # host -> monotonic end of its last request
        self._turns: dict[str, threading.Lock] = {}  # held while a request to the host runs
        self._lock = threading.Lock()

    def slow_down(self, host: str, seconds: float) -> None:
        """Raise `host`'s delay to `seconds` (a robots.txt Crawl-delay); never lowers it."""
        with self._lock:
            self._delays[host] = max(self._delays.get(host, 0.0), seconds)

    def delay(self, host: str) -> float:
        with self._lock:
            return max(self._min_delay, self._delays.get(host, 0.0))

    def wait_turn(self, host: str, url: str, cancelled: threading.Event | None = None) -> None:
        """Wait until `host` may be asked again and take the turn (give it back with `done`);
        FetchError("deferred") if that is too far off, FetchError("cancelled") if `cancelled`
        is set meanwhile."""
        with self._lock:
            turn = self._turns.setdefault(host, threading.Lock())
        # Another worker's request to the host (a redirect brought it here) ends first: at most
        # its total timeout.
        turn.acquire()
        with self._lock:
            last = self._last.get(host)
            delay = max(self._min_delay, self._delays.get(host, 0.0))
        wait = 0.0 if last is None else last + delay - time.monotonic()
        if wait > self._max_wait:
            turn.release()
            raise FetchError(
                f"GET {url}: {host} asks for {delay:g}s between requests; deferred "
                f"to a later run (a task waits at most {self._max_wait:g}s)",
                "deferred",
            )
        if wait > 0 and cancelled is not None and cancelled.wait(wait):
            turn.release()
            raise FetchError(f"GET {url}: cancelled, the run was interrupted", "cancelled")
        if wait > 0 and cancelled is None:
            time.sleep(wait)

    def done(self, host: str) -> None:
        """Note that the request to `host` that took the turn just ended; give the turn back."""
        with self._lock:
            self._last[host] = time.monotonic()
            turn = self._turns.get(host)
        if turn is not None and turn.locked():
            turn.release()


def backoff_delay(base_seconds: float, attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt`: exponential, with jitter."""
    # Half fixed, half random, so workers that failed together do not retry together.
    step = base_seconds * 2 ** (attempt - 1)
    return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not security


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date), None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
