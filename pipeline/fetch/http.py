"""The single network seam: every HTTP request newsflow makes goes through `HttpClient`.

Policy lives here, once: an honest User-Agent, timeouts with a deadline for the whole body,
a decompressed-size cap, manual redirects, a guard against requests into private networks,
per-host politeness and retries with backoff. Failures are `FetchError`s whose `outcome` is
the short reason written to fetch_log.
"""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from pipeline.config import Settings
from pipeline.errors import FetchError
from pipeline.fetch.compression import ACCEPT_ENCODING, BoundedDecoder

MAX_REDIRECTS = 5
MAX_ATTEMPTS = 3
RETRY_AFTER_CAP_SECONDS = 30.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_PASSED_ON = REDIRECT_STATUSES | {304}  # to get()'s redirect loop, or to the caller
_DEFAULT_PORTS = {"http": 80, "https": 443}
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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


class _Retryable(FetchError):
    """The server was silent or unreachable rather than wrong: another attempt may work."""


class HttpClient:
    """An HTTP client for one source's fetches. Not thread-safe: use one per worker."""

    def __init__(
        self,
        settings: Settings,
        *,
        allow_private_network: bool = False,
        min_delay_seconds: float = 0.0,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_seconds: float = 0.5,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.settings = settings
        self._allow_private = allow_private_network
        self._min_delay = min_delay_seconds
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._last_request: dict[str, float] = {}  # host -> monotonic end of its last request
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(settings.fetch_timeout_seconds),
            follow_redirects=False,  # each hop must pass the destination check
            # Proxy variables from the environment would make fetches depend on the shell they
            # ran from and send requests to a host the destination check never saw.
            trust_env=False,
        )

    def get(self, url: str, *, max_bytes: int | None = None, accept: str | None = None
            ) -> FetchResult:
        """GET `url`; a 2xx or 304 result, or FetchError with the outcome."""
        started = time.monotonic()
        limit = self.settings.max_page_bytes if max_bytes is None else max_bytes
        headers = {"Accept": accept} if accept else {}
        current = urldefrag(url).url
        visited = {current}
        for _ in range(MAX_REDIRECTS + 1):
            result = self._get_with_retries(current, limit, headers)
            if result.status not in REDIRECT_STATUSES:
                duration_ms = int((time.monotonic() - started) * 1000)
                return replace(result, url=url, duration_ms=duration_ms)
            current = _redirect_target(current, result.headers.get("location"))
            if current in visited:
                raise FetchError(f"GET {url}: redirect loop back to {current}", "redirect_loop")
            visited.add(current)
        raise FetchError(f"GET {url}: more than {MAX_REDIRECTS} redirects", "too_many_redirects")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _get_with_retries(self, url: str, limit: int, headers: dict[str, str]) -> FetchResult:
        error: FetchError | None = None
        for attempt in range(1, self._max_attempts + 1):
            wait: float | None = None
            try:
                self._check_destination(url)
                self._wait_for_turn(url)
                result = self._send(url, limit, headers)
            except _Retryable as exc:
                error = exc
            else:
                if result.status < 300 or result.status in _PASSED_ON:
                    return result
                error = FetchError(f"GET {url}: HTTP {result.status}", f"http_{result.status}")
                if result.status not in RETRY_STATUSES:
                    raise error
                wait = _retry_after_seconds(result.headers.get("retry-after"))
                if wait is not None and wait > RETRY_AFTER_CAP_SECONDS:
                    # Asked to come back later than we are willing to wait: give up now rather
                    # than knock again before the server said we may.
                    raise FetchError(f"{error}, retry after {wait:.0f}s", error.outcome)
            if attempt < self._max_attempts:
                time.sleep(wait if wait is not None else self._backoff_delay(attempt))
        assert error is not None
        raise FetchError(f"{error} (gave up after {self._max_attempts} attempts)",
                         error.outcome) from error

    def _backoff_delay(self, attempt: int) -> float:
        # Half fixed, half random, so workers that failed together do not retry together.
        step = self._backoff * 2 ** (attempt - 1)
        return step / 2 + random.uniform(0, step / 2)  # noqa: S311 - jitter, not security

    def _check_destination(self, url: str) -> None:
        """Refuse URLs that could reach this machine, its network or a cloud metadata service.

        Gap: the name is resolved here and again by httpx when it connects, so a DNS server
        that answers differently the second time (DNS rebinding) gets past this check.
        Checking the connected peer's address closes it and is left to a later change.
        """
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS:
            raise FetchError(f"{url}: only http and https URLs are fetched", "refused")
        try:
            host, port = parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise FetchError(f"{url}: {exc}", "invalid_url") from exc
        if not host:
            raise FetchError(f"{url}: no host name", "invalid_url")
        if not self._allow_private and port not in (80, 443):
            raise FetchError(f"{url}: port {port} refused (only 80 and 443 for public sites)",
                             "refused")
        for address in _resolve(host, port, url):
            if _never_allowed(address) or not (self._allow_private or address.is_global):
                raise FetchError(
                    f"{url}: {host} resolves to non-public address {address}; set "
                    f"allow_private_network: true on the source if the site is yours",
                    "refused",
                )

    def _wait_for_turn(self, url: str) -> None:
        last = self._last_request.get(urlsplit(url).hostname or "")
        if last is not None:
            wait = last + self._min_delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    def _send(self, url: str, limit: int, headers: dict[str, str]) -> FetchResult:
        started = time.monotonic()
        try:
            request = self._client.build_request("GET", url, headers=headers)
            response = self._client.send(request, stream=True)
            try:
                ok = 200 <= response.status_code < 300
                body = self._read_body(response, url, limit, started) if ok else b""
            finally:
                response.close()
        except httpx.InvalidURL as exc:
            raise FetchError(f"{url}: {exc}", "invalid_url") from exc
        except httpx.TimeoutException as exc:
            raise _Retryable(f"GET {url}: timed out ({type(exc).__name__})", "timeout") from exc
        except httpx.ConnectError as exc:
            raise _Retryable(f"GET {url}: cannot connect: {exc}", "connect_error") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            # The connection dropped mid-exchange; usually a restart or a stale keep-alive.
            raise _Retryable(f"GET {url}: connection lost: {exc}", "network_error") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"GET {url}: {exc}", "protocol_error") from exc
        finally:
            self._last_request[urlsplit(url).hostname or ""] = time.monotonic()
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

    def _read_body(self, response: httpx.Response, url: str, limit: int, started: float
                   ) -> bytes:
        encoding = response.headers.get("content-encoding")
        declared = response.headers.get("content-length", "")
        if not encoding and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: Content-Length {declared} exceeds the {limit} byte limit",
                             "too_large")
        # The per-read timeout restarts with every byte, so a server that drips its body would
        # hold a worker forever; the deadline bounds the whole attempt. It is checked between
        # reads, so a stalled read can overrun it by up to one read timeout.
        deadline = started + self.settings.fetch_timeout_seconds
        decoder = BoundedDecoder(encoding, limit, what=f"{url}: body")
        chunks = []
        for raw in response.iter_raw():
            chunks.append(decoder.feed(raw))
            if time.monotonic() > deadline:
                raise FetchError(
                    f"GET {url}: body not complete after {self.settings.fetch_timeout_seconds}s",
                    "timeout",
                )
        decoder.finish()
        return b"".join(chunks)


def _redirect_target(current: str, location: str | None) -> str:
    if not location or not location.strip():
        raise FetchError(f"GET {current}: redirect without a Location header", "bad_redirect")
    return urldefrag(urljoin(current, location.strip())).url


def _resolve(host: str, port: int, url: str) -> list[_Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # EAI_AGAIN is a resolver hiccup; any other failure means the name does not exist.
        kind = _Retryable if exc.errno == socket.EAI_AGAIN else FetchError
        raise kind(f"{url}: cannot resolve {host}: {exc.strerror}", "dns_error") from exc
    addresses = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:169.254.169.254 is still the metadata service
        addresses.append(address)
    return addresses


def _never_allowed(address: _Address) -> bool:
    # Even a source on a private network never needs link-local (169.254.169.254 is the cloud
    # metadata service), multicast or the unspecified address (0.0.0.0 reaches this machine).
    return address.is_link_local or address.is_multicast or address.is_unspecified


def _retry_after_seconds(value: str | None) -> float | None:
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
