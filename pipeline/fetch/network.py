"""Where requests may go, checked on the address actually connected to, and how long they may take.

httpx resolves host names inside its connection pool, so a check made on a separate, earlier
resolution can be fooled by a DNS server that answers a public address first and a private one
next (DNS rebinding). Here the pool's network backend does the resolution that counts: it vets
every address and connects to a vetted one by number, so what is checked is what is reached.
TLS still verifies the certificate and sends SNI for the host name (httpcore takes both from
the URL), and the Host header is the URL's. A certificate that fails verification is a fault of
the site, not of the moment: `tls_failure` picks it out of a connect error so it is not retried.

The same backend enforces a deadline per request: every name resolution, connect, TLS
handshake, read and write gets at most the time left, so neither a slow name server nor a server
that drips its headers or body a byte at a time can hold a worker past the total timeout
(httpx's own timeouts restart with every byte; getaddrinfo has none of its own, so a lookup runs
in a thread of a small bounded set and is abandoned to it when its time is up).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from pipeline.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[Address]]
DEFAULT_PORTS = {"http": 80, "https": 443}
PUBLIC_PORTS = frozenset(DEFAULT_PORTS.values())


class RetryableFetchError(FetchError):
    """The server was silent or unreachable rather than wrong: another attempt may work."""


class DeadlineExceeded(FetchError):
    """The whole exchange took longer than the total timeout; not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "timeout")


class FetchCancelled(FetchError):
    """The run was interrupted (Ctrl-C) while this request waited or was in flight."""

    def __init__(self, url: str) -> None:
        super().__init__(f"GET {url}: cancelled, the run was interrupted", "cancelled")


def resolve_host(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (IPv4-mapped IPv6 unwrapped), or FetchError dns_error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        # EAI_AGAIN is a resolver hiccup; any other failure means the name does not exist.
        kind = RetryableFetchError if exc.errno == socket.EAI_AGAIN else FetchError
        raise kind(f"cannot resolve {host}: {exc.strerror}", "dns_error") from exc
    addresses: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:169.254.169.254 is still the metadata service
        if address not in addresses:
            addresses.append(address)
    return addresses


def _never_allowed(address: Address) -> bool:
    # Even a source on a private network never needs link-local (169.254.169.254 is the cloud
    # metadata service), multicast or the unspecified address (0.0.0.0 reaches this machine).
    return address.is_link_local or address.is_multicast or address.is_unspecified


@dataclass(frozen=True)
class NetworkPolicy:
    """Which endpoints a source's requests may reach.

    Public sites: globally routable addresses on ports 80 and 443. `allow_private` (the
    source's `allow_private_network`) adds loopback and private networks on any port.
    `public_endpoints` lists (address, port) pairs to treat as public sites although they are
    not: the seam that lets tests stand a loopback server in for a site on the internet. It is
    never read from configuration.
    """

    allow_private: bool = False
    public_endpoints: frozenset[tuple[str, int]] = frozenset()
    resolver: Resolver = resolve_host
    # How the user allows a private address where this policy is used: a source's setting,
    # or the flag of a one-off command such as `newsflow extract`.
    private_hint: str = "set allow_private_network: true on the source if the site is yours"

    def vet(self, url: str, timeout: float | None = None) -> tuple[str, int, list[Address]]:
        """Host, port and the addresses of `url`, or FetchError("refused" / "invalid_url").

        `timeout` bounds the resolution as in `vet_endpoint`.
        """
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise FetchError(f"{url}: only http and https URLs are fetched", "refused")
        try:
            host, port = parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError as exc:
            raise FetchError(f"{url}: {exc}", "invalid_url") from exc
        if not host:
            raise FetchError(f"{url}: no host name", "invalid_url")
        return host, port, self.vet_endpoint(host, port, timeout)

    def vet_endpoint(self, host: str, port: int, timeout: float | None = None) -> list[Address]:
        """Resolve `host`; every address must be allowed, or none is used (FetchError refused).

        The resolver gets `timeout`, shortened to what is left of the deadline (see
        `resolve_in_time`); one that does not answer in time is a retryable dns_error.
        """
        addresses = resolve_in_time(self.resolver, host, port, timeout)
        if not addresses:
            raise FetchError(f"cannot resolve {host}: no addresses", "dns_error")
        for address in addresses:
            if (str(address), port) in self.public_endpoints:
                continue
            if _never_allowed(address) or not (self.allow_private or address.is_global):
                what = host if host == str(address) else f"{host} resolves to {address}, which"
                hint = "never fetched" if _never_allowed(address) else self.private_hint
                raise FetchError(f"{what} is not a public address; {hint}", "refused")
            if not self.allow_private and port not in PUBLIC_PORTS:
                raise FetchError(
                    f"{host}: port {port} refused (only 80 and 443 for public sites)", "refused"
                )
        return addresses


# -- the deadline of the request in progress on this thread ------------------------------------

_current = threading.local()


# How often a read waiting on a silent server looks whether the run was cancelled: a socket
# read cannot be interrupted from another thread, so a cancellable one waits in slices.
CANCEL_CHECK_SECONDS = 0.25


@contextmanager
def deadline(
    seconds: float, cancelled: threading.Event | None = None, url: str = ""
) -> Iterator[None]:
    """Bound every network operation of this thread's request to `seconds` from now; with
    `cancelled`, a read also ends (FetchCancelled) soon after that event is set."""
    _current.deadline, _current.total = time.monotonic() + seconds, seconds
    _current.cancelled, _current.url = cancelled, url
    try:
        yield
    finally:
        _current.deadline = _current.cancelled = None


def _time_left(timeout: float | None) -> float | None:
    """`timeout` shortened to what is left of the deadline; DeadlineExceeded when none is."""
    end = getattr(_current, "deadline", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded(f"no complete response within {_current.total:g}s")
    return left if timeout is None else min(timeout, left)


def _past_deadline() -> bool:
    end = getattr(_current, "deadline", None)
    return end is not None and time.monotonic() >= end


# -- name resolution within the deadline -------------------------------------------------------

# Lookups in flight at once in this process. getaddrinfo cannot be interrupted, so a lookup that
# outlives its caller's limit keeps its thread until the system resolver gives up (resolv.conf:
# timeout x attempts, per name server). Twice a run's fetch workers (pages.MAX_PARALLEL_HOSTS)
# leaves room for one abandoned lookup per worker; past that the name server is down for us,
# and queueing for a thread would only hide it, so the next lookup fails at once, retryably.
RESOLVER_THREADS = 8
# The limit of a lookup made with neither a deadline nor a timeout: resolving is the first step
# of connecting, so it gets the default connect timeout (Settings.fetch_connect_timeout_seconds).
RESOLVE_TIMEOUT_SECONDS = 10.0
_resolver_slots = threading.BoundedSemaphore(RESOLVER_THREADS)


def resolve_in_time(
    resolver: Resolver, host: str, port: int, timeout: float | None = None
) -> list[Address]:
    """`resolver(host, port)`, given `timeout` (shortened to the deadline) to answer.

    No answer in time, or no thread free to ask, is RetryableFetchError dns_error; the lookup
    then finishes in its thread, unread. DeadlineExceeded when the deadline has already passed.
    """
    limit = _time_left(timeout)
    if limit is None:
        limit = RESOLVE_TIMEOUT_SECONDS
    if not _resolver_slots.acquire(blocking=False):
        raise RetryableFetchError(
            f"cannot resolve {host}: not tried, all {RESOLVER_THREADS} resolver threads are "
            f"still waiting for earlier answers (is the name server down?)",
            "dns_error",
        )
    answer: Future[list[Address]] = Future()

    def lookup() -> None:
        try:
            try:
                addresses = resolver(host, port)
            finally:
                _resolver_slots.release()  # before answering: the caller's next lookup needs it
        except Exception as exc:  # noqa: BLE001 - raised in the caller's thread, by result()
            answer.set_exception(exc)
        else:
            answer.set_result(addresses)

    # A daemon thread per lookup rather than a ThreadPoolExecutor: the executor's workers are
    # joined at exit (Python 3.9+), so an abandoned lookup would hold the process open.
    try:
        threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    except RuntimeError:
        _resolver_slots.release()  # no thread started, so none will free the slot
        raise
    try:
        return answer.result(timeout=limit)
    except FutureTimeout:
        raise RetryableFetchError(
            f"cannot resolve {host}: no answer within {round(limit, 2):g}s", "dns_error"
        ) from None


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            cancelled = getattr(_current, "cancelled", None)
            if cancelled is None:
                return self._stream.read(max_bytes, _time_left(timeout))
            return self._read_unless_cancelled(max_bytes, _time_left(timeout), cancelled)
        except httpcore.ReadTimeout:
            if _past_deadline():
                raise DeadlineExceeded(f"no complete response within {_current.total:g}s") from None
            raise

    def _read_unless_cancelled(
        self, max_bytes: int, timeout: float | None, cancelled: threading.Event
    ) -> bytes:
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            if cancelled.is_set():
                raise FetchCancelled(getattr(_current, "url", ""))
            left = None if end is None else end - time.monotonic()
            step = CANCEL_CHECK_SECONDS if left is None else min(left, CANCEL_CHECK_SECONDS)
            try:
                # A timed-out recv consumes nothing, so the socket (or TLS) stream can be read
                # again.
                return self._stream.read(max_bytes, max(step, 0.0))
            except httpcore.ReadTimeout:
                if left is not None and left <= CANCEL_CHECK_SECONDS:
                    raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context,
        server_hostname: str | None = None,  # noqa: ANN001
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout))
        )

    def get_extra_info(self, info: str) -> object:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self._policy = policy
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception | None = None
        for address in self._policy.vet_endpoint(host, port, timeout):
            try:
                stream = self._sockets.connect_tcp(
                    str(address),
                    port,
                    timeout=_time_left(timeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # like socket.create_connection: try the next address
                continue
            return _DeadlineStream(stream)
        assert error is not None  # vet_endpoint never returns an empty list
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise FetchError(f"unix socket {path}: never fetched", "refused")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def guarded_transport(
    policy: NetworkPolicy, ssl_context: ssl.SSLContext | None = None
) -> httpx.HTTPTransport:
    """An httpx transport whose every connection goes through `GuardedBackend(policy)`.

    TLS trusts certifi's certificate authorities. `ssl_context` replaces that context: the seam
    that lets tests trust a certificate authority of their own, like `public_endpoints` never
    read from configuration.
    """
    transport = httpx.HTTPTransport(trust_env=False)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise RuntimeError(
            "this httpx version keeps its connection pool elsewhere; "
            "pipeline/fetch/network.py needs updating"
        )
    # httpx 0.28 has no parameter for httpcore's network backend, so the pool it built is
    # replaced by one with the same settings (httpx's defaults) that connects through the guard.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=(
            httpx.create_ssl_context(trust_env=False) if ssl_context is None else ssl_context
        ),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(policy),
    )
    return transport


# A TLS connection closed or broken by the other side: a dropped connection, not a bad site.
_DROPPED_TLS = (ssl.SSLEOFError, ssl.SSLSyscallError, ssl.SSLZeroReturnError)


def tls_failure(exc: BaseException) -> str | None:
    """Why the TLS handshake behind `exc` failed, or None when `exc` is not a TLS failure.

    httpcore and httpx wrap a handshake's ssl.SSLError in their ConnectErrors, so the cause is
    looked for down the chain. A server hanging up mid-handshake is left out: another attempt
    may get through, as after a refused connection.
    """
    cause: BaseException | None = exc
    for _ in range(10):  # a chain is a few links long; the bound guards against a cycle
        if cause is None:
            break
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError) and not isinstance(cause, _DROPPED_TLS):
            return f"TLS handshake failed: {cause.reason or cause}"
        cause = cause.__cause__ or cause.__context__
    return None
