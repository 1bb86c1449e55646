"""The single network seam: every HTTP request newsflow makes goes through `HttpClient`.

Policy lives here, once: an honest User-Agent, connect/read timeouts and a deadline for the
whole exchange, a decompressed-size cap, at most five redirects each checked like the first
URL, the network policy (pipeline.fetch.network), robots.txt, per-host politeness and retries
with backoff and jitter. Failures are `FetchError`s whose `outcome` is the short reason written
to fetch_log; every attempt and every refusal is also an entry in the run's `Journal`.

Order of checks for each URL: network policy (so a refused target is never asked for its
robots.txt either), robots.txt, the host's turn, then the request.
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.compression import ACCEPT_ENCODING, BoundedDecoder
from pipeline.fetch.journal import FetchLogEntry, Journal
from pipeline.fetch.network import (
    DeadlineExceeded,
    FetchCancelled,
    NetworkPolicy,
    RetryableFetchError,
    deadline,
    guarded_transport,
    tls_failure,
)
from pipeline.fetch.pacing import HostPacer, backoff_delay, retry_after_seconds
from pipeline.fetch.robots import MAX_ROBOTS_BYTES, Robots

MAX_REDIRECTS = 5
MAX_ATTEMPTS = 3
RETRY_AFTER_CAP_SECONDS = 30.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_PASSED_ON = REDIRECT_STATUSES | {304}  # to get()'s redirect loop, or to the caller


@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str | None
    body: bytes  # decompressed; empty for 304 and redirects
    headers: dict[str, str]  # lower-case names
    duration_ms: int  # whole fetch, redirects and retries included
    bytes: int  # len(body)
    entry: FetchLogEntry | None = None  # the journal entry of the last attempt


class ResponseError(FetchError):
    """The server answered, but not with something we take; the status goes to fetch_log."""

    def __init__(self, message: str, outcome: str, status: int, size: int = 0) -> None:
        super().__init__(message, outcome)
        self.status = status
        self.size = size


class HttpClient:
    """An HTTP client for one worker. Not thread-safe: one per thread, sharing a `FetchRun`'s
    pacer, robots rules and journal (see pipeline.fetch.run)."""

    def __init__(
        self,
        settings: Settings,
        *,
        allow_private_network: bool = False,
        min_delay_seconds: float = 0.0,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_seconds: float = 0.5,
        network: NetworkPolicy | None = None,
        pacer: HostPacer | None = None,
        robots: Robots | None = None,
        journal: Journal | None = None,
        ssl_context: ssl.SSLContext | None = None,
        cancelled: threading.Event | None = None,
    ) -> None:
        """`cancelled`: set by the run when it is interrupted; a request waiting for its turn
        or its retry, or waiting for the server, then ends with FetchCancelled."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.settings = settings
        self.network = network or NetworkPolicy(allow_private=allow_private_network)
        self.pacer = pacer or HostPacer(min_delay_seconds)
        self.robots = robots  # None: robots.txt is not consulted (one-off user requests)
        self.journal = journal or Journal()
        self.cancelled = cancelled or threading.Event()
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        total = settings.fetch_timeout_seconds
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(
                total,
                connect=min(total, settings.fetch_connect_timeout_seconds),
                read=min(total, settings.fetch_read_timeout_seconds),
            ),
            follow_redirects=False,  # each hop must pass the destination check
            # Proxy variables from the environment would make fetches depend on the shell they
            # ran from and send requests to a host the destination check never saw.
            trust_env=False,
            # ssl_context: a test seam, never configured (see guarded_transport).
            transport=guarded_transport(self.network, ssl_context),
        )

    def get(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        accept: str | None = None,
        headers: dict[str, str] | None = None,
        html_only: bool = False,
    ) -> FetchResult:
        """GET `url`; a 2xx or 304 result, or FetchError with the outcome.

        `headers` are sent on every hop (conditional-request validators, for instance);
        `html_only` refuses a 2xx whose Content-Type is not HTML ("not_html") before reading
        its body.
        """
        return self._get(
            url,
            max_bytes=max_bytes,
            accept=accept,
            headers=headers,
            html_only=html_only,
            robots_exempt=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _get(
        self,
        url: str,
        *,
        max_bytes: int | None,
        accept: str | None,
        headers: dict[str, str] | None,
        html_only: bool,
        robots_exempt: bool,
    ) -> FetchResult:
        started = time.monotonic()
        limit = self.settings.max_page_bytes if max_bytes is None else max_bytes
        sent = {**({"Accept": accept} if accept else {}), **(headers or {})}
        current = urldefrag(url).url
        visited = {current}
        first: FetchLogEntry | None = None  # the entry of the first hop, once it redirected
        try:
            for _ in range(MAX_REDIRECTS + 1):
                result = self._get_with_retries(current, limit, sent, html_only, robots_exempt)
                if result.status not in REDIRECT_STATUSES:
                    duration_ms = int((time.monotonic() - started) * 1000)
                    return replace(result, url=url, duration_ms=duration_ms)
                first = first or result.entry
                current = _redirect_target(current, result.headers.get("location"))
                if current in visited:
                    raise FetchError(f"GET {url}: redirect loop back to {current}", "redirect_loop")
                visited.add(current)
            raise FetchError(
                f"GET {url}: more than {MAX_REDIRECTS} redirects", "too_many_redirects"
            )
        except FetchError as exc:
            if first is not None:
                # The URL asked for gets the reason too, not only the hop that failed, so the
                # log row of a page says why the page was not fetched.
                first.outcome, first.error = exc.outcome, str(exc)
            raise

    def _get_with_retries(
        self, url: str, limit: int, headers: dict[str, str], html_only: bool, robots_exempt: bool
    ) -> FetchResult:
        error: FetchError | None = None
        for attempt in range(1, self._max_attempts + 1):
            entry = FetchLogEntry(url)
            sent: float | None = None  # monotonic time the request went out, if it did
            wait: float | None = None
            try:
                if self.cancelled.is_set():
                    raise FetchCancelled(url)
                host = self._admit(url, robots_exempt)
                self.pacer.wait_turn(host, url, self.cancelled)
                entry.fetched_at, entry.sent, sent = datetime.now(UTC), True, time.monotonic()
                result = self._send(url, limit, headers, html_only, host)
            except RetryableFetchError as exc:
                error = exc
                self._log_error(entry, exc, sent)
            except FetchError as exc:
                self._log_error(entry, exc, sent)
                raise
            else:
                self._log_result(entry, result)
                if result.status < 300 or result.status in _PASSED_ON:
                    return replace(result, entry=entry)
                error = ResponseError(
                    f"GET {url}: HTTP {result.status}", f"http_{result.status}", result.status
                )
                entry.outcome, entry.error = error.outcome, str(error)
                if result.status not in RETRY_STATUSES:
                    raise error
                wait = retry_after_seconds(result.headers.get("retry-after"))
                if wait is not None and wait > RETRY_AFTER_CAP_SECONDS:
                    # Asked to come back later than we are willing to wait: give up now rather
                    # than knock again before the server said we may.
                    raise ResponseError(
                        f"{error}, retry after {wait:.0f}s", error.outcome, result.status
                    )
            if attempt < self._max_attempts:
                self.cancelled.wait(
                    wait if wait is not None else backoff_delay(self._backoff, attempt)
                )
        assert error is not None
        message = f"{error} (gave up after {self._max_attempts} attempts)"
        if isinstance(error, ResponseError):
            raise ResponseError(message, error.outcome, error.status) from error
        raise FetchError(message, error.outcome) from error

    def _admit(self, url: str, robots_exempt: bool) -> str:
        """The host to pace, once `url` has passed the network policy and robots.txt."""
        try:
            # No deadline runs yet (the host's turn may be a long wait), so the lookup gets the
            # connect timeout, as the one made when connecting does.
            host, _, _ = self.network.vet(url, timeout=self._client.timeout.connect)
        except FetchError as exc:
            raise type(exc)(f"GET {url}: {exc}", exc.outcome) from exc
        if self.robots is not None and not robots_exempt:
            verdict = self.robots.check(url, self._fetch_robots_txt)
            if verdict.crawl_delay:
                self.pacer.slow_down(host, verdict.crawl_delay)
            if not verdict.allowed:
                raise FetchError(f"GET {url}: {verdict.reason}", verdict.outcome)
        return host

    def _fetch_robots_txt(self, url: str) -> FetchResult:
        return self._get(
            url,
            max_bytes=MAX_ROBOTS_BYTES,
            accept="text/plain",
            headers=None,
            html_only=False,
            robots_exempt=True,
        )

    def _log_error(self, entry: FetchLogEntry, error: FetchError, sent: float | None) -> None:
        entry.outcome, entry.error = error.outcome, str(error)
        if isinstance(error, ResponseError):
            entry.status, entry.bytes = error.status, error.size
        if sent is not None:
            entry.duration_ms = int((time.monotonic() - sent) * 1000)
        self.journal.add(entry)

    def _log_result(self, entry: FetchLogEntry, result: FetchResult) -> None:
        entry.status, entry.bytes = result.status, result.bytes
        entry.duration_ms = result.duration_ms
        if result.status in REDIRECT_STATUSES:
            entry.outcome = "redirect"
            entry.error = f"to {result.headers.get('location', '')}"[:500]
        elif result.status == 304:
            entry.outcome = "not_modified"
        self.journal.add(entry)

    def _send(
        self, url: str, limit: int, headers: dict[str, str], html_only: bool, host: str
    ) -> FetchResult:
        started = time.monotonic()
        total = self.settings.fetch_timeout_seconds
        try:
            with deadline(total, self.cancelled, url):
                request = self._client.build_request("GET", url, headers=headers)
                response = self._client.send(request, stream=True)
                try:
                    ok = 200 <= response.status_code < 300
                    if ok and html_only:
                        _require_html(url, response)
                    body = self._read_body(response, url, limit) if ok else b""
                finally:
                    response.close()
        except DeadlineExceeded as exc:
            raise FetchError(f"GET {url}: {exc}", "timeout") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: {exc}", "invalid_url") from exc
        except httpx.TimeoutException as exc:
            raise RetryableFetchError(
                f"GET {url}: timed out ({type(exc).__name__})", "timeout"
            ) from exc
        except httpx.ConnectError as exc:
            if reason := tls_failure(exc):
                # A certificate that does not verify will not verify on the next attempt.
                raise FetchError(f"GET {url}: {reason}", "tls_error") from exc
            raise RetryableFetchError(f"GET {url}: cannot connect: {exc}", "connect_error") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            # The connection dropped mid-exchange; usually a restart or a stale keep-alive.
            raise RetryableFetchError(
                f"GET {url}: connection lost: {exc}", "network_error"
            ) from exc
        except httpx.TransportError as exc:
            raise FetchError(f"GET {url}: {exc}", "protocol_error") from exc
        finally:
            self.pacer.done(host)
        return FetchResult(
            url=url,
            final_url=url,
            status=response.status_code,
            content_type=response.headers.get("content-type"),
            body=body,
            headers={name.lower(): value for name, value in response.headers.items()},
            duration_ms=int((time.monotonic() - started) * 1000),
            bytes=len(body),
        )

    def _read_body(self, response: httpx.Response, url: str, limit: int) -> bytes:
        status = response.status_code
        encoding = response.headers.get("content-encoding")
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > limit:
            raise ResponseError(
                f"{url}: Content-Length {declared} exceeds the {limit} byte limit",
                "too_large",
                status,
            )
        decoder = BoundedDecoder(encoding, limit, what=f"{url}: body")
        chunks = []
        try:
            for raw in response.iter_raw():
                chunks.append(decoder.feed(raw))
            decoder.finish()
        except DeadlineExceeded as exc:
            raise ResponseError(
                f"GET {url}: {exc} (body incomplete after {decoder.produced} bytes)",
                "timeout",
                status,
                decoder.produced,
            ) from exc
        except FetchError as exc:
            raise ResponseError(str(exc), exc.outcome, status, decoder.produced) from exc
        return b"".join(chunks)


def _require_html(url: str, response: httpx.Response) -> None:
    declared = response.headers.get("content-type")
    media_type = (declared or "").split(";")[0].strip().lower()
    # No Content-Type at all is common on small sites: the cleaner sniffs those bytes instead.
    if media_type and media_type not in HTML_TYPES:
        raise ResponseError(
            f"{url}: served as {media_type}, not HTML; skipped", "not_html", response.status_code
        )


def _redirect_target(current: str, location: str | None) -> str:
    if not location or not location.strip():
        raise FetchError(f"GET {current}: redirect without a Location header", "bad_redirect")
    return urldefrag(urljoin(current, location.strip())).url


def host_of(url: str) -> str:
    """The politeness key of `url`: its host name."""
    return urlsplit(url).hostname or ""
